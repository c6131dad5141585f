"""The only place that talks to Telegram: application, handlers, keyboards and scheduled jobs."""
