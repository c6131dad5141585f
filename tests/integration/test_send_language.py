"""A send is in its recipient's language as it was when the send was queued."""

from __future__ import annotations

from sqlalchemy import select

from goalbot.domain.protocol import SendKind
from goalbot.services.context import AppContext
from goalbot.services.languages import choose_language
from goalbot.services.outbox import claim_due, follow_migration, queue_send, resend
from goalbot.storage.models import SendRow
from goalbot.storage.repositories import get_setting, set_setting
from tests.report_data import Q4, bind_person, close_round_of, open_round_without_deadline

GROUP = -100777


def languages_of(ctx: AppContext, kind: SendKind) -> dict[int, str | None]:
    with ctx.unit_of_work() as uow:
        rows = uow.session.scalars(select(SendRow).where(SendRow.kind == kind.value))
        return {row.chat_id: row.language for row in rows}


def test_reminders_are_queued_in_each_owners_language(sqlite_ctx: AppContext) -> None:
    ctx = sqlite_ctx
    bind_person(ctx, "ymparistopaallikko", "Maija", 5001)
    bind_person(ctx, "rakennustarkastaja", "Sven", 5002)
    choose_language(ctx, "sv", 5002, 5002, True)
    open_round_without_deadline(ctx, Q4)
    assert languages_of(ctx, SendKind.REMINDER) == {5001: "fi", 5002: "sv"}
    # a language chosen after the send was queued does not change it
    choose_language(ctx, "en", 5002, 5002, True)
    assert languages_of(ctx, SendKind.REMINDER)[5002] == "sv"


def test_the_summary_is_in_the_groups_language_and_a_resend_keeps_it(
    sqlite_ctx: AppContext,
) -> None:
    ctx = sqlite_ctx
    with ctx.unit_of_work() as uow:
        set_setting(uow, "management_chat_id", str(GROUP), ctx.now())
        uow.commit()
    choose_language(ctx, "en", 1, GROUP, False)
    open_round_without_deadline(ctx, Q4)
    close_round_of(ctx, Q4)
    assert languages_of(ctx, SendKind.SUMMARY) == {GROUP: "en"}
    with ctx.unit_of_work() as uow:
        row = uow.session.scalars(select(SendRow).where(SendRow.kind == "summary")).one()
        row.status = "uncertain"
        send_id = row.id
        uow.commit()
    choose_language(ctx, "sv", 1, GROUP, False)
    assert resend(ctx, send_id).language == "en"


def test_a_chat_without_a_language_of_its_own_gets_the_towns_default(
    sqlite_ctx: AppContext,
) -> None:
    ctx = sqlite_ctx
    with ctx.unit_of_work() as uow:
        queue_send(uow, "notice:x", SendKind.ADMIN_NOTICE, 4242, ctx.now())
        uow.commit()
    assert languages_of(ctx, SendKind.ADMIN_NOTICE) == {4242: None}


def test_the_groups_language_follows_it_to_its_supergroup(sqlite_ctx: AppContext) -> None:
    ctx = sqlite_ctx
    with ctx.unit_of_work() as uow:
        set_setting(uow, "management_chat_id", str(GROUP), ctx.now())
        uow.commit()
    choose_language(ctx, "sv", 1, GROUP, False)
    assert follow_migration(ctx, GROUP, GROUP - 1)
    with ctx.unit_of_work() as uow:
        assert get_setting(uow, f"chat_language:{GROUP - 1}") == "sv"


def _queued_before_the_upgrade(ctx: AppContext, kind: SendKind) -> None:
    """As a send queued by a goalbot that kept no language with it: language NULL."""
    with ctx.unit_of_work() as uow:
        for row in uow.session.scalars(select(SendRow).where(SendRow.kind == kind.value)):
            row.language = None
        uow.commit()


def test_a_send_queued_before_sends_kept_a_language_goes_out_in_its_recipients(
    sqlite_ctx: AppContext,
) -> None:
    ctx = sqlite_ctx
    bind_person(ctx, "ymparistopaallikko", "Maija", 5001)
    bind_person(ctx, "rakennustarkastaja", "Sven", 5002)
    choose_language(ctx, "sv", 5002, 5002, True)
    open_round_without_deadline(ctx, Q4)
    _queued_before_the_upgrade(ctx, SendKind.REMINDER)
    claimed = {send.chat_id: send.language for send in claim_due(ctx, "test")}
    assert claimed[5002] == "sv"
    assert claimed[5001] == "fi"
    # and it keeps it from then on, as every send does
    assert languages_of(ctx, SendKind.REMINDER)[5002] == "sv"


def test_a_send_half_delivered_before_the_upgrade_stays_in_the_towns_language(
    sqlite_ctx: AppContext,
) -> None:
    ctx = sqlite_ctx
    bind_person(ctx, "rakennustarkastaja", "Sven", 5002)
    choose_language(ctx, "sv", 5002, 5002, True)
    open_round_without_deadline(ctx, Q4)
    _queued_before_the_upgrade(ctx, SendKind.REMINDER)
    with ctx.unit_of_work() as uow:
        row = uow.session.scalars(select(SendRow).where(SendRow.chat_id == 5002)).one()
        row.status = "retry"
        row.progress = {"total": 2, "done": [0], "uncertain": [], "in_flight": None, "skip": []}
        uow.commit()
    claimed = {send.chat_id: send.language for send in claim_due(ctx, "test")}
    assert claimed[5002] is None
