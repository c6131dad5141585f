"""Where goalbot looks for its texts: a town's own folder (``[texts] templates``) first, then
the shipped ones. Without Jinja, so that the command line's help finds its texts quickly."""

from __future__ import annotations

from pathlib import Path

from goalbot.config import SHIPPED_TEXTS

# the folders of [texts] templates, set at every start (rendering.use_template_folder)
extra_folders: list[Path] = []


def text_file(name: str) -> Path | None:
    """The file of the text ``name`` (``sv/cli/x.txt.j2``), from the first folder that has it."""
    for folder in (*extra_folders, SHIPPED_TEXTS):
        path = folder / name
        if path.is_file():
            return path
    return None


def use_template_folder(folder: Path | None) -> None:
    """Look for texts in ``folder`` before the shipped ones (``[texts] templates``).

    Every start sets it: Jinja's compiled templates are kept while the folders stay the same
    (and Jinja still reads a template again when its file changed).
    """
    extra_folders[:] = [folder] if folder is not None else []
