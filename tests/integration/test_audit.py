"""The audit log: every change to answers, roles, invites, the catalogue, rounds and the
administrators' sends is one row, written with the change, and `goalbot audit` prints it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.audit import audit_log
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import assign_role, invite_owner, pause_nudges, revoke_role
from goalbot.services.questionnaire import Action, OwnerInput, Reply, handle_input
from goalbot.services.rounds import choose_management_group, resend_summary
from goalbot.storage.models import AuditRow
from tests.conftest import Clock
from tests.integration.conftest import run
from tests.report_data import Q4, bind_person

pytestmark = pytest.mark.usefixtures("english_cli")

OWNER = 7002  # the building inspector: RV-1.1 (days, below 30) and RV-2.1 (yes/no)


@pytest.fixture
def round_ctx(ctx: AppContext, clock: Clock) -> AppContext:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    bind_person(ctx, "rakennustarkastaja", "Raili Rakentaja", OWNER)
    open_round_now(ctx, Q4)
    return ctx


def press(
    ctx: AppContext, update_id: int, reply: Reply, action: Action, argument: str = ""
) -> Reply:
    version = reply.screens[0].version
    return handle_input(ctx, OwnerInput(update_id, OWNER, action=action, version=version,
                                        argument=argument))  # fmt: skip


def config_for(ctx: AppContext, tmp_path: Path) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(f'[database]\nurl = "{ctx.config.database.url}"\n', encoding="utf-8")
    return path


def test_an_answer_changed_three_times_shows_three_audit_rows(
    round_ctx: AppContext, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = round_ctx
    reply = handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    assert reply.screens[0].item is not None
    assert reply.screens[0].item.metric.id == "RV-1.1"
    reply = press(ctx, 2, reply, Action.NO_DATA)
    reply = press(ctx, 3, reply, Action.NO_DATA)
    assert reply.screens[0].kind == "recap"
    clock.advance(minutes=5)
    reply = press(ctx, 4, reply, Action.CHANGE, "1")
    reply = handle_input(ctx, OwnerInput(5, OWNER, text="28"))
    clock.advance(minutes=5)
    reply = press(ctx, 6, reply, Action.CHANGE, "1")
    reply = handle_input(ctx, OwnerInput(7, OWNER, text="25 päivää"))
    assert reply.screens[0].kind == "recap"
    press(ctx, 8, reply, Action.CONFIRM)

    rows = [e for e in audit_log(ctx, goal="RV-1") if e.subject == "RV-1.1"]
    answers = [(e.old, e.new) for e in rows if e.action == "answer"]
    assert [(old and old["number"], new and new["number"]) for old, new in answers] == [
        (None, None),
        (None, "28"),
        ("28", "25"),
    ]
    assert [new and new["state"] for _, new in answers] == ["no_data", "value", "value"]
    assert {e.name for e in rows} == {"Raili Rakentaja"}
    assert {e.actor for e in rows} == {"person"}
    assert [e.action for e in rows][-1] == "confirm"

    config = config_for(ctx, tmp_path)
    code, out, err = run(capsys, "--config", str(config), "audit", "--goal", "RV-1")
    assert (code, err) == (0, "")
    lines = [line for line in out.splitlines() if " answer RV-1.1 " in line]
    assert len(lines) == 3
    assert lines[0].endswith("Raili Rakentaja: answer RV-1.1 2026Q4: – → no data yet")
    assert lines[1].endswith("answer RV-1.1 2026Q4: no data yet → 28")
    assert lines[2].endswith("answer RV-1.1 2026Q4: 28 → 25")

    code, out, _ = run(capsys, "--config", str(config), "audit", "--person", "Raili Rakentaja",
                       "--format", "json")  # fmt: skip
    entries = json.loads(out)["audit"]
    assert code == 0 and {e["person"] for e in entries} == {"Raili Rakentaja"}
    assert sum(e["action"] == "answer" for e in entries) == 4  # RV-2.1 once, RV-1.1 thrice
    code, out, _ = run(capsys, "--config", str(config), "audit", "--since", "2026-12-17")
    assert code == 0 and "No changes recorded that match." in out
    code, _, err = run(capsys, "--config", str(config), "audit", "--since", "eilen")
    assert code == 2 and "is not a date" in err


def test_every_kind_of_change_is_written_once_with_who_made_it(
    round_ctx: AppContext, tmp_path: Path
) -> None:
    ctx = round_ctx
    with ctx.unit_of_work() as uow:
        before = len(list(uow.session.scalars(select(AuditRow))))
    invite = invite_owner(ctx, "rakennustarkastaja", "Veera Varahenkilö", "deputy")
    invite_owner(ctx, "rakennustarkastaja", "Ville Varahenkilö", "deputy")  # voids the first
    pause_nudges(ctx, "Raili Rakentaja", datetime(2026, 12, 31).date())
    assign_role(ctx, "tekninen-johtaja", "Raili Rakentaja")
    revoke_role(ctx, "tekninen-johtaja")
    choose_management_group(ctx, -100123)
    close_round_now(ctx, Q4)
    resend_summary(ctx, Q4)
    path = tmp_path / "catalogue.toml"
    with ctx.unit_of_work() as uow:
        from goalbot.storage.models import CatalogueRow

        text = uow.session.scalars(select(CatalogueRow.source_text)).one()
    path.write_text(text, encoding="utf-8")
    load_catalogue(ctx, path)

    entries = audit_log(ctx)[before:]
    assert [(e.action, e.subject) for e in entries] == [
        ("invite", "rakennustarkastaja"),
        ("invite_revoked", "rakennustarkastaja"),
        ("invite", "rakennustarkastaja"),
        ("pause_nudges", entries[3].subject),
        ("assign", "tekninen-johtaja"),
        ("unassign", "tekninen-johtaja"),
        ("management_group", "-100123"),
        ("round_close", "2026Q4"),
        ("summary_resend", "2026Q4"),
        ("catalogue_load", "kokemaki-2026-2029"),
    ]
    assert {e.actor for e in entries} == {"operator"}
    assert entries[1].old == {"kind": "deputy", "name": "Veera Varahenkilö",
                              "invite": invite.token[:8]}  # fmt: skip
    assert entries[3].new == {"until": "2026-12-31"}
    assert entries[-1].new is not None and entries[-1].new["added"] == []


def test_the_export_can_include_the_periods_audit_log(
    round_ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    ctx = round_ctx
    handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    handle_input(ctx, OwnerInput(2, OWNER, text="28"))
    config = str(config_for(ctx, tmp_path))
    code, out, _ = run(capsys, "--config", config, "export", "--period", "2026Q4",
                       "--format", "json", "--output", "-", "--audit")  # fmt: skip
    audit = json.loads(out)["audit"]
    assert code == 0
    assert [(e["action"], e["subject"]) for e in audit] == [
        ("round_open", "2026Q4"),
        ("answer", "RV-1.1"),
    ]
    assert audit[1]["new"]["number"] == "28" and audit[1]["person"] == "Raili Rakentaja"
    workbook = tmp_path / "q4.xlsx"
    code, _, _ = run(capsys, "--config", config, "export", "--period", "2026Q4",
                     "--format", "xlsx", "--output", str(workbook), "--audit")  # fmt: skip
    # the export in the town's language (English here, as the command line is)
    sheet = load_workbook(workbook)["Audit log"]
    rows = list(sheet.iter_rows(values_only=True))
    assert code == 0 and rows[0][:3] == ("Time", "By", "Person")
    assert rows[2][1:6] == ("person", "Raili Rakentaja", None, "answer", "RV-1.1")
    code, _, err = run(capsys, "--config", config, "export", "--period", "2026Q4",
                       "--format", "csv", "--audit")  # fmt: skip
    assert code == 2 and "--audit is for the xlsx and json exports" in err
