"""One person's data: `goalbot person export` gives all of it, `goalbot person erase` removes
it everywhere and keeps the figures they reported, attributed to their roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from goalbot.scheduling.control import open_round_now
from goalbot.services import inbox
from goalbot.services.audit import audit_log
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import Action, OwnerInput, Reply, handle_input
from goalbot.services.rounds import queue_escalations
from goalbot.storage.models import AnswerRow, Base, PersonRow, SendRow
from tests.conftest import Clock
from tests.integration.conftest import run
from tests.report_data import Q4, bind_person

HEAD, OWNER = 7001, 7002  # the technical department's head, and the building inspector
pytestmark = pytest.mark.usefixtures("english_cli")

EXPLANATION = "Hakemuksia tuli kaksinkertaisesti"
CORRECTIVE = "Palkataan kesäksi avustaja"
REASON = "Tieto tulee vasta tammikuussa"
COMMENT = "Lupakäsittely on ruuhkautunut"
THEIRS = ("Raili", EXPLANATION, CORRECTIVE, REASON, COMMENT, "raili_r")


@pytest.fixture
def answered(ctx: AppContext, clock: Clock) -> AppContext:
    """Raili answered everything in the chat, with texts, and sent an update the bot keeps."""
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    bind_person(ctx, "tekninen-johtaja", "Teemu Tekninen", HEAD)
    bind_person(ctx, "rakennustarkastaja", "Raili Rakentaja", OWNER)
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == OWNER)
        ).one()
        person.telegram_username = "raili_r"
        uow.commit()
    open_round_now(ctx, Q4)
    with ctx.unit_of_work() as uow:  # the head is told who owes what, by name
        assert queue_escalations(uow, ctx, Q4, "2026Q4:escalate_head", to_manager=False) == 1
        uow.commit()
    update = {"update_id": 50, "message": {"message_id": 3, "date": 0, "text": "35",
              "chat": {"id": OWNER, "type": "private", "first_name": "Raili"},
              "from": {"id": OWNER, "is_bot": False, "first_name": "Raili"}}}  # fmt: skip
    assert inbox.store_received(ctx, 50, json.dumps(update), "test")

    def say(update_id: int, reply: Reply, action: Action | None = None, text: str | None = None,
            argument: str = "") -> Reply:  # fmt: skip
        version = reply.screens[0].version if action else None
        return handle_input(
            ctx, OwnerInput(update_id, OWNER, text=text, action=action, version=version,
                            argument=argument)
        )  # fmt: skip

    reply = handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    reply = say(2, reply, text="35")  # misses "below 30 days": asked why
    assert reply.screens[0].kind == "explanation"
    reply = say(3, reply, text=EXPLANATION)
    reply = say(4, reply, text=CORRECTIVE)
    reply = say(5, reply, Action.SKIP)
    reply = say(6, reply, text=REASON)
    assert reply.screens[0].kind == "recap"
    reply = say(7, reply, Action.COMMENT)
    reply = say(8, reply, Action.COMMENT, argument="1")
    reply = say(9, reply, text=COMMENT)
    assert say(10, reply, Action.CONFIRM).screens[0].kind == "done"
    return ctx


def everything(ctx: AppContext) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table, as (table, values)."""
    with ctx.unit_of_work() as uow:
        rows = []
        for table in Base.metadata.sorted_tables:
            for row in uow.session.execute(table.select()).mappings():
                rows.append((table.name, dict(row)))
        return rows


def config_for(ctx: AppContext, tmp_path: Path) -> str:
    path = tmp_path / "privacy.toml"
    path.write_text(f'[database]\nurl = "{ctx.config.database.url}"\n', encoding="utf-8")
    return str(path)


def test_export_gives_everything_about_one_person(
    answered: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--config", config_for(answered, tmp_path), "person", "export",
                         "@raili_r")  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["person"]["name"] == "Raili Rakentaja"
    assert data["person"]["telegram_user_id"] == OWNER
    assert [a["role_id"] for a in data["assignments"]] == ["rakennustarkastaja"]
    assert {a["metric_id"]: a["number"] for a in data["answers"]} == {"RV-1.1": "35",
                                                                      "RV-2.1": None}  # fmt: skip
    assert {a["explanation"] for a in data["answers"]} == {EXPLANATION, ""}
    assert [c["text"] for c in data["goal_comments"]] == [COMMENT]
    assert [s["kind"] for s in data["sends"]] == ["reminder"]
    assert [u["update"]["message"]["text"] for u in data["updates_received"]] == ["35"]
    assert {"answer", "explanation", "corrective_action", "comment", "confirm"} <= {
        a["action"] for a in data["audit"]
    }
    assert all("token" not in invite for invite in data["invites"])  # a link is a key


def test_erase_keeps_the_figures_and_removes_the_person_everywhere(
    answered: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = answered
    config = config_for(ctx, tmp_path)
    before = [row for row in everything(ctx) if row[0] == "people"]
    code, out, err = run(capsys, "--config", config, "person", "erase", "Raili Rakentaja", "--yes")
    assert (code, err) == (0, "")
    assert "Raili Rakentaja (person #2) is erased: 2 answer(s) kept" in out

    for table, row in everything(ctx):
        shown = json.dumps(row, default=str)
        for text in THEIRS:
            assert text not in shown, (table, row)
        for key, value in row.items():
            assert not (key in ("telegram_user_id", "chat_id") and value == OWNER), (table, row)
        if table == "inbox":
            assert str(OWNER) not in row["payload"]
    with ctx.unit_of_work() as uow:
        answers = {a.metric_id: a for a in uow.session.scalars(select(AnswerRow))}
        assert set(answers) == {"RV-1.1", "RV-2.1"}
        assert answers["RV-1.1"].number == Decimal(35)
        assert answers["RV-2.1"].state == "skipped"
        assert {a.answered_by_id for a in answers.values()} == {None}
        assert {a.on_behalf_of_role for a in answers.values()} == {"rakennustarkastaja"}
        assert {a.confirmed_at is not None for a in answers.values()} == {True}
        assert not uow.session.scalars(select(SendRow).where(SendRow.chat_id == OWNER)).all()
        # the other person keeps everything
        to_head = uow.session.scalars(select(SendRow).where(SendRow.chat_id == HEAD)).all()
        assert {row.kind for row in to_head} == {"reminder", "escalation"}
    assert [row for row in everything(ctx) if row[0] == "people"] == before[:1]

    erased = [e for e in audit_log(ctx) if e.action == "person_erase"]
    assert [(e.subject, e.actor) for e in erased] == [("2", "operator")]
    # the log still shows each change to the figures, attributed to the role, naming nobody
    code, _, err = run(capsys, "--config", config, "audit", "--person", "2")
    assert code == 1 and "2" in err  # nobody is that person any more
    kept = [e for e in audit_log(ctx, goal="RV-1") if e.action == "answer"]
    assert [(e.name, e.person_id, e.new and e.new["number"]) for e in kept] == [("", None, "35")]
    code, out, err = run(capsys, "--config", config, "audit", "--goal", "RV-1")
    assert code == 0 and "an erased person: answer RV-1.1 2026Q4: – → 35" in out


def test_erase_asks_first(
    answered: AppContext,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = config_for(answered, tmp_path)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    code, out, err = run(capsys, "--config", config, "person", "erase", "@raili_r")
    assert code == 1 and "nothing erased" in err
    assert "This erases everything goalbot holds about Raili Rakentaja (person #2)" in out
    assert any(row["name"] == "Raili Rakentaja" for t, row in everything(answered) if t == "people")
    monkeypatch.setattr("builtins.input", lambda prompt: "2")
    code, out, err = run(capsys, "--config", config, "person", "erase", "@raili_r")
    assert (code, err) == (0, "") and "is erased" in out
    code, _, err = run(capsys, "--config", config, "person", "export", "@raili_r")
    assert code == 1 and "raili_r" in err
