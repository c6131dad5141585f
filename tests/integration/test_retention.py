"""Retention ([data]): what is older than its setting is removed, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from goalbot.config import ConfigError, DataConfig, parse_config
from goalbot.domain.answers import AnswerValue
from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.services import inbox
from goalbot.services.context import AppContext
from goalbot.services.outbox import queue_send
from goalbot.services.privacy import apply_retention
from goalbot.storage.models import AnswerRow, AuditRow, GoalCommentRow, InboxRow, SendRow
from goalbot.storage.repositories import save_answer, save_comment, save_text
from tests.conftest import Clock

OLD, KEPT = Period(2026, 1), Period(2026, 2)  # ended ten years and a bit / under ten years ago
NOW = datetime(2036, 6, 15, 9, 0, tzinfo=UTC)


def write(ctx: AppContext, period: Period, word: str) -> None:
    """A figure with an explanation, a skipped answer with its reason and a goal comment."""
    with ctx.unit_of_work() as uow:
        row, _ = save_answer(uow, "RV-1.1", period, AnswerValue.of_number(Decimal(35)), None,
                             ctx.now())  # fmt: skip
        save_text(uow, row, "explanation", f"{word} selitys", None, ctx.now())
        save_text(uow, row, "corrective_action", f"{word} korjaus", None, ctx.now())
        save_answer(uow, "RV-2.1", period, AnswerValue.skipped(f"{word} syy"), None, ctx.now())
        save_comment(uow, "RV-1", period, f"{word} kommentti", None, ctx.now())
        uow.commit()


def send(ctx: AppContext, key: str, status: SendStatus) -> None:
    with ctx.unit_of_work() as uow:
        queue_send(uow, key, SendKind.REMINDER, 5001, ctx.now())
        row = uow.session.scalars(select(SendRow).where(SendRow.key == key)).one()
        row.status = status.value
        uow.commit()


@pytest.fixture
def kept_data(ctx: AppContext, clock: Clock) -> AppContext:
    clock.set(datetime(2026, 4, 10, 9, 0, tzinfo=UTC))
    write(ctx, OLD, "vanha")
    clock.set(datetime(2026, 7, 10, 9, 0, tzinfo=UTC))
    write(ctx, KEPT, "uusi")
    for days, key, status in (
        (401, "old-sent", SendStatus.SENT),
        (401, "old-pending", SendStatus.PENDING),  # never removed before its fate is known
        (399, "young-sent", SendStatus.SENT),
    ):
        clock.set(NOW - timedelta(days=days))
        send(ctx, key, status)
    for days, update_id in ((4, 1), (2, 2)):
        clock.set(NOW - timedelta(days=days))
        inbox.store_received(ctx, update_id, '{"update_id": 1}', "bot")
    clock.set(NOW)
    return ctx


def test_retention_removes_what_is_older_and_nothing_else(kept_data: AppContext) -> None:
    ctx = kept_data
    assert ctx.config.data == DataConfig(3, 10, 400)
    removed = apply_retention(ctx)
    assert (removed.updates, removed.texts, removed.comments, removed.sends) == (1, 3, 1, 1)
    with ctx.unit_of_work() as uow:
        answers = {(a.metric_id, a.period): a for a in uow.session.scalars(select(AnswerRow))}
        old, kept = answers["RV-1.1", OLD.key], answers["RV-1.1", KEPT.key]
        assert old.number == kept.number == Decimal(35)  # the figures stay
        assert (old.explanation, old.corrective_action) == ("", "")
        assert (kept.explanation, kept.corrective_action) == ("uusi selitys", "uusi korjaus")
        assert answers["RV-2.1", OLD.key].state == "skipped"
        assert answers["RV-2.1", OLD.key].reason == ""
        assert answers["RV-2.1", KEPT.key].reason == "uusi syy"
        written = [(c.period, c.text) for c in uow.session.scalars(select(GoalCommentRow))]
        assert written == [(KEPT.key, "uusi kommentti")]
        histories = " ".join(str((c.old, c.new)) for a in answers.values() for c in a.history)
        audit = " ".join(str((r.old, r.new)) for r in uow.session.scalars(select(AuditRow)))
        assert "vanha" not in histories and "vanha" not in audit
        assert all(f"uusi {w}" in histories for w in ("selitys", "korjaus", "syy"))
        assert all(f"uusi {w}" in audit for w in ("selitys", "korjaus", "syy", "kommentti"))
        keys = set(uow.session.scalars(select(SendRow.key)))
        assert keys == {"old-pending", "young-sent"}
        assert list(uow.session.scalars(select(InboxRow.update_id))) == [2]
    again = apply_retention(ctx)
    assert again.removed == 0


def test_a_shorter_setting_removes_more(kept_data: AppContext) -> None:
    ctx = replace(kept_data, config=replace(kept_data.config, data=DataConfig(1, 1, 90)))
    removed = apply_retention(ctx)
    assert (removed.updates, removed.comments, removed.sends) == (2, 2, 2)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("keep_update_ids_days = 7", "data.keep_update_ids_days: must be at most 6, not 7"),
        ("keep_update_ids_days = 0", "data.keep_update_ids_days: must be at least 1, not 0"),
        ("keep_free_texts_years = 0", "data.keep_free_texts_years: must be at least 1, not 0"),
        ("keep_sends_days = 10", "data.keep_sends_days: must be at least 90, not 10"),
        ("keep_logs = 1", "data.keep_logs: unknown key"),
    ],
)
def test_retention_settings_are_checked(text: str, problem: str) -> None:
    import tomllib

    with pytest.raises(ConfigError) as caught:
        parse_config({"data": tomllib.loads(text)}, {})
    assert caught.value.problems[0].startswith(problem)


def test_the_defaults_are_kept_and_a_variable_overrides_one() -> None:
    config = parse_config({}, {"GOALBOT_DATA__KEEP_SENDS_DAYS": "730"})
    assert config.data == DataConfig(keep_update_ids_days=3, keep_free_texts_years=10,
                                     keep_sends_days=730)  # fmt: skip
