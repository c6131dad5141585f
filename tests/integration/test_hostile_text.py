"""Every template, rendered with hostile text in every place a person or a catalogue puts text.

Names like "Matti <sijainen> Meikäläinen", reasons like "arvo <5 kpl", links typed as
``<a href=…>``: each must reach every Telegram message as text, escaped, never as markup. The
test renders through the services where the text comes from (invites, answers, reports,
notices), then renders the few templates left with hostile values directly, and fails if an
HTML template was never rendered, so a new template cannot skip the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest

from goalbot.chat.handlers import render_screen
from goalbot.domain.periods import Period
from goalbot.emulator.entities import parse_html
from goalbot.reporting import report_texts as status_reports
from goalbot.reporting.chart import metric_chart
from goalbot.reporting.export import export_file
from goalbot.reporting.rendering import TEMPLATES, render
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.scheduling.runner import coming_events
from goalbot.services import owners as owner_service
from goalbot.services.access import who_is
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.entry import give_figure
from goalbot.services.events import event_states, round_states
from goalbot.services.progress import lacking_for
from goalbot.services.questionnaire import (
    Action,
    OwnerInput,
    Reply,
    handle_input,
    reminder_view,
)
from tests.conftest import SMALL_CATALOGUE, Clock

Q4 = Period(2026, 4)
NAME = "Matti <sijainen> Meikäläinen"
DEPUTY_NAME = 'Liisa "&amp;" <b>Lahtinen</b>'
REASON = "arvo <5 kpl & <a href='https://evil.example/'>katso</a>"
EXPLANATION = "</b></i><code>kesken & <tg-spoiler>salaa</tg-spoiler>"
CORRECTIVE = "<pre>toimet > 0 & < 9</pre>"
COMMENT = '<a href="tg://user?id=1">kommentti</a> &lt;ei&gt;'
TITLE = "Rakentamisluvat <b>nopeasti</b> & <a href='https://evil.example/'>tästä</a>"
# what must never appear unescaped in an HTML text
# (a template's own <code>, a command to copy, is not the explanation's)
MARKERS = (
    "<sijainen>",
    "<a href",
    "<b>Lahtinen",
    "<5 kpl",
    "<code>kesken",
    "<pre>toimet",
    "<tg-spoiler>",
)
OWNER, DEPUTY, MANAGER = 701, 702, 703


@pytest.fixture
def hostile_catalogue(tmp_path: Path) -> Path:
    """The small catalogue with markup in a goal's title, a metric's name, a role and a note."""
    text = SMALL_CATALOGUE.read_text(encoding="utf-8")
    text = text.replace("Rakentamisluvat käsitellään nopeasti.", TITLE.replace("'", "''"))
    text = text.replace('name = "Biojätteen määrä"', 'name = "Biojäte <i>kg</i> & muut"')
    text = text.replace('name = "Tekninen johtaja"', 'name = "Tekninen <johtaja>"')
    text = text.replace('note = "Ei"', 'note = "Ei <vielä>"')
    path = tmp_path / "hostile.toml"
    path.write_text(text.replace("''", "'"), encoding="utf-8")
    return path


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Every top-level render of a template: name → the texts it produced."""
    seen: dict[str, list[str]] = {}
    original = jinja2.Template.render

    def recording(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        text = original(self, *args, **kwargs)
        if self.name:
            seen.setdefault(self.name.split("/", 1)[1], []).append(text)
        return text

    monkeypatch.setattr(jinja2.Template, "render", recording)
    yield seen


def _show(ctx: AppContext, reply: Reply) -> Reply:
    for screen in reply.screens:
        render_screen(screen, "fi", ctx)
    return reply


def _walk_the_questionnaire(ctx: AppContext) -> None:
    """Every screen of the questionnaire, with hostile text typed wherever text is taken."""
    updates = iter(range(1000, 2000))

    def give(**kwargs: Any) -> Reply:
        reply = handle_input(ctx, OwnerInput(next(updates), OWNER, **kwargs))
        return _show(ctx, reply)

    def version(reply: Reply) -> int:
        return reply.screens[-1].version

    first = give(text="jotain ennen kysymystä")  # a note: text before the first question
    assert first.screens[0].kind.value == "question"
    skipped = give(action=Action.SKIP, version=version(first))
    answered = give(text=REASON)  # the yes/no question skipped with a hostile reason
    assert answered.accepted
    wrong = give(text="12 <b>kg</b>")  # a hostile unit is echoed in the error
    assert not wrong.accepted
    missed = give(text="20000")  # misses the target: an explanation is asked
    assert missed.screens[-1].kind.value == "explanation", missed
    give(text=EXPLANATION)
    recap = give(text=CORRECTIVE)
    assert recap.screens[-1].kind.value == "recap", recap
    pick = give(action=Action.COMMENT, version=version(recap))
    give(action=Action.COMMENT, version=version(pick), argument="1")
    recap = give(text=COMMENT)
    give(action=Action.CONFIRM, version=version(recap))
    assert skipped.accepted


def test_every_template_escapes_hostile_text(
    sqlite_ctx: AppContext,
    clock: Clock,
    hostile_catalogue: Path,
    rendered: dict[str, list[str]],
) -> None:
    ctx = sqlite_ctx
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    load_catalogue(ctx, hostile_catalogue)
    zone = ctx.config.schedule.zone

    invite = owner_service.invite_owner(ctx, "tekninen-johtaja", NAME)
    render("chat/invite_link.html.j2", "fi", invite=invite, username="bot", timezone=zone)
    binding = owner_service.accept_invite(ctx, invite.token, OWNER)
    render("chat/invite_accepted.html.j2", "fi", binding=binding)
    deputy = owner_service.invite_owner(ctx, "tekninen-johtaja", DEPUTY_NAME, "deputy")
    owner_service.accept_invite(ctx, deputy.token, DEPUTY)
    manager = owner_service.invite_owner(ctx, "kunnanjohtaja", NAME + " II")
    owner_service.accept_invite(ctx, manager.token, MANAGER)
    owner_service.invite_owner(ctx, "kunnanjohtaja", DEPUTY_NAME, "deputy")  # left pending
    render("chat/owners.html.j2", "fi", owners=owner_service.list_owners(ctx))
    for who in (OWNER, DEPUTY, MANAGER):
        identity = who_is(ctx, who)
        render("chat/welcome.html.j2", "fi", identity=identity)
        render("chat/help.html.j2", "fi", identity=identity, private=True)

    opened = open_round_now(ctx, Q4)
    render("chat/round_opened.html.j2", "fi", opened=opened, timezone=zone)
    view = reminder_view(ctx, binding.person_id, Q4)
    assert view is not None
    for kind in ("reminder", "nudge"):
        render(f"chat/{kind}.html.j2", "fi", view=view, timezone=zone)
    escalation = {
        "level": "head",
        "missing": [{"role": "Tekninen <johtaja>", "person": NAME, "missing": 2, "due": 3}],
    }
    render("chat/escalation.html.j2", "fi", period=Q4, payload=escalation, timezone=zone)
    closed_early = {"change": "closed_early", "missing": 1, "unconfirmed": 2}
    render(
        "chat/round_changed.html.j2",
        "fi",
        period=Q4,
        payload=closed_early,
        deadline=ctx.now(),
        timezone=zone,
    )
    render("chat/recap_updated.html.j2", "fi")

    _walk_the_questionnaire(ctx)
    handle_input(ctx, OwnerInput(3000, DEPUTY, action=Action.START))
    _show(ctx, handle_input(ctx, OwnerInput(3001, DEPUTY)))

    for scope in ("", "tekninen", "rakennusvalvonta", "RV-1", "STR-1", "strategia"):
        status_reports.status_parts(ctx, scope, Q4)
    for scope in ("<b>mikä</b> & " + "x" * 50, "R"):
        try:
            status_reports.status_parts(ctx, scope, Q4)
        except ServiceError as exc:
            render("chat/report_error.html.j2", "fi", code=exc.code, **exc.params)
    status_reports.missing_parts(ctx, Q4)
    history, _picture = metric_chart(ctx, "RV-1.2", Q4)
    render("chat/chart_caption.html.j2", "fi", history=history)
    export = export_file(ctx, Q4, "xlsx")
    render(
        "chat/export_caption.html.j2",
        "fi",
        catalogue_title=export.title + " <b>",
        period=export.period,
        fmt="xlsx",
    )
    closed = close_round_now(ctx, Q4)
    render("chat/round_closed.html.j2", "fi", closed=closed)
    from goalbot.services.rounds import DeadlineChanged

    for reopened in (True, False):
        changed = DeadlineChanged(Q4, ctx.now(), ctx.now(), reopened, 1)
        render("chat/round_deadline.html.j2", "fi", changed=changed, timezone=zone)
        change = {"change": "reopened" if reopened else "extended", "missing": 1, "unconfirmed": 2}
        render(
            "chat/round_changed.html.j2",
            "fi",
            period=Q4,
            payload=change,
            deadline=ctx.now(),
            timezone=zone,
        )
    lacking, open_round = lacking_for(ctx, OWNER)
    render("chat/late_figure.html.j2", "fi", code="list", lacking=lacking, open_round=open_round)
    for words in ([REASON, "2026Q4", "5"], ["RV-1.2", REASON, "5"], ["RV-1.2", "2026Q4", REASON]):
        given = give_figure(ctx, OWNER, words)
        render("chat/late_figure.html.j2", "fi", given=given, code=given.code)
    note = _show(ctx, handle_input(ctx, OwnerInput(3002, OWNER)))  # no round open any more
    assert note.screens[0].kind.value == "note"
    status_reports.summary_parts(ctx, Q4)
    events = coming_events(ctx, ctx.now())
    render(
        "chat/schedule.html.j2",
        "fi",
        events=events,
        states=event_states(ctx, [e.key for e in events]),
        rounds=round_states(ctx),
        timezone=zone,
    )

    # notices and answers whose texts come from elsewhere
    for payload in (
        {"code": "blocked", "person": NAME, "chat_id": OWNER, "kind": "reminder"},
        {"code": "event_failed", "event": "close", "reason": REASON, "period": Q4.key},
        {"code": "skipped_event", "event": "open", "period": Q4.key, "due_at": "x"},
        {
            "code": "undelivered",
            "sends": [
                {
                    "id": 7,
                    "kind": "reminder",
                    "period": Q4.key,
                    "period_label": Q4.label,
                    "status": "uncertain",
                    "person": NAME,
                    "chat_id": OWNER,
                    "missing": [1],
                    "total": 1,
                }
            ],
        },
    ):
        render("chat/admin_notice.html.j2", "fi", period=Q4, payload=payload, timezone=zone)
    for code, params in (
        ("unknown_person", {"who": NAME}),
        ("ambiguous_person", {"who": NAME, "ids": "1, 2"}),
        ("unknown_role", {"role": REASON, "known": "a, b"}),
    ):
        render("chat/admin_error.html.j2", "fi", code=code, p=params, timezone=zone)
    render("chat/paused.html.j2", "fi", name=NAME, until=None)
    render("chat/group_set.html.j2", "fi", title=TITLE)
    render("chat/answered.html.j2", "fi", question="Kysymys", choice=REASON)
    for name in ("admin_only", "private_only", "non_text", "unknown_command"):
        render(f"chat/{name}.html.j2", "fi")
    render("chat/admin_usage.html.j2", "fi", command="invite")
    render("chat/group_hint.html.j2", "fi", username="bot")
    render("chat/refusal.html.j2", "fi", user_id=1, private=True)
    render("chat/summary_queued.html.j2", "fi", period=Q4)
    render("chat/part.html.j2", "fi", number=2, total=3)
    render("chat/language.html.j2", "fi", current="fi", languages=("fi", "sv"), private=False,
           changed=False, unknown=REASON)  # fmt: skip
    render("chat/invite_error.html.j2", "fi", code="invite_used", user_id=1)
    for code in ("database", "database_waiting", "reply_failed", "internal"):
        render("chat/error.html.j2", "fi", code=code)

    html_templates = {
        str(path.relative_to(TEMPLATES / "fi"))
        for path in (TEMPLATES / "fi").glob("*/*.html.j2")
        if not path.name.startswith("_")
    }
    assert html_templates - set(rendered) == set(), "templates never rendered with hostile text"
    shown: list[str] = []
    for name, texts in rendered.items():
        if not name.endswith(".html.j2"):
            continue
        for text in texts:
            for marker in MARKERS:
                assert marker not in text, f"{name} put {marker!r} into HTML unescaped:\n{text}"
            plain, entities = parse_html(text)  # as Telegram reads it; raises if malformed
            assert not [e for e in entities if e["type"] in ("text_link", "text_mention")], name
            shown.append(plain)
    everything = "\n".join(shown)
    # the texts are shown, as text
    for text in (NAME, REASON, EXPLANATION, CORRECTIVE, "Tekninen <johtaja>", "Ei <vielä>"):
        assert text in everything, f"{text!r} was never shown"
    assert TITLE in everything and DEPUTY_NAME in everything
