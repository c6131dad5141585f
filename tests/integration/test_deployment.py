"""The systemd unit and the container file: checked by the tools that will run them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from goalbot.cli import EXIT_CONFIG

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "bot" / "goalbot.service"
ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def installed_unit(tmp_path: Path) -> Path:
    """The unit as installed, with ExecStart pointing at this checkout's goalbot."""
    goalbot = shutil.which("goalbot") or str(Path(ROOT / ".venv" / "bin" / "goalbot"))
    text = UNIT.read_text(encoding="utf-8").replace("/opt/goalbot/bin/goalbot", goalbot)
    path = tmp_path / "goalbot.service"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_unit_keeps_personal_data_private_and_stops_on_configuration_errors() -> None:
    settings = unit_settings()
    assert settings["UMask"] == ["0077"]
    assert settings["StateDirectory"] == ["goalbot"]
    assert settings["RestartPreventExitStatus"] == [str(EXIT_CONFIG)]
    assert settings["Restart"] == ["on-failure"]


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False)


@needs_systemd
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    result = analyze("verify", "--man=no", str(installed_unit(tmp_path)))
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@needs_systemd
def test_systemd_rates_the_sandbox_ok(tmp_path: Path) -> None:
    result = analyze("security", "--offline=true", str(installed_unit(tmp_path)))
    last = result.stdout.strip().splitlines()[-1]
    assert "Overall exposure level" in last, result.stdout + result.stderr
    exposure = float(last.split(":")[1].split()[0])
    assert exposure <= 2.0, result.stdout


CONTAINERFILE = ROOT / "bot" / "Containerfile"


def containerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined (no Docker engine here)."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in CONTAINERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\") + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
            pending = ""
    return instructions


def test_the_container_installs_dependencies_before_the_code() -> None:
    steps = containerfile_instructions()
    kinds = [kind for kind, _ in steps]
    copies = [(i, args) for i, (kind, args) in enumerate(steps) if kind == "COPY"]
    deps = next(i for i, args in copies if "constraints.txt" in args)
    code = next(i for i, args in copies if args.startswith("src"))
    install = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "-c constraints.txt" in a)
    assert deps < install < code, "a code change must not reinstall every dependency"
    assert "src" not in steps[deps][1]
    # every file copied exists
    for _, args in copies:
        for name in args.split()[:-1]:
            assert (ROOT / name).exists(), name
    assert kinds.count("FROM") == 1


def test_the_container_runs_unprivileged_healthchecked_with_its_data_in_a_volume() -> None:
    steps = dict(containerfile_instructions()[::-1])  # the first of each kind wins
    user = steps["USER"]
    assert re.fullmatch(r"\d+:\d+", user) and not user.startswith("0:"), user
    assert '"goalbot", "health"' in steps["HEALTHCHECK"]
    assert steps["VOLUME"] == '["/data"]' and steps["CMD"] == '["goalbot", "run"]'
    env = " ".join(args for kind, args in containerfile_instructions() if kind == "ENV")
    # a default database URL in the environment would override a mounted config file's
    assert "GOALBOT_DATABASE_URL" not in env


def test_the_build_context_leaves_out_what_the_image_does_not_need() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for needed_out in (".git", ".venv", "tests", "*.sqlite3", "goalbot.toml"):
        assert needed_out in ignored, needed_out
    for needed_in in ("src", "pyproject.toml", "constraints.txt", "README.md", "LICENSE"):
        assert needed_in not in ignored, needed_in
