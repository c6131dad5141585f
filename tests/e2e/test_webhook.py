"""Webhook mode: Telegram (the fake server) posts each update; the bot keeps it, then says 200.

The webhook is set with the secret, ``allowed_updates`` limited and pending updates kept; a
request without the right secret is refused (403) and logged once; an update that could not be
kept (the database did not answer) is answered 503, posted again and applied once.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from goalbot.chat.application import ALLOWED_UPDATES
from goalbot.services import inbox
from goalbot.services.context import AppContext
from goalbot.storage.models import InboxRow
from tests.e2e.chat_steps import bind, header, start_answering, stored_answers
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi
from tests.reliability.cluster import free_ports

SECRET = "kokemaki_Secret-42"


def webhook_ctx(ctx: AppContext, botapi: FakeBotApi) -> tuple[AppContext, str]:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}/goalbot/kokemaki"
    settings = {"mode": "webhook", "webhook_url": url, "port": port, "secret_token": SECRET}
    return with_telegram(ctx, botapi, **settings), url


async def test_updates_arrive_by_webhook_and_are_answered(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx, url = webhook_ctx(q4_ctx, botapi)
    owner = botapi.driver.create_user("Reino")
    async with running_bot(ctx):
        (call,) = botapi.driver.requests_for("setWebhook")
        assert call.params["url"] == url
        assert call.params["secret_token"] == SECRET
        assert json.loads(call.params["allowed_updates"]) == ALLOWED_UPDATES
        assert call.params.get("drop_pending_updates") in (None, False, "false")
        assert botapi.state.allowed_updates == ALLOWED_UPDATES
        await bind(owner, ctx, "elinvoima-hyvinvointipaallikko", "Reino Rakentaja")
        first = await start_answering(ctx, owner)
        owner.press("Kyllä", message_id=first.message_id)
        second = await owner.wait_for_message(after=first)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert second.content.startswith(header(2, 6)), second.content
    assert not botapi.driver.requests_for("getUpdates")  # nothing polled
    deliveries = botapi.state.webhook_deliveries
    assert deliveries and all(d.status == 200 for d in deliveries), deliveries
    answers = stored_answers(ctx)
    assert len(answers) == 1 and next(iter(answers.values())).flag is True


async def test_a_request_without_the_secret_is_refused_and_logged_once(
    q4_ctx: AppContext, botapi: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    ctx, url = webhook_ctx(q4_ctx, botapi)
    body = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1}}}
    caplog.set_level(logging.WARNING, logger="goalbot.chat.webhook")
    async with running_bot(ctx), httpx.AsyncClient() as client:
        answers = [
            await client.post(url, json=body),
            await client.post(url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}),
            await client.post(url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": ""}),
        ]
        assert [a.status_code for a in answers] == [403, 403, 403]
        good = await client.post(
            url,
            content=b"[]",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        )
        assert good.status_code == 400  # the secret is right; the body is no update
    refused = [r for r in caplog.records if "refused a webhook request" in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in caplog.records]
    with ctx.unit_of_work() as uow:
        assert uow.session.scalars(select(InboxRow)).first() is None  # nothing was kept


async def test_an_update_that_could_not_be_kept_is_not_confirmed(
    q4_ctx: AppContext, botapi: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, _ = webhook_ctx(q4_ctx, botapi)
    owner = botapi.driver.create_user("Reino")
    failures = {"left": 0}
    record = inbox.record

    def unreachable_for_a_while(ctx: AppContext, instance: str, marks: inbox.Marks) -> set[int]:
        if failures["left"] and marks.received:  # keeping an update that has just arrived
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("connection refused"))
        return record(ctx, instance, marks)

    monkeypatch.setattr(inbox, "record", unreachable_for_a_while)
    async with running_bot(ctx):
        await bind(owner, ctx, "elinvoima-hyvinvointipaallikko", "Reino Rakentaja")
        first = await start_answering(ctx, owner)
        failures["left"] = 2
        owner.press("Kyllä", message_id=first.message_id)
        second = await owner.wait_for_message(after=first, timeout=20)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert second.content.startswith(header(2, 6)), second.content
    pressed = max(d.update_id for d in botapi.state.webhook_deliveries)
    statuses = [d.status for d in botapi.state.webhook_deliveries if d.update_id == pressed]
    assert statuses == [503, 503, 200], statuses
    answers = stored_answers(ctx)
    assert len(answers) == 1 and len(next(iter(answers.values())).history) == 1
