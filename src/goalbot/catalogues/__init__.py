"""Goal catalogues shipped as data; the Kokemäki 2026–2029 one is the default."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEFAULT_CATALOGUE = "kokemaki-2026-2029.toml"


def shipped_catalogue_path(name: str = DEFAULT_CATALOGUE) -> Path:
    """Path of a catalogue file shipped inside the package."""
    return Path(str(files(__package__).joinpath(name)))
