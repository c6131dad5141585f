"""Entry point for ``python -m goalbot``."""

from goalbot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
