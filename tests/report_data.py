"""Answers for report tests: every metric of the catalogue answered, with long explanations."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import select

from goalbot.domain.answers import AnswerValue
from goalbot.domain.goals import Metric, MetricKind
from goalbot.domain.periods import Period
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.rounds import RoundClosed, RoundOpened, close_round, open_round
from goalbot.storage.models import PersonRow
from goalbot.storage.repositories import save_answer, save_comment, save_text

Q3 = Period(2026, 3)
Q4 = Period(2026, 4)

# escaping matters: the texts carry <, >, & and quotes, as people write them
EXPLANATION_SENTENCE = (
    "Hankinta viivästyi, koska tarjouksia tuli vain yksi & sekin yli budjetin (<50 % tukea); "
    'lautakunta käsittelee asian "uudelleen" seuraavassa kokouksessa. '
)
CORRECTIVE_SENTENCE = "Kilpailutetaan uudelleen > 2 toimittajaa & aikataulu tarkistetaan. "


def long_text(sentence: str, length: int) -> str:
    """``sentence`` repeated up to ``length`` characters (500 is what an owner may write)."""
    text = (sentence * (length // len(sentence) + 1))[:length]
    return text.rstrip()


def open_round_without_deadline(ctx: AppContext, period: Period) -> RoundOpened:
    """Open ``period``'s round with no planned close (the reports then show no deadline)."""
    with ctx.unit_of_work() as uow:
        opened = open_round(uow, ctx, period, None)
        uow.commit()
        return opened


def close_round_of(ctx: AppContext, period: Period) -> RoundClosed:
    """Close ``period``'s round and queue its summary."""
    with ctx.unit_of_work() as uow:
        closed = close_round(uow, ctx, period)
        uow.commit()
        return closed


def bind_person(ctx: AppContext, role_id: str, name: str, telegram_user_id: int) -> None:
    """Give ``role_id`` to a person through an accepted invite."""
    invite = invite_owner(ctx, role_id, name)
    accept_invite(ctx, invite.token, telegram_user_id)


def _clamp(number: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    if low is not None and number < low:
        return low
    if high is not None and number > high:
        return high
    return number


def figure_for(metric: Metric, index: int, period: Period) -> Decimal:
    """A plausible figure that varies from metric to metric and from period to period."""
    swing = Decimal((index + period.quarter) % 5 - 2)
    if metric.kind == MetricKind.SURVEY and metric.scale is not None:
        low, high = metric.scale
        return _clamp(high - Decimal("0.6") + swing / 5, low, high)
    if metric.kind == MetricKind.COMPLETION:
        return Decimal(20 * period.quarter)
    base = metric.baseline.value if isinstance(metric.baseline.value, Decimal) else None
    if base is None:
        base = metric.target.value if isinstance(metric.target.value, Decimal) else Decimal(50)
    number = base + swing * (Decimal("0.4") if metric.unit == "%" else Decimal(1))
    if metric.kind == MetricKind.COUNT:
        return _clamp(number.to_integral_value(), Decimal(0), None)
    if metric.is_percentage:
        return _clamp(number, Decimal(0), Decimal(100))
    return number


def fill_answers(
    ctx: AppContext,
    periods: tuple[Period, ...] = (Q3, Q4),
    explanation_length: int = 480,
    unanswered_every: int = 9,
    where: Callable[[Metric], bool] = lambda metric: True,
) -> None:
    """Answer every metric (``where`` it holds) in every period (some left unanswered in the
    last one).

    In the last period every answer gets an explanation and a corrective action of
    ``explanation_length`` characters, and every third goal a comment.
    """
    catalogue = get_catalogue(ctx)
    last = periods[-1]
    with ctx.unit_of_work() as uow:
        people = {p.id: p for p in uow.session.scalars(select(PersonRow))}
        person = next(iter(people.values()), None)
        for index, metric in enumerate(catalogue.metrics()):
            if metric.same_as or not where(metric):
                continue  # answered as the metric it is the same as, or left to the test
            for period in periods:
                if period == last and index % unanswered_every == 4:
                    continue
                if metric.kind == MetricKind.YES_NO:
                    done = index % 3 != 0 if period != last else index % 4 != 1
                    value = AnswerValue.of_flag(done)
                elif period == last and index % 13 == 6:
                    value = AnswerValue.no_data()
                elif period == last and index % 17 == 8:
                    value = AnswerValue.skipped("Kysely siirtyi ensi vuoteen")
                else:
                    value = AnswerValue.of_number(figure_for(metric, index, period))
                row, _ = save_answer(uow, metric.id, period, value, person, ctx.now())
                if period == last:
                    text = long_text(EXPLANATION_SENTENCE, explanation_length)
                    save_text(uow, row, "explanation", text, person, ctx.now())
                    fix = long_text(CORRECTIVE_SENTENCE, explanation_length)
                    save_text(uow, row, "corrective_action", fix, person, ctx.now())
        for number, goal in enumerate(catalogue.goals):
            if number % 3 == 0:
                text = f"Kommentti tavoitteeseen {goal.id} <ok> & hyvä."
                save_comment(uow, goal.id, last, text, person, ctx.now())
        uow.commit()


def set_answer(
    ctx: AppContext,
    metric_id: str,
    period: Period,
    value: AnswerValue,
    explanation: str = "",
    corrective_action: str = "",
    telegram_user_id: int | None = None,
) -> None:
    """Store one answer (as the person with ``telegram_user_id``, if given)."""
    with ctx.unit_of_work() as uow:
        person = None
        if telegram_user_id is not None:
            person = uow.session.scalars(
                select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
            ).one()
        row, _ = save_answer(uow, metric_id, period, value, person, ctx.now())
        if explanation:
            save_text(uow, row, "explanation", explanation, person, ctx.now())
        if corrective_action:
            save_text(uow, row, "corrective_action", corrective_action, person, ctx.now())
        uow.commit()


@cache
def answered_town(explanation_length: int = 480, director: bool = True) -> Callable[..., None]:
    """A template's preparation (tests.conftest.Templates): the technical director bound to
    their role (``director``) and every metric answered by ``fill_answers``. The same
    arguments give the same step, so its database is made once per test process."""

    def prepare(ctx: AppContext, _clock: Any) -> None:
        if director:
            bind_person(ctx, "tekninen-johtaja", "Teemu Tekninen", 9001)
        fill_answers(ctx, explanation_length=explanation_length)

    prepare.__name__ = f"answered_{explanation_length}{'_director' if director else ''}"
    return prepare
