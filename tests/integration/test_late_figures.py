"""/vastaa: a figure for a period whose round has closed is still given, by whoever holds the
role of its goal, with the chat's checks, and the reports stop listing it as lacking."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from goalbot.domain.periods import Period
from goalbot.reporting.rendering import render
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.access import Command, Verdict, decide, menu_of, who_is
from goalbot.services.context import AppContext
from goalbot.services.entry import give_figure
from goalbot.services.progress import lacking_for, status_of
from goalbot.services.questionnaire import stored_answer
from tests.conftest import Clock
from tests.report_data import bind_person

MANAGER, CATERING = 6001, 6002
ROUNDS = (Period(2027, 1), Period(2027, 2), Period(2027, 3))


@pytest.fixture
def closed(sqlite_ctx: AppContext, clock: Clock) -> AppContext:
    """Three rounds of 2027 held and closed with nothing answered: the 2026 figures of the
    yearly statistics were asked three times and are missing; no round is open."""
    ctx = sqlite_ctx
    bind_person(ctx, "kaupunginjohtaja", "Kaisa Kaupunki", MANAGER)
    bind_person(ctx, "tilapalvelupaallikko", "Tiina Tila", CATERING)
    for period in ROUNDS:
        clock.set(datetime.combine(period.last_day.replace(day=10), time(9), tzinfo=UTC))
        open_round_now(ctx, period)
        close_round_now(ctx, period)
    clock.set(datetime(2027, 11, 2, 9, tzinfo=UTC))
    return ctx


def test_a_figure_given_up_on_is_still_given_late_and_leaves_the_reports(
    closed: AppContext,
) -> None:
    ctx = closed
    lacking, open_round = lacking_for(ctx, MANAGER)
    assert open_round is None
    population = {(f.metric.id, f.period): f for f in lacking}[("STR-5.1", Period(2026, 4))]
    assert population.given_up and population.rounds == 3
    listing = render("chat/late_figure.html.j2", "fi", code="list", lacking=lacking)
    assert "<code>/vastaa STR-5.1 2026 </code>" in listing
    assert not {f.metric.id for f in lacking} & {"TILA-2.1"}  # another role's

    given = give_figure(ctx, MANAGER, ["STR-5.1", "2026", "−60"])
    assert given.code == "saved"
    answer = stored_answer(ctx, "STR-5.1", Period(2026, 4))
    assert answer is not None and answer.value.number == Decimal(-60) and answer.confirmed
    assert answer.answered_by == "Kaisa Kaupunki"
    text = render("chat/late_figure.html.j2", "fi", given=given, code=given.code)
    assert "✓ Tallennettu" in text and "2026: <b>−60" in text
    # the reports of the closed rounds, and the next ones, no longer lack it
    assert ("STR-5.1", Period(2026, 4)) not in {
        (f.metric.id, f.period) for f in status_of(ctx, "", Period(2027, 3)).lacking
    }
    assert ("STR-5.1", Period(2026, 4)) not in {
        (f.metric.id, f.period) for f in lacking_for(ctx, MANAGER)[0]
    }
    # the same figure again changes nothing
    assert give_figure(ctx, MANAGER, ["str-5.1", "2026", "-60"]).code == "unchanged"


def test_only_the_roles_holders_and_the_administrators_give_a_metrics_figure(
    closed: AppContext,
) -> None:
    ctx = closed
    assert give_figure(ctx, CATERING, ["STR-5.1", "2026", "-60"]).code == "not_yours"
    manager = who_is(ctx, MANAGER)
    catering = who_is(ctx, CATERING)
    # owners in private, for their own metrics; administrators any, in private
    assert decide(catering, Command.ANSWER, True, False) == Verdict.ALLOWED
    assert decide(catering, Command.ANSWER, False, True) == Verdict.PRIVATE_ONLY
    assert "vastaa" in menu_of(manager) and "vastaa" in menu_of(catering)
    assert give_figure(ctx, CATERING, ["TILA-2.1", "2026", "11 500"]).code == "saved"


def test_a_late_figure_is_checked_as_the_chat_checks_an_answer(closed: AppContext) -> None:
    ctx = closed
    cases = {
        ("STR-5.1",): "usage",
        ("XYZ-1.1", "2026", "5"): "unknown_metric",
        ("STR-5.1", "kesä", "5"): "not_a_period",
        ("STR-5.1", "2031", "5"): "outside_term",
        ("STR-5.1", "Q2/2026", "5"): "not_described",
        ("STR-5.1", "2026", "paljon"): "not_a_number",
    }
    for words, code in cases.items():
        given = give_figure(ctx, MANAGER, list(words))
        assert given.code == code, words
        text = render("chat/late_figure.html.j2", "fi", given=given, code=given.code)
        assert text.strip() and "Traceback" not in text
        assert stored_answer(ctx, "STR-5.1", Period(2026, 4)) is None
    # a figure a thousand times off the baseline (11 715 kg) is questioned, not stored
    typed = give_figure(ctx, CATERING, ["TILA-2.1", "2026", "11.715"])
    assert typed.code == "implausible" and typed.params["other"] == Decimal(11715)
    text = render("chat/late_figure.html.j2", "fi", given=typed, code=typed.code)
    assert "<code>/vastaa TILA-2.1 2026 11\u00a0715</code>" in text
    assert "<code>/vastaa TILA-2.1 2026 11.715 !</code>" in text
    assert stored_answer(ctx, "TILA-2.1", Period(2026, 4)) is None
    assert give_figure(ctx, CATERING, ["TILA-2.1", "2026", "11.715", "!"]).code == "saved"
    stored = stored_answer(ctx, "TILA-2.1", Period(2026, 4))
    assert stored is not None and stored.value.number == Decimal("11.715")


def test_a_figure_skipped_with_a_reason_is_listed_as_missing_in_the_later_reports(
    sqlite_ctx: AppContext, clock: Clock
) -> None:
    from goalbot.domain.answers import AnswerValue
    from goalbot.reporting.export import csv_rows
    from goalbot.reporting.report_texts import status_report, summary_parts
    from tests.report_data import set_answer

    ctx = sqlite_ctx
    bind_person(ctx, "kaupunginjohtaja", "Kaisa Kaupunki", MANAGER)
    q1 = Period(2027, 1)
    clock.set(datetime.combine(q1.last_day.replace(day=10), time(9), tzinfo=UTC))
    open_round_now(ctx, q1)
    # the population change of 2026, asked in the first round of 2027, skipped with a reason
    set_answer(
        ctx, "STR-5.1", Period(2026, 4), AnswerValue.skipped("Tilasto viivästyy"), "", "", MANAGER
    )
    close_round_now(ctx, q1)
    for later in (q1, Period(2027, 2)):
        skipped = {(f.metric.id, f.period): f for f in status_of(ctx, "", later).lacking}
        figure = skipped[("STR-5.1", Period(2026, 4))]
        assert figure.skipped == "Tilasto viivästyy"
    assert "2026 (ohitettu: Tilasto viivästyy)" in status_report(ctx, "STR-5", q1)
    assert "2026 (ohitettu: Tilasto viivästyy)" in "\n".join(summary_parts(ctx, q1, 4000))
    cells = {cell for row in csv_rows(status_of(ctx, "", q1), "sv") for cell in row}
    assert any("Överhoppad: Tilasto viivästyy" in cell for cell in cells)
    lacking, _ = lacking_for(ctx, MANAGER)
    listing = render("chat/late_figure.html.j2", "en", code="list", lacking=lacking)
    assert "(skipped: Tilasto viivästyy)" in listing
    # given late, it is no longer missing
    assert give_figure(ctx, MANAGER, ["STR-5.1", "2026", "−60"]).code == "saved"
    assert ("STR-5.1", Period(2026, 4)) not in {
        (f.metric.id, f.period) for f in status_of(ctx, "", q1).lacking
    }


def test_a_late_figure_that_misses_its_target_asks_why_and_what_is_done(
    closed: AppContext,
) -> None:
    from goalbot.services.questionnaire import OwnerInput, handle_input

    ctx = closed
    given = give_figure(ctx, MANAGER, ["STR-5.1", "2026", "−60"])
    assert given.code == "saved" and given.params["missed"]
    for language, asked in (
        ("fi", "Luku ei saavuta tavoitetta"),
        ("sv", "Siffran når inte målet"),
        ("en", "falls short of the target"),
    ):
        text = render("chat/late_figure.html.j2", language, given=given, code=given.code)
        assert asked in text
    first = handle_input(ctx, OwnerInput(501, MANAGER, text="Muuttotappio jatkui"))
    assert first.screens[0].note == "late_explanation"
    # the same update again changes nothing
    assert not handle_input(ctx, OwnerInput(501, MANAGER, text="Muuttotappio jatkui")).screens
    second = handle_input(ctx, OwnerInput(502, MANAGER, text="Asuntotonttien markkinointi"))
    assert second.screens[0].note == "late_corrective"
    answer = stored_answer(ctx, "STR-5.1", Period(2026, 4))
    assert answer is not None
    assert answer.explanation == "Muuttotappio jatkui"
    assert answer.corrective_action == "Asuntotonttien markkinointi"
    # asked no more: the next text is the chat's as usual (no round is open)
    assert handle_input(ctx, OwnerInput(503, MANAGER, text="kiitos")).screens[0].note == (
        "no_open_round"
    )


def test_a_late_figure_on_target_asks_nothing_more(closed: AppContext) -> None:
    from goalbot.services.questionnaire import OwnerInput, handle_input

    ctx = closed
    given = give_figure(ctx, MANAGER, ["STR-5.1", "2026", "25"])
    assert given.code == "saved" and not given.params["missed"]
    text = render("chat/late_figure.html.j2", "fi", given=given, code=given.code)
    assert "tavoitetta" not in text
    note = handle_input(ctx, OwnerInput(601, MANAGER, text="selitys")).screens[0].note
    assert note == "no_open_round"


def test_a_report_shows_the_date_an_answer_had_at_its_period(
    sqlite_ctx: AppContext, clock: Clock
) -> None:
    from sqlalchemy import select

    from goalbot.domain.answers import AnswerValue
    from goalbot.reporting.report_texts import status_report
    from goalbot.storage.models import PersonRow
    from goalbot.storage.repositories import save_answer

    ctx = sqlite_ctx
    bind_person(ctx, "kaupunginjohtaja", "Kaisa Kaupunki", MANAGER)

    def no_data_in(round_period: Period, day: datetime) -> None:
        clock.set(day)
        open_round_now(ctx, round_period)
        with ctx.unit_of_work() as uow:
            person = uow.session.scalars(
                select(PersonRow).where(PersonRow.telegram_user_id == MANAGER)
            ).one()
            value = AnswerValue.no_data()
            save_answer(
                uow, "STR-5.1", Period(2026, 4), value, person, ctx.now(), round_period=round_period
            )
            uow.commit()
        close_round_now(ctx, round_period)

    # the population change of 2026: "Ei tietoa vielä" in the first round of 2027, and again
    # in the second
    no_data_in(Period(2027, 1), datetime(2027, 3, 20, 9, tzinfo=UTC))
    no_data_in(Period(2027, 2), datetime(2027, 6, 18, 9, tzinfo=UTC))
    first = status_report(ctx, "STR-5", Period(2027, 1))
    assert "Vastasi Kaisa Kaupunki 20.3.2027" in first
    assert "18.6.2027" not in first
    assert "Vastasi Kaisa Kaupunki 18.6.2027" in status_report(ctx, "STR-5", Period(2027, 2))
