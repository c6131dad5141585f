"""The systemd unit and the container file: checked by the tools that will run them."""

from __future__ import annotations

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
