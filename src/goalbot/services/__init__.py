"""One function per use case; each opens and commits its own unit of work."""
