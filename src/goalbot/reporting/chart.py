"""A metric's history against its target as a PNG picture.

Drawn with matplotlib's object interface on the Agg canvas: no display and no global pyplot
state, so charts can be drawn in worker threads side by side. matplotlib (and numpy with it)
is imported when the first chart is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from goalbot.domain.evaluation import Status
from goalbot.domain.goals import Rule
from goalbot.domain.periods import Period
from goalbot.reporting.formatting import format_number
from goalbot.reporting.rendering import DEFAULT_LANGUAGE
from goalbot.reporting.words import Words
from goalbot.services.context import AppContext
from goalbot.services.progress import MetricHistory, metric_history

STATUS_COLOURS = {
    Status.ON_TRACK: "#2e7d32",
    Status.AT_RISK: "#f9a825",
    Status.OFF_TRACK: "#c62828",
}
OTHER_COLOUR = "#757575"
LINE_COLOUR = "#1f4e79"
TARGET_COLOUR = "#6a1b9a"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _tick_step(count: int) -> int:
    for step in (1, 2, 4):
        if count / step <= 12:
            return step
    return 8


def _axis_number(value: float, _position: object = None) -> str:
    return format_number(Decimal(str(round(float(value), 6))))


def render_chart(history: MetricHistory, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The history drawn as a PNG: the answers, the baseline, the target level or path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter

    words = Words("report/chart.txt.j2", language)
    metric = history.metric
    figure = Figure(figsize=(8, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    numbers = [
        (p.period, float(p.value.number), p.status)
        for p in history.points
        if p.value.number is not None
    ]
    indices = [p.index for p, _, _ in numbers]
    values = [n for _, n, _ in numbers]
    if numbers:
        axes.plot(
            indices,
            values,
            color=LINE_COLOUR,
            linewidth=2,
            label=words("label", "actual"),
            zorder=3,
        )
        axes.scatter(
            indices,
            values,
            c=[STATUS_COLOURS.get(s, OTHER_COLOUR) for _, _, s in numbers],
            s=60,
            zorder=4,
        )

    span = [*indices, history.up_to.index]
    path = history.path
    if path.baseline is not None:
        axes.scatter(
            [path.baseline.period.index],
            [float(path.baseline.value)],
            marker="s",
            s=60,
            color=OTHER_COLOUR,
            label=words("label", "baseline"),
            zorder=4,
        )
        span.append(path.baseline.period.index)
    if path.points:
        start, end = path.points[0], path.points[-1]
        axes.plot(
            [p.period.index for p in path.points],
            [float(p.value) for p in path.points],
            linestyle="--",
            color=TARGET_COLOUR,
            label=words("label", "path"),
            zorder=2,
        )
        axes.scatter([end.period.index], [float(end.value)], marker="*", s=140, color=TARGET_COLOUR)
        span += [start.period.index, end.period.index]
    if path.level is not None:
        rule = metric.target.rule
        key = {Rule.RELATIVE: "reference", Rule.POSITIVE: "zero"}.get(rule, "target")
        axes.axhline(
            float(path.level),
            linestyle=":",
            linewidth=2,
            color=TARGET_COLOUR,
            label=words("label", key),
            zorder=2,
        )

    first, last = min(span), max(span)
    if first == last:
        first, last = first - 1, last + 1
    axes.set_xlim(first - 0.5, last + 0.5)
    step = _tick_step(last - first + 1)
    ticks = [i for i in range(first, last + 1) if (i - first) % step == 0]
    axes.xaxis.set_major_locator(FixedLocator(ticks))
    axes.set_xticks(ticks, [Period.from_index(i).label for i in ticks], rotation=45, ha="right")
    axes.yaxis.set_major_formatter(FuncFormatter(_axis_number))
    axes.set_xlabel(words("label", "quarter"))
    axes.set_ylabel(words("unit", metric))
    axes.set_title("\n".join(textwrap.wrap(words("title", history), 70)[:3]), fontsize=11)
    axes.grid(True, alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize=9)
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def metric_chart(
    ctx: AppContext, ref: str, period: Period | None = None, language: str | None = None
) -> tuple[MetricHistory, bytes]:
    """A metric's history (``GOAL-ID`` or ``GOAL-ID.key``) up to ``period`` and its chart, in
    ``language`` (default: the town's)."""
    history = metric_history(ctx, ref, period)
    return history, render_chart(history, language or ctx.config.texts.language)
