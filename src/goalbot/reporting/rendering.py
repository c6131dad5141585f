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
    env.filters.update(_formatting_filters())
    return env


def _formatting_filters() -> dict[str, Callable[..., Any]]:
    from goalbot.reporting import formatting

    def value(answer_value: Any, metric: Any, locale: str = "fi_FI") -> str:
        return formatting.format_value(metric, answer_value, locale)

    def number(value: Any, decimals: int | None = None, locale: str = "fi_FI") -> str:
        return formatting.format_number(value, decimals, locale)

    def figure(value: Any, metric: Any, locale: str = "fi_FI") -> str:
        """A bare figure of a metric (baseline, target) in its unit."""
        from goalbot.domain.answers import AnswerValue

        if isinstance(value, bool):
            return formatting.answer_label("yes" if value else "no", locale)
        return formatting.format_value(metric, AnswerValue.of_number(value), locale)

    return {
        "value": value,
        "number": number,
        "figure": figure,
        "date": formatting.format_date,
        "datetime": formatting.format_datetime,
        "period": formatting.format_period,
        "label": formatting.answer_label,
    }


def available_languages() -> list[str]:
    """Languages that have a folder of texts."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


def render(name: str, language: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """Render ``<language>/<name>``, falling back to Finnish where a text is missing."""
    env = environment()
    try:
        template = env.get_template(f"{language}/{name}")
    except TemplateNotFound:
        template = env.get_template(f"{DEFAULT_LANGUAGE}/{name}")
    return template.render(**values).strip()


def render_mapping(name: str, language: str, values: Mapping[str, Any]) -> str:
    """Like render, with the values in a mapping."""
    return render(name, language, **values)
