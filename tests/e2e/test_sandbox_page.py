"""A quarter rehearsed in ``goalbot sandbox``'s web chat, in a real browser.

Debian's Chromium, driven by Playwright, plays the people as a trainer would: the
administrator opens the round, an owner answers every metric kind by pressing buttons and
typing Finnish numbers (a wrong one first), confirms the recap, a manager asks for the
technical department's status in the management group, the rehearsal clock is moved to the
close, and the summary's goal table is downloaded. Screenshots of the key screens are kept in
test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.chat_steps import plain
from tests.e2e.sandbox_steps import (
    CATALOGUE,
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT,
    Screen,
    artefact_folder,
    needs_chromium,
    running_sandbox,
)

pytestmark = [needs_chromium, pytest.mark.slow, pytest.mark.timeout(600)]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

OWNER = "Tekninen johtaja"  # the catalogue's one owner with goals: five metrics, every kind
MANAGER = "Kunnanjohtaja"
GROUP = "Johtoryhmä"


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def folder(request: pytest.FixtureRequest) -> Path:
    return artefact_folder(request.node.name)


def new_tab(context: Any, url: str, folder: Path) -> Screen:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".chat-item")
    return Screen(page, folder)


def test_a_quarter_rehearsed_in_the_web_chat(browser: Any, folder: Path, tmp_path: Path) -> None:
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="fi-FI", accept_downloads=True
    )
    with running_sandbox(tmp_path, "--catalogue", str(CATALOGUE), "--date", "2026-12-01") as sb:
        admin = new_tab(context, sb.url, folder)
        page = admin.page
        # a first-time user sees what this is, who is who, and the rehearsal clock
        assert "Tervetuloa goalbotin harjoitusympäristöön" in page.inner_text("#intro")
        people = page.inner_text("#chat-list")
        for label in ("Ylläpitäjä", OWNER, MANAGER, f"{OWNER} (sijainen)", "Ulkopuolinen", GROUP):
            assert label in people, label
        assert "Botin aika: ti 1.12.2026" in page.inner_text("#panel")
        admin.shot("01-first-visit")

        # the administrator: the welcome, the command menu the bot set, then /remind
        admin.open_chat("Ylläpitäjä")
        admin.wait_for_bot("Kirjoita /help")
        page.click("#menu-button")
        menu = page.inner_text("#menu")
        assert "/status" in menu and "Tavoitteiden tilanne" in menu and "/raportoi" in menu
        admin.shot("02-command-menu")
        page.click("#menu-button")
        before = admin.bot_count()
        admin.type("/remind")
        opened = admin.wait_for_bot("Raportointikierros Q4/2026 on avattu", after=before)
        assert "Muistutuksia lähtee" in opened

        # the owner, in a second tab: the reminder arrives by itself
        owner = new_tab(context, sb.url, folder)
        owner.open_chat(OWNER)
        reminder = owner.wait_for_bot("tavoiteraportointi on alkanut")
        assert "Q4/2026" in reminder
        owner.shot("03-reminder")
        answer_every_metric(owner)

        # a manager in the management group, in the administrator's tab
        admin.open_chat(GROUP)
        page.select_option("#speaker-select", label=manager_name(page))
        before = admin.bot_count()
        admin.type("/status tekninen")
        status = admin.wait_for_bot("Tekninen", after=before)
        assert "RV-1" in status and "TEK-1" in status
        admin.shot("09-status-in-group")

        # the rehearsal clock: to the close, everything in between done in order
        before = admin.bot_count()
        admin.panel_action("go_to", "2027-01-18")
        notice = admin.wait_for_notice("Botin aika on nyt ma 18.1.2027")
        assert "Raportointikierros sulkeutuu, yhteenveto (Q4/2026)" in notice
        assert "Muistutus puuttuvista 1 (Q4/2026)" in notice
        summary = admin.wait_for_bot("Tavoiteraportti Q4/2026", after=before)
        assert "Raportointikierros päättyi 18.1.2027" in summary and "Vastattu 5/5" in summary
        document = page.locator("#messages .document", has_text="2026Q4.xlsx").last
        document.wait_for(timeout=30_000)
        admin.shot("10-summary-after-close")
        with page.expect_download() as download_info:
            document.locator("a.document-download").click()
        download = download_info.value
        saved = folder / download.suggested_filename
        download.save_as(str(saved))
        assert saved.name.endswith("2026Q4.xlsx")
        assert_table_holds_the_answers(saved)

        assert not page.locator("#error-summary:not([hidden])").count(), "invalid Bot API calls"

        # starting afresh asks first, then empties the rehearsal and turns the clock back
        page.click("button[data-action=reset]")
        page.locator("#confirm-dialog").wait_for(state="visible")
        assert "poistetaan" in page.inner_text("#confirm-text")
        admin.shot("11-reset-asks-first")
        page.click("#confirm-ok")
        admin.wait_for_notice("Harjoitus alkoi alusta.")
        page.locator("#panel .panel-line.now", has_text="Botin aika: ti 1.12.2026").wait_for()
        admin.open_chat("Ylläpitäjä")
        admin.wait_for_bot("Kirjoita /help")
        assert "/remind" not in page.inner_text("#messages")
        assert not admin.errors and not owner.errors, admin.errors + owner.errors
    context.close()


def manager_name(page: Any) -> str:
    """The demo person who holds the town manager's role."""
    item = page.locator(".chat-item", has_text=MANAGER).first
    return str(item.locator(".chat-item-name").inner_text())


def answer_every_metric(owner: Screen) -> None:
    """Answer the five questions as a person would, then confirm the recap."""
    page = owner.page
    before = owner.bot_count()
    owner.press("Aloita vastaaminen")
    question = owner.next_bot_message(before)
    seen: list[str] = []
    for _ in range(12):
        if "Yhteenveto" in question:
            break
        before = owner.bot_count()
        if "Energiakatselmus" in question:
            seen.append("yes_no")
            owner.shot("04-yes-no-question")
            # a double tap: one answer, one next question, and a toast for the second tap
            latest = page.locator("#messages .message.from-bot:has(.keyboard)").last
            latest.locator("button.key", has_text="Kyllä").first.dblclick()
            question = owner.next_bot_message(before)
            toast = page.locator("#toast")
            toast.wait_for(state="visible", timeout=30_000)
            assert "jo tallennettu" in toast.inner_text()
            owner.shot("04b-double-tap-toast")
            assert owner.bot_count() == before + 1
            # the answered question is edited: its buttons go, the answer is shown in it
            answered = page.locator("#messages .message.from-bot", has_text="Energiakatselmus")
            assert "✓ Vastaus: Kyllä" in answered.first.inner_text()
            assert "muokattu" in answered.first.inner_text()
        elif "valmistumisaste" in question:
            seen.append("completion")
            owner.type("45 %")
            question = owner.next_bot_message(before)
        elif "käsittelyaika" in question:
            seen.append("number")
            owner.type("kolmekymmentä")
            error = owner.next_bot_message(before)
            # a short reply says what was wrong; the question is not sent again
            assert "ei ole luku" in error and "käsittelyaika" not in error, error
            owner.shot("05-wrong-number")
            before = owner.bot_count()
            owner.type("28,5")
            question = owner.next_bot_message(before)
        elif "Neuvontatilaisuuksien" in question:
            seen.append("count")
            owner.type("6")
            question = owner.next_bot_message(before)
        elif "Asiakastyytyväisyys" in question:
            seen.append("survey")
            owner.type("4,2")
            question = owner.next_bot_message(before)
        else:
            raise AssertionError(f"an unexpected screen: {question}")
    assert sorted(seen) == ["completion", "count", "number", "survey", "yes_no"], seen
    recap = plain(question)
    assert "28,5 päivää" in recap and "4,2" in recap and "45 %" in recap, recap
    owner.shot("06-recap")
    before = owner.bot_count()
    owner.press("Vahvista")
    confirmed = owner.next_bot_message(before)
    assert "on vahvistettu" in confirmed
    owner.shot("07-confirmed")


def assert_table_holds_the_answers(path: Path) -> None:
    workbook = load_workbook(path)
    cells = [
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    text = "\n".join(cells)
    assert "Lupien keskimääräinen käsittelyaika" in text
    assert any(value in text for value in ("28,5", "28.5")), text[:2000]


def test_pictures_invite_links_and_the_calls_telegram_would_reject(
    browser: Any, folder: Path, botapi_factory: Any
) -> None:
    from tests.integration.test_webchat import bot_call, send_photo

    web = botapi_factory(web_chat=True)
    web.expect_invalid_calls()
    web.driver.create_user("Maija", last_name="Meikäläinen", user_id=1002).start()
    web.driver.create_user("Ville", last_name="Vieras", user_id=1003)
    link = f"https://t.me/{web.bot_username}?start=kutsu123"
    assert bot_call(web, "sendMessage", chat_id=1002, text=f"Lähetä tämä: {link}")["ok"]
    send_photo(web, 1002, "Kehitys")
    refused = bot_call(web, "sendMessage", chat_id=1002, text="<b>rikki", parse_mode="HTML")
    assert not refused["ok"]

    screen = new_tab(browser.new_context(viewport={"width": 1400, "height": 900}), web.url, folder)
    screen.open_chat("Maija Meikäläinen")
    picture = screen.page.locator("#messages img.photo")
    picture.wait_for(timeout=WAIT)
    screen.page.wait_for_function("() => document.querySelector('img.photo').naturalWidth === 40")
    banner = screen.page.locator("#chat-errors .banner.error")
    banner.wait_for(timeout=WAIT)
    assert "Botti teki kutsun, jonka Telegram hylkäisi" in banner.inner_text()
    assert "can't parse entities" in banner.inner_text()
    assert "1 botin kutsua, jotka Telegram hylkäisi" in screen.page.inner_text("#error-summary")
    screen.shot("invalid-call-and-picture")

    # an invite link is opened as the person chosen: they send /start with its payload
    screen.page.locator("#messages a", has_text=link).click()
    screen.page.locator("#link-dialog").wait_for(state="visible")
    assert "/start kutsu123" in screen.page.inner_text("#link-dialog")
    screen.shot("invite-link-dialog")
    screen.page.locator("#link-people .chat-item", has_text="Ville Vieras").click()
    screen.page.locator("#chat-name", has_text="Ville Vieras").wait_for()
    screen.page.locator("#messages .message.mine", has_text="/start kutsu123").wait_for()
    sent = web.driver.transcript(1003)
    assert [m.text for m in sent] == ["/start kutsu123"]
    assert not screen.errors, screen.errors
