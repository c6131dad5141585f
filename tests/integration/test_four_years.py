"""Four years of rounds on the Kokemäki catalogue: yearly statistics are given in the next
year's rounds, for the year they describe, and show in the reports and exports with it.

The town manager and the catering manager answer every round through the questionnaire
(the service the chat calls), from Q2/2026 to the rounds of 2030 that collect 2029's figures.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal

import docx
import openpyxl
import pytest

from goalbot.chat.handlers import render_screen
from goalbot.domain.evaluation import Status
from goalbot.domain.periods import Period
from goalbot.domain.protocol import ScreenKind
from goalbot.reporting.export import export_period
from goalbot.reporting.report_texts import status_report, summary_parts
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.progress import JUDGED, status_of
from goalbot.services.questionnaire import Action, OwnerInput, Reply, handle_input
from tests.conftest import Clock
from tests.integration.test_report_texts import faults
from tests.report_data import bind_person

MANAGER, CATERING = 5001, 5002
Asked = dict[Period, dict[tuple[str, Period], str]]
"""Round → (metric id, the period it was asked for) → the question's text, in asking order."""
YEARS = (2026, 2027, 2028, 2029)
# the figures of each year, as the statistics give them
YEARLY = {
    "STR-2.1": ("7.8", "7.5", "7.1", "6.8"),
    "STR-4.1": ("-12", "3", "8", "15"),
    "STR-5.1": ("-60", "-10", "0", "4"),
    "STR-6.1": ("2401", "2450", "2502", "2551"),
    "STR-7.1": ("1050000", "1101000", "1150000", "1190000"),
    "TILA-1.1": ("26", "27.5", "29", "30.5"),
    "TILA-2.1": ("11500", "11200", "10700", "10650"),
}
# "Ei tietoa vielä" in the first rounds that ask for these figures
NOT_YET = {
    ("STR-5.1", Period(2026, 4)): 1,  # given in the second round that asks
    ("TILA-2.1", Period(2028, 4)): 99,  # never given: reported as missing
    ("STR-3.1", Period(2027, 2)): 1,  # a quarter's figure, given beside the next quarter's
}


def asked_for(asked: Asked, round_period: Period, metric_id: str) -> list[Period]:
    """The periods a round asked a metric's figures for, in the order asked."""
    return [p for m, p in asked[round_period] if m == metric_id]


def figure(metric_id: str, period: Period) -> str:
    """The figure a metric has for the period it describes."""
    if metric_id in YEARLY:
        return YEARLY[metric_id][period.year - 2026]
    if metric_id == "STR-3.1":  # unemployment falls a tenth a quarter
        return str(Decimal("11.8") - Decimal("0.1") * Period(2026, 2).quarters_to(period))
    return "3.9"  # the resident survey, 1–5


class Owner:
    """One person answering every question of a round as the chat would."""

    def __init__(self, ctx: AppContext, user_id: int) -> None:
        self.ctx, self.user_id = ctx, user_id
        self.update_id = user_id * 100_000
        self.no_data_given: dict[tuple[str, Period], int] = {}

    def send(
        self, *, text: str | None = None, action: Action | None = None, version: int | None = None
    ) -> Reply:
        self.update_id += 1
        given = OwnerInput(self.update_id, self.user_id, text=text, action=action, version=version)
        return handle_input(self.ctx, given)

    def answer_round(self) -> Iterator[tuple[str, Period, str]]:
        """Answer the round; (metric id, period described, question text) for each question."""
        reply = self.send(action=Action.START)
        for _ in range(100):
            screen = reply.screens[0]
            if screen.kind == ScreenKind.NOTE:
                return  # nothing asked of this person
            if screen.kind == ScreenKind.DONE:
                return
            if screen.kind == ScreenKind.RECAP:
                reply = self.send(action=Action.CONFIRM, version=screen.version)
                continue
            if screen.kind in (ScreenKind.EXPLANATION, ScreenKind.CORRECTIVE):
                reply = self.send(action=Action.SKIP, version=screen.version)
                continue
            assert screen.kind == ScreenKind.QUESTION and screen.item is not None
            metric, described = screen.item.metric, screen.item.period
            assert described is not None  # the session always says which period it asks
            yield metric.id, described, render_screen(screen, "fi", self.ctx)
            key = (metric.id, described)
            if self.no_data_given.get(key, 0) < NOT_YET.get(key, 0):
                self.no_data_given[key] = self.no_data_given.get(key, 0) + 1
                reply = self.send(action=Action.NO_DATA, version=screen.version)
            else:
                reply = self.send(text=figure(metric.id, described).replace(".", ","))
        raise AssertionError("the questionnaire did not end")


@pytest.fixture
def four_years(sqlite_ctx: AppContext, clock: Clock) -> tuple[AppContext, Asked]:
    """Every round of the term and after it answered; what each round asked, by round."""
    ctx = sqlite_ctx
    bind_person(ctx, "kaupunginjohtaja", "Kaisa Kaupunki", MANAGER)
    bind_person(ctx, "tilapalvelupaallikko", "Tiina Tila", CATERING)
    owners = [Owner(ctx, MANAGER), Owner(ctx, CATERING)]
    asked: Asked = {}
    for period in get_catalogue(ctx).rounds():
        # the round opens a couple of weeks before its quarter ends
        day = period.last_day.replace(day=period.last_day.day - 14)
        clock.set(datetime.combine(day, time(9), tzinfo=UTC))
        open_round_now(ctx, period)
        asked[period] = {
            (metric_id, described): text
            for owner in owners
            for metric_id, described, text in owner.answer_round()
        }
        close_round_now(ctx, period)
    return ctx, asked


def test_four_years_of_statistics(four_years: tuple[AppContext, Asked]) -> None:
    """One run of the four years (it takes a while), checked three ways."""
    ctx, asked = four_years
    statistics_are_asked_in_the_next_year_for_the_year_they_describe(ctx, asked)
    the_next_reports_and_exports_show_the_figures_with_their_period(ctx)
    a_figure_never_given_is_reported_as_missing_after_its_last_round(ctx, asked)
    a_quarters_figure_not_yet_known_is_asked_again_beside_the_next_one(ctx, asked)


def statistics_are_asked_in_the_next_year_for_the_year_they_describe(
    ctx: AppContext, asked: Asked
) -> None:
    catalogue = get_catalogue(ctx)
    assert catalogue.last_round.year == 2030
    assert Period(2026, 2) in asked and Period(2030, 1) in asked
    for year in YEARS:
        # the Q4 round of the year does not ask for the year's statistics: not known yet
        assert not asked_for(asked, Period(year, 4), "STR-5.1")
        assert asked_for(asked, Period(year + 1, 1), "STR-4.1") == [Period(year, 4)]
        assert f"Vuoden {year} luku:" in asked[Period(year + 1, 1)][("STR-4.1", Period(year, 4))]
        # emissions are known later still
        assert asked_for(asked, Period(year + 1, 2), "STR-2.1") == [Period(year, 4)]
        assert not asked_for(asked, Period(year + 1, 1), "STR-2.1")
    # "Ei tietoa vielä" is asked again in the next round, and then not again once given
    assert asked_for(asked, Period(2027, 2), "STR-5.1") == [Period(2026, 4)]
    assert not asked_for(asked, Period(2027, 3), "STR-5.1")
    assert not asked_for(asked, Period(2027, 2), "STR-4.1")  # given in its first round
    # unemployment: each quarter's figure in the next quarter's round, Q4/2029's in 2030
    assert asked_for(asked, Period(2026, 3), "STR-3.1") == [Period(2026, 2)]
    assert asked_for(asked, Period(2030, 1), "STR-3.1") == [Period(2029, 4)]
    # the rounds after the term ask only for the term's figures still to come
    assert {d for _, d in asked[Period(2030, 1)]} == {Period(2029, 4)}
    assert all(not m.startswith("STR-1") for m, _ in asked[Period(2030, 1)])


def the_next_reports_and_exports_show_the_figures_with_their_period(ctx: AppContext) -> None:
    for year in YEARS:
        data = {m.metric.id: m for m in status_of(ctx, "", Period(year + 1, 1)).metrics()}
        migration = data["STR-4.1"]
        assert migration.evaluation.period == Period(year, 4)
        assert migration.status in JUDGED
        value, described = migration.latest
        assert value is not None and value.number == Decimal(YEARLY["STR-4.1"][year - 2026])
        assert described == Period(year, 4)
        text = status_report(ctx, "strategia", Period(year + 1, 1))
        shown = YEARLY["STR-6.1"][year - 2026]
        assert f"{shown[0]}\u00a0{shown[1:]}\u00a0€/as ({year})" in text
    # given in the second round asked: the report of that round shows and judges it
    late = {m.metric.id: m for m in status_of(ctx, "", Period(2027, 2)).metrics()}["STR-5.1"]
    # −60 against at least 0, up from −85: improving
    assert late.evaluation.period == Period(2026, 4) and late.status == Status.AT_RISK
    assert "−60\u00a0hlö (2026)" in status_report(ctx, "strategia", Period(2027, 2))

    # the exports of 2030 carry 2029's figures, with their year
    workbook = openpyxl.load_workbook(io.BytesIO(export_period(ctx, Period(2030, 1), "xlsx")))
    sheet = workbook["Strategiset mittarit"]
    header = [c.value for c in sheet[3]]
    column = header.index("Q1/2030")
    formats = [
        row[column].number_format
        for row in sheet.iter_rows(min_row=4)
        if isinstance(row[column].value, int | float)
    ]
    # net migration, population, tax revenue and corporate tax; emissions come in Q2/2030
    assert sum("(2029)" in f for f in formats) == 4
    assert sum("(2028)" in f for f in formats) == 2  # the 2028 survey and emissions
    document = json.loads(export_period(ctx, Period(2030, 1), "json"))
    metrics = {m["id"]: m for m in document["metrics"]}
    assert metrics["STR-7.1"]["value_period"] == {"key": "2029Q4", "label": "2029"}
    assert metrics["STR-3.1"]["value_period"] == {"key": "2029Q4", "label": "Q4/2029"}
    assert metrics["TILA-2.1"]["status"] in ("on_track", "at_risk", "off_track")
    # the survey of 2028 is judged for 2028 in every report after it, to the term's end
    assert metrics["STR-1.1"]["status"] in ("on_track", "at_risk", "off_track")
    assert metrics["STR-1.1"]["value_period"] == {"key": "2028Q4", "label": "2028"}
    for later in (Period(2029, 2), Period(2030, 1)):
        survey = {m.metric.id: m for m in status_of(ctx, "STR-1", later).metrics()}["STR-1.1"]
        assert survey.status in JUDGED and survey.evaluation.value_period == Period(2028, 4)
        assert "ei kysytty tällä kertaa" not in status_report(ctx, "STR-1", later)


def a_figure_never_given_is_reported_as_missing_after_its_last_round(
    ctx: AppContext, asked: Asked
) -> None:
    asked_2028 = [p for p, questions in asked.items() if ("TILA-2.1", Period(2028, 4)) in questions]
    assert asked_2028 == [Period(2029, 1), Period(2029, 2), Period(2029, 3)]
    last = status_of(ctx, "", Period(2029, 3))
    lacking = [(f.metric.id, f.period, f.rounds) for f in last.lacking]
    assert ("TILA-2.1", Period(2028, 4), 3) in lacking
    # the figures of the roles nobody holds are missing too; those answered are not
    assert ("TEK-1.1", Period(2028, 4), 3) in lacking
    assert not [m for m, _, _ in lacking if m.startswith("STR") or m == "TILA-1.1"]
    text = status_report(ctx, "TILA-2", Period(2029, 3))
    assert "Luvut jäivät saamatta" in text and "2028 (ei saatu, kysytty 3 kertaa)" in text
    assert faults(text) == []
    assert all(f.given_up for f in last.lacking if f.period == Period(2028, 4))
    # while it is still being asked for, the reports list it as lacking, not given up
    earlier = {(f.metric.id, f.period): f for f in status_of(ctx, "", Period(2029, 2)).lacking}
    assert earlier[("TILA-2.1", Period(2028, 4))].rounds == 2
    assert not earlier[("TILA-2.1", Period(2028, 4))].given_up
    # from the close of the first round that asked for it
    first = {(f.metric.id, f.period): f for f in status_of(ctx, "", Period(2029, 1)).lacking}
    assert first[("TILA-2.1", Period(2028, 4))].rounds == 1
    # every later report (and export) still says the town lacks it
    later = status_of(ctx, "", Period(2030, 1)).lacking
    assert ("TILA-2.1", Period(2028, 4), 3) in [(f.metric.id, f.period, f.rounds) for f in later]
    assert "2028 (ei saatu, kysytty 3 kertaa)" in status_report(ctx, "TILA-2", Period(2030, 1))
    # one line a metric, its periods in order; each missed metric's explanation on its own line
    summary = "\n".join(summary_parts(ctx, Period(2029, 3), 4000))
    permits = [line for line in summary.splitlines() if line.startswith("• RV-1 ")]
    assert len(permits) == 1
    assert "Q2/2026 (ei saatu, kysytty 3 kertaa), Q3/2026 (ei saatu" in permits[0]
    assert "(kysytään uudelleen, kysytty kerran)" in summary
    assert "%<i>" not in summary and "\n<i>Ei selitystä.</i>" in summary
    assert faults(summary) == []
    # the year after, the 2029 figure is asked for and judged: the older gap does not stop it
    data = {m.metric.id: m for m in status_of(ctx, "", Period(2030, 1)).metrics()}
    assert data["TILA-2.1"].evaluation.period == Period(2029, 4)
    assert data["TILA-2.1"].status in JUDGED


def a_quarters_figure_not_yet_known_is_asked_again_beside_the_next_one(
    ctx: AppContext, asked: Asked
) -> None:
    q2, q3 = Period(2027, 2), Period(2027, 3)
    assert asked_for(asked, q3, "STR-3.1") == [q2]  # answered "Ei tietoa vielä"
    # the next round asks it again, before the next quarter's, each labelled with its period
    assert asked_for(asked, Period(2027, 4), "STR-3.1") == [q2, q3]
    assert "Vuosineljänneksen Q2/2027 luku:" in asked[Period(2027, 4)][("STR-3.1", q2)]
    assert "Vuosineljänneksen Q3/2027 luku:" in asked[Period(2027, 4)][("STR-3.1", q3)]
    assert asked_for(asked, Period(2028, 1), "STR-3.1") == [Period(2027, 4)]  # given
    data = {m.metric.id: m for m in status_of(ctx, "", Period(2027, 4)).metrics()}
    assert data["STR-3.1"].evaluation.period == q3  # the report judges the newest
    # the exports list what is still lacking, with its period, until it is given
    assert not [f for f in status_of(ctx, "", Period(2027, 4)).lacking if f.metric.id == "STR-3.1"]
    for fmt in ("xlsx", "docx"):
        content = export_period(ctx, Period(2030, 1), fmt)
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(content))["Puuttuvat luvut"]
            rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
        else:
            tables = docx.Document(io.BytesIO(content)).tables
            rows = [[c.text for c in row.cells] for table in tables for row in table.rows]
        assert ["TILA-2.1", "2028", "Ei saatu: kysytty 3 kertaa"] in [
            [r[0], r[3], r[4]] for r in rows if len(r) == 5
        ], fmt
    document = json.loads(export_period(ctx, Period(2030, 1), "json"))
    lacking = {(f["id"], f["period"]["key"]): f for f in document["lacking"]}
    assert lacking[("TILA-2.1", "2028Q4")]["given_up"] and ("STR-5.1", "2026Q4") not in lacking
    csv_text = export_period(ctx, Period(2030, 1), "csv").decode("utf-8-sig")
    line = next(r for r in csv.reader(io.StringIO(csv_text), delimiter=";") if r[4] == "TILA-2.1")
    assert "2028: Ei saatu: kysytty 3 kertaa" in ";".join(line)
