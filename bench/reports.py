"""Benchmark: how long the reports take, and how many SQL statements each runs.

The shipped catalogue with every role held and ``--years`` years of answers to every metric
by quarter; each report is made ``--runs`` times in this process (service time: the
database work, the judging and the rendering, no Telegram) and timed, with the SQL
statements it ran counted. The figures to compare: milliseconds against the goals (/status
of the whole town under 50 ms with four years of history), and statements that stay the
same whatever the scope (no query per goal).

    .venv/bin/python bench/reports.py --years 4 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from tests.conftest import Clock, make_context
from tests.report_data import Q4, bind_person, fill_answers

from goalbot.reporting.export import export_period
from goalbot.reporting.report_texts import missing_parts, status_parts, summary_parts
from goalbot.services.catalogue import get_catalogue, load_catalogue
from goalbot.services.context import AppContext


def measured(ctx: AppContext, make: Callable[[], object], runs: int) -> tuple[list[float], int]:
    """Milliseconds of each run of ``make`` (after one warm-up), and its statements."""
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    make()
    event.listen(ctx.db.engine, "before_cursor_execute", count)
    make()
    event.remove(ctx.db.engine, "before_cursor_execute", count)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        make()
        times.append((time.perf_counter() - started) * 1000)
    return times, statements


def main(years: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ctx = make_context(
            f"sqlite:///{folder}/bench.sqlite3", Clock(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
        )
        load_catalogue(ctx)
        for number, role in enumerate(get_catalogue(ctx).roles):
            bind_person(ctx, role.id, f"Henkilö {number}", 5000 + number)
        periods = tuple(Q4.shifted(-n) for n in range(4 * years - 1, -1, -1))
        fill_answers(ctx, periods=periods)
        reports: dict[str, Callable[[], object]] = {
            "/status (the whole town)": lambda: status_parts(ctx, "", Q4),
            "/status tekninen": lambda: status_parts(ctx, "tekninen", Q4),
            "/status TEK-1": lambda: status_parts(ctx, "TEK-1", Q4),
            "/missing": lambda: missing_parts(ctx, Q4),
            "the round's summary": lambda: summary_parts(ctx, Q4),
            "export xlsx": lambda: export_period(ctx, Q4, "xlsx"),
            "export docx": lambda: export_period(ctx, Q4, "docx"),
        }
        goals = len(get_catalogue(ctx).goals)
        print(f"{goals} goals, {len(periods)} quarters of answers, {runs} runs each")
        for name, make in reports.items():
            times, statements = measured(ctx, make, runs)
            print(
                f"{name:28} {statistics.median(times):8.1f} ms "
                f"(min {min(times):.1f}, max {max(times):.1f}), {statements} SQL statements"
            )
        ctx.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    main(args.years, args.runs)
