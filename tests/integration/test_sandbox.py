"""``goalbot sandbox`` as a program: its database, its clock across restarts, its errors, and
``bot/run.sh`` starting it when no token is configured."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.sandbox_steps import CATALOGUE, REPO_ROOT, SandboxProcess
from tests.integration.conftest import run

pytestmark = pytest.mark.timeout(300)


def world(url: str) -> dict[str, Any]:
    response = httpx.get(url + "chat/api/world", timeout=30)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def clock_line(url: str) -> str:
    """The panel's "Botin aika: …" line, once the bot is up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        panel = world(url)["panel"]
        for section in panel.get("sections", []):
            for line in section["lines"]:
                if line["state"] == "now":
                    return str(line["text"])
        time.sleep(0.2)
    raise AssertionError("the panel never showed the bot's time")


def act(url: str, action: str, value: str = "") -> str:
    response = httpx.post(
        url + "chat/api/director", json={"action": action, "value": value}, timeout=300
    )
    response.raise_for_status()
    return str(response.json()["notice"]["text"])


def chat(url: str, chat_id: int, as_user: int) -> dict[str, Any]:
    response = httpx.get(url + "chat/api/chat", params={"chat_id": chat_id, "as": as_user})
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def person_id(url: str, label: str) -> int:
    return next(int(p["id"]) for p in world(url)["people"] if p["label"] == label)


def bot_texts(url: str, user_id: int) -> list[str]:
    return [m["html"] for m in chat(url, user_id, user_id)["messages"] if m["from_bot"]]


@pytest.mark.slow
def test_the_clock_and_the_answers_outlive_a_restart_and_reset_starts_afresh(
    tmp_path: Path,
) -> None:
    sandbox = SandboxProcess(tmp_path, "--catalogue", str(CATALOGUE), "--date", "2026-12-01")
    url = sandbox.start()
    try:
        assert clock_line(url) == "Botin aika: ti 1.12.2026 klo 8.00"
        owner = person_id(url, "Tekninen johtaja")
        assert any("Tervetuloa" in t for t in bot_texts(url, owner))  # the invite was opened
        notice = act(url, "next")
        assert "Botin aika on nyt ti 15.12.2026 klo 9.00." in notice
        assert "Raportointikierros alkaa, muistutukset (Q4/2026)" in notice
        assert any("tavoiteraportointi on alkanut" in t for t in bot_texts(url, owner))
    finally:
        assert sandbox.stop() == 0
    assert sandbox.database.exists() and Path(f"{sandbox.database}-chats.json").exists()
    assert "ma 18.1.2027" not in "".join(sandbox.output)

    # started again: the rehearsal continues where it stopped, with its chats; nobody is
    # welcomed twice, and the bot can still write to everybody
    url = sandbox.start()
    try:
        assert clock_line(url).startswith("Botin aika: ti 15.12.2026 klo 9.0")
        owner = person_id(url, "Tekninen johtaja")
        kept = bot_texts(url, owner)
        assert [t for t in kept if "Tervetuloa" in t] and "alkanut" in kept[-1], kept
        notice = act(url, "next")
        assert "Muistutus puuttuvista 1 (Q4/2026)" in notice
        texts = bot_texts(url, owner)
        assert len([t for t in texts if "Tervetuloa" in t]) == 1
        assert texts[-1].startswith("Muistutus:") and len(texts) == len(kept) + 1, texts
        # and what people write is answered (not taken for what they wrote before the stop)
        said = httpx.post(
            url + "chat/api/send", json={"chat_id": owner, "as": owner, "text": "/raportoi"}
        )
        said.raise_for_status()
        deadline = time.monotonic() + 30
        while len(bot_texts(url, owner)) == len(texts) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "1/" in bot_texts(url, owner)[-1], bot_texts(url, owner)[-1]
        assert not world(url)["error_count"]
        # the clock only moves forward
        assert "Kello liikkuu vain eteenpäin" in act(url, "go_to", "2026-12-02")
        # the reset button: an empty database, the clock back at the start, the invites again
        assert act(url, "reset") == "Harjoitus alkoi alusta."
        assert clock_line(url) == "Botin aika: ti 1.12.2026 klo 8.00"
        owner = person_id(url, "Tekninen johtaja")
        texts = bot_texts(url, owner)
        assert texts and "Tervetuloa" in texts[0] and len(texts) == 1, texts
        act(url, "next")
    finally:
        assert sandbox.stop() == 0

    # --reset on the command line does the same
    url = sandbox.start("--reset")
    try:
        assert clock_line(url) == "Botin aika: ti 1.12.2026 klo 8.00"
        texts = bot_texts(url, person_id(url, "Tekninen johtaja"))
        assert len(texts) == 1 and "Tervetuloa" in texts[0], texts
    finally:
        sandbox.stop()


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """goalbot as a program, its messages in English as these tests read them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALBOT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["GOALBOT_TEXTS__LANGUAGE"] = "en"
    return subprocess.run(
        [sys.executable, "-m", "goalbot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_sandbox_database_of_another_catalogue_is_not_mixed_up(tmp_path: Path) -> None:
    sandbox = SandboxProcess(tmp_path, "--catalogue", str(CATALOGUE))
    sandbox.start()
    sandbox.stop()
    result = run_cli(tmp_path, "sandbox", "--port", "0", "--database", str(sandbox.database))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"goalbot: the sandbox database {sandbox.database} rehearses the catalogue "
        "'harjoitus-2026', not 'kokemaki-2026-2029': add --reset to start afresh"
    ]


def test_bad_arguments_get_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the command line's own function: the program itself refuses in the test below
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("GOALBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GOALBOT_TEXTS__LANGUAGE", "en")
    real = tmp_path / "goalbot.sqlite3"
    config = tmp_path / "goalbot.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{real}"\n', encoding="utf-8")
    cases = {
        ("--config", str(config), "sandbox", "--database", str(real)): "is the bot's own database",
        ("sandbox", "--date", "huomenna"): "--date 'huomenna' is not a date",
        ("sandbox", "--port", "99999"): "is not a port number",
        ("sandbox", "--catalogue", "missing.toml"): "missing.toml: no such file",
    }
    for args, expected in cases.items():
        code, _, err = run(capsys, *args)
        assert code != 0, args
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, err)
    assert not real.exists()


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(tmp_path, "sandbox", "--port", str(port))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot serve the sandbox on 127.0.0.1:{port}" in lines[0], lines


def fake_checkout(tmp_path: Path) -> Path:
    """bot/run.sh in a checkout whose .venv is installed, with a goalbot that says what it
    was asked to do."""
    root = tmp_path / "checkout"
    (root / "bot").mkdir(parents=True)
    for name in ("bot/run.sh", "pyproject.toml", "constraints.txt"):
        shutil.copy(REPO_ROOT / name, root / name)
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "goalbot").write_text('#!/bin/sh\necho "goalbot $*"\n', encoding="utf-8")
    (venv / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    for tool in venv.iterdir():
        tool.chmod(0o755)
    digest = hashlib.sha256(
        (root / "pyproject.toml").read_bytes() + (root / "constraints.txt").read_bytes()
    ).hexdigest()
    (root / ".venv" / ".goalbot-dependencies").write_text(digest + "\n", encoding="utf-8")
    return root


def test_run_sh_starts_the_sandbox_without_a_token_and_the_bot_with_one(tmp_path: Path) -> None:
    root = fake_checkout(tmp_path)
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOALBOT_")}
    base["PYTHONPATH"] = str(REPO_ROOT)

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(root / "bot" / "run.sh"), "--port", "8099"],
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    without = run()
    assert without.returncode == 0, without.stderr
    assert without.stdout.strip() == "goalbot sandbox --port 8099"
    assert "no bot token is configured" in without.stderr and "GOALBOT_TOKEN" in without.stderr
    with_token = run(GOALBOT_TOKEN="123456:" + "A" * 35)
    # the first live start makes the database, once; goalbot run itself never does
    assert with_token.stdout.splitlines() == [
        "goalbot db upgrade --port 8099",
        "goalbot run --port 8099",
    ]
    config = tmp_path / "live.toml"
    config.write_text('[telegram]\ntoken = "123456:' + "B" * 35 + '"\n', encoding="utf-8")
    assert run(GOALBOT_CONFIG=str(config)).stdout.strip() == "goalbot run --port 8099"
