"""The reporting calendar: Finnish working days and what is due when, without framework imports."""
