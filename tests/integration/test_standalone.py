"""The repository stands alone: nothing the bot or its tests need lies outside it."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "goalbot"


def test_the_bot_api_description_ships_inside_goalbot_with_its_licence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GOALBOT_BOTAPI_SPEC"}
    code = (
        "from goalbot.emulator.spec import default_spec_path, load_spec\n"
        "path = default_spec_path()\n"
        "spec = load_spec()\n"
        "print(path)\n"
        "print(spec.version, spec.method('sendMessage') is not None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    path, summary = result.stdout.splitlines()
    assert Path(path).is_relative_to(PACKAGE / "emulator")
    assert summary.endswith("True")
    assert (Path(path).parent / "LICENSE.bot-api-spec").is_file()


def test_every_data_file_of_the_package_is_installed_with_it() -> None:
    """A file the package reads at run time (a template, the Bot API description, the web
    chat's page) is named in pyproject's package data, so an installed goalbot has it."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["goalbot"]
    missing = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in relative:
            continue
        if not any(_matches(relative, pattern) for pattern in patterns):
            missing.append(relative)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def _matches(relative: str, pattern: str) -> bool:
    if "**" in pattern:
        prefix = pattern.split("**", 1)[0]
        return relative.startswith(prefix)
    return fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
