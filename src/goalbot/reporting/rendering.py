"""The one Jinja2 environment: templates per language, Telegram-HTML escaping for *.html.j2."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
)

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "fi"


def _autoescape(name: str | None) -> bool:
    # Telegram's HTML mode needs <, > and & escaped; plain-text templates (CLI, CSV) must not be.
    return bool(name and name.endswith(".html.j2"))


_filters: dict[str, Callable[..., Any]] = {}


def template_filter(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Jinja filter (used by the formatting helpers)."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _filters[name] = function
        return function

    return register


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared Environment; extra template folders may be added with GOALBOT_TEMPLATES."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES))]),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(_filters)
    return env


def available_languages() -> list[str]:
    """Languages that have a folder of texts."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


def render(name: str, language: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """Render ``<language>/<name>``, falling back to Finnish where a text is missing."""
    env = environment()
    env.filters.update(_filters)
    try:
        template = env.get_template(f"{language}/{name}")
    except TemplateNotFound:
        template = env.get_template(f"{DEFAULT_LANGUAGE}/{name}")
    return template.render(**values).strip()


def render_mapping(name: str, language: str, values: Mapping[str, Any]) -> str:
    """Like render, with the values in a mapping."""
    return render(name, language, **values)
