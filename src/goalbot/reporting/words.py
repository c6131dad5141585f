"""The report templates' macros, called from Python where a text goes into a cell or a chart."""

from __future__ import annotations

from typing import Any

from jinja2.environment import TemplateModule

from goalbot.reporting.rendering import DEFAULT_LANGUAGE, environment


class Words:
    """The macros of one template, e.g. ``Words("report/_words.txt.j2", "fi").status_name(s)``."""

    def __init__(self, name: str, language: str = DEFAULT_LANGUAGE) -> None:
        template = environment().get_template(f"{language}/{name}")
        self._module: TemplateModule = template.make_module({"lang": language})

    def __call__(self, macro: str, *args: Any) -> str:
        """The macro's text, without surrounding white space."""
        return str(getattr(self._module, macro)(*args)).strip()
