"""Benchmark: how long the reports take, and how many SQL statements each runs.

The shipped catalogue with every role held and ``--years`` years of answers to every metric
by quarter; each report is made ``--runs`` times in this process (service time: the
database work, the judging and the rendering, no Telegram) and timed, with the SQL
statements it ran counted. The figures to compare: milliseconds against the goals (/status
of the whole town under 50 ms with four years of history), and statements that stay the
same whatever the scope (no query per goal).

    .venv/bin/python bench/reports.py --years 4 --runs 5
    .venv/bin/python bench/reports.py --towns 30 300 --runs 3   # 1,560 and 15,600 goals

``--towns`` builds a catalogue of that many municipalities' worth of goals (copies of the
shipped one under ids of their own, bench/towns.py) at each size given, so that the printed
statements show whether a report's queries grow with the number of goals. On SQLite the
database built is kept in the temporary folder's ``goalbot-bench/`` under a name that
changes with the schema, the catalogue and the code that fills it, and a later run starts
from a copy of it (``--rebuild`` builds it again).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from tests.conftest import Clock, make_context, postgres_database
from tests.report_data import Q4, bind_person, fill_answers

from bench.towns import copy_answers, hold_roles, towns_catalogue
from goalbot.domain.periods import Period
from goalbot.reporting.export import export_period
from goalbot.reporting.report_texts import missing_parts, status_parts, summary_parts
from goalbot.services.catalogue import get_catalogue, load_catalogue
from goalbot.services.context import AppContext


def measured(ctx: AppContext, make: Callable[[], object], runs: int) -> tuple[list[float], int]:
    """Milliseconds of each run of ``make`` (after one warm-up, whose statements are
    counted), and its statements."""
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    make()  # the warm-up (the first chart or workbook imports its library)
    event.remove(ctx.db.engine, "before_cursor_execute", count)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        make()
        times.append((time.perf_counter() - started) * 1000)
    return times, statements


CACHE = Path(tempfile.gettempdir()) / "goalbot-bench"
ROOT = Path(__file__).resolve().parents[1]
# what the built database depends on: its schema, the catalogue, and how the bench fills it
BUILT_FROM = (
    "src/goalbot/storage",
    "src/goalbot/catalogues",
    "src/goalbot/domain/catalogue_file.py",
    "src/goalbot/services/catalogue.py",
    "src/goalbot/services/owners.py",
    "bench/towns.py",
    "tests/report_data.py",
)


def _source_key(copies: int, years: int) -> str:
    digest = hashlib.sha256(f"{copies} {years}".encode())
    for name in BUILT_FROM:
        top = ROOT / name
        for path in sorted([top] if top.is_file() else top.rglob("*.py")) + sorted(
            top.rglob("*.toml") if top.is_dir() else []
        ):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(ctx: AppContext, copies: int, years: int, folder: Path) -> tuple[Period, ...]:
    """The catalogue ``copies`` times over (one copy: the shipped one), every role held,
    ``years`` of answers; the periods answered. The first copy's people are bound and its
    answers stored through the services; the other copies get theirs in bulk INSERTs."""
    load_catalogue(ctx, towns_catalogue(copies, folder) if copies > 1 else None)
    for number, role in enumerate(get_catalogue(ctx).roles):
        if "-k" not in role.id:
            bind_person(ctx, role.id, f"Henkilö {number}", 5000 + number)
    periods = tuple(Q4.shifted(-n) for n in range(4 * years - 1, -1, -1))
    if copies > 1:
        hold_roles(ctx, 5000)
        fill_answers(ctx, periods=periods, where=lambda metric: "-k" not in metric.id)
        copy_answers(ctx)
    else:
        fill_answers(ctx, periods=periods)
    return periods


def one_size(
    copies: int, years: int, runs: int, postgres: bool, skip: list[str], rebuild: bool
) -> dict[str, int]:
    """Build (or on SQLite reuse a copy of the one built before from the same sources) the
    catalogue ``copies`` times over with ``years`` of answers; print each report's service
    time and statements (by name)."""
    with tempfile.TemporaryDirectory() as folder, database(folder, postgres) as url:
        clock = Clock(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
        cached = CACHE / f"reports-{copies}x{years}y-{_source_key(copies, years)}.sqlite3"
        started = time.perf_counter()
        reused = not postgres and not rebuild and cached.exists()
        if reused:
            shutil.copyfile(cached, url.removeprefix("sqlite:///"))
        ctx = make_context(url, clock)
        if reused:
            periods = tuple(Q4.shifted(-n) for n in range(4 * years - 1, -1, -1))
        else:
            periods = build(ctx, copies, years, Path(folder))
            if not postgres:
                CACHE.mkdir(exist_ok=True)
                ctx.db.dispose()
                shutil.copyfile(url.removeprefix("sqlite:///"), cached.with_suffix(".part"))
                cached.with_suffix(".part").replace(cached)
        built = time.perf_counter() - started
        reports: dict[str, Callable[[], object]] = {
            "/status (the whole town)": lambda: status_parts(ctx, "", Q4),
            "/status tekninen": lambda: status_parts(ctx, "tekninen", Q4),
            "/status TEK-1": lambda: status_parts(ctx, "TEK-1", Q4),
            "/missing": lambda: missing_parts(ctx, Q4),
            "the round's summary": lambda: summary_parts(ctx, Q4),
            "export xlsx": lambda: export_period(ctx, Q4, "xlsx"),
            "export docx": lambda: export_period(ctx, Q4, "docx"),
        }
        reports = {name: make for name, make in reports.items() if name.split()[-1] not in skip}
        catalogue = get_catalogue(ctx)
        where = "PostgreSQL" if postgres else "SQLite"
        print(
            f"{len(catalogue.goals)} goals ({copies} × the shipped catalogue), "
            f"{len(list(catalogue.metrics()))} metrics, {len(catalogue.roles)} roles held, "
            f"{len(periods)} quarters of answers, on {where} "
            f"({'a copy of the one built before' if reused else 'built'} in {built:.0f} s), "
            f"{runs} runs each"
        )
        counts = {}
        for name, make in reports.items():
            times, statements = measured(ctx, make, runs)
            counts[name] = statements
            print(
                f"  {name:28} {statistics.median(times):8.1f} ms "
                f"(min {min(times):.1f}, max {max(times):.1f}), {statements} SQL statements"
            )
        ctx.db.dispose()
        return counts


def database(folder: str, postgres: bool) -> AbstractContextManager[str]:
    """A SQLite file in ``folder``, or a fresh PostgreSQL database (dropped after)."""
    return postgres_database() if postgres else nullcontext(f"sqlite:///{folder}/bench.sqlite3")


def reference_ms() -> float:
    """The baseline of the same run: milliseconds of a fixed piece of pure Python (the median
    of five), to read the reports' times against on a shared, noisy machine."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(200_000))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(
    sizes: list[int], years: int, runs: int, postgres: bool, skip: list[str], rebuild: bool
) -> None:
    print(f"baseline, the same pure Python work each time: {reference_ms():.1f} ms")
    counted = [one_size(copies, years, runs, postgres, skip, rebuild) for copies in sizes]
    print(f"baseline again at the end: {reference_ms():.1f} ms")
    if len(counted) > 1:
        same = all(counts == counted[0] for counts in counted)
        print(
            "SQL statements of each report "
            + ("the same at every size" if same else f"DIFFER between sizes: {counted}")
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--towns",
        type=int,
        nargs="+",
        default=[1],
        help="sizes: copies of the shipped catalogue (300: 15,600 goals); several to compare",
    )
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL")
    parser.add_argument("--skip", nargs="*", default=[], help="reports left out: xlsx, docx")
    parser.add_argument(
        "--rebuild", action="store_true", help="build the SQLite database again, not a copy"
    )
    args = parser.parse_args()
    main(args.towns, args.years, args.runs, args.postgres, args.skip, args.rebuild)
