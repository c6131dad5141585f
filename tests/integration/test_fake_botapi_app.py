"""A real PTB Application against the fake server, in-loop and in another process; phone; CLI."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.botapi import FakeBotApi
from tests.fakes.botapi.phone import Phone

pytest_plugins = ["tests.fakes.fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[2]

ECHO_BOT = """
import sys
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.message.reply_text("kaiku: " + update.message.text)

app = ApplicationBuilder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(timeout=5, poll_interval=0)
"""


def question() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Kyllä", callback_data="yes"),
                InlineKeyboardButton("Ei", callback_data="no"),
            ]
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        "<b>Tervetuloa!</b> Onko tavoite toteutunut?", reply_markup=question()
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Kirjattu")
    await query.edit_message_text(f"Vastauksesi: <i>{query.data}</i>", parse_mode="HTML")


async def test_ptb_application_runs_in_the_tests_event_loop(botapi: FakeBotApi) -> None:
    app = ApplicationBuilder().token(botapi.token).base_url(botapi.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(answer))
    driver = botapi.driver
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5, poll_interval=0)
        user = driver.create_user("Maija")
        user.start()
        greeting = await user.wait_for_message(timeout=5)
        assert greeting.text == "Tervetuloa! Onko tavoite toteutunut?"
        assert greeting.entities[0]["type"] == "bold"
        assert greeting.button_labels == ["Kyllä", "Ei"]
        query_id = user.press("Kyllä")
        edited = await driver.wait_for_edit(user, greeting.message_id, version=0)
        assert edited.text == "Vastauksesi: yes"
        assert edited.buttons == []
        assert driver.callback_answer(query_id) is not None
        await driver.wait_until_idle(timeout=5)
        await app.updater.stop()
        await app.stop()
    assert [r.method for r in driver.requests][:2] == ["getMe", "deleteWebhook"]
    assert driver.errors == []


def test_bot_in_another_process(botapi: FakeBotApi) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", ECHO_BOT, botapi.token, botapi.base_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        user = botapi.driver.create_user("Maija")
        botapi.driver.wait_until_sync(lambda: botapi.driver.requests_for("getUpdates"), timeout=20)
        sent = user.send("hei")
        reply = user.wait_for_message_sync(timeout=10)
        assert reply.text == "kaiku: hei"
        assert reply.message_id > sent.message_id
        botapi.driver.wait_for_updates_consumed_sync(timeout=5)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


async def test_phone_sees_buttons_and_presses_them(botapi: FakeBotApi) -> None:
    out = io.StringIO()
    phone = Phone(botapi.url, 1001, 1001, out=out)
    try:
        phone.register("Maija", None, None, "fi")
        assert phone.handle("/start")
        async with Bot(botapi.token, base_url=botapi.base_url) as bot:
            [update] = await bot.get_updates()
            assert update.message is not None and update.message.text == "/start"
            await bot.send_message(1001, "Onko tavoite toteutunut?", reply_markup=question())
            phone.refresh()
            assert "[1] Kyllä   [2] Ei" in out.getvalue()
            assert phone.handle("#2")
            assert phone.handle("#Kyllä")
            updates = await bot.get_updates(offset=update.update_id + 1)
            queries = [u.callback_query for u in updates if u.callback_query is not None]
            assert [q.data for q in queries] == ["no", "yes"]
            await bot.answer_callback_query(queries[0].id, text="Selvä")
            phone.refresh()
            assert "(toast) Selvä" in out.getvalue()
            assert phone.handle("#9")
            assert "no button number 9" in out.getvalue()
            assert not phone.handle(":quit")
    finally:
        phone.close()


def test_command_line_server_serves_and_stops(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.botapi", "--port", "0", "--token", "123:ABC"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = ""
        deadline = time.monotonic() + 20
        while not base_url and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("base_url="):
                base_url = line.strip().split("=", 1)[1]
        assert base_url.startswith("http://127.0.0.1:")
        me = httpx.get(f"{base_url}123:ABC/getMe", timeout=5).json()
        assert me["result"]["username"] == "goalbot_test_bot"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "requests served" in output
