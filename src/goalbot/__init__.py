"""goalbot: a Telegram bot that collects a municipality's quarterly goal reports."""

__version__ = "0.1.0"
