"""The repository stands alone: nothing the tests need lies outside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_bot_api_description_is_found_with_nothing_beside_the_repository(
    tmp_path: Path,
) -> None:
    alone = tmp_path / "empty" / "goalbot"
    shutil.copytree(REPO / "tests", alone / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "GOALBOT_BOTAPI_SPEC"}
    env["PYTHONPATH"] = str(alone)
    code = (
        "from tests.fakes.botapi.spec import default_spec_path, load_spec\n"
        "path = default_spec_path()\n"
        "spec = load_spec()\n"
        "print(path)\n"
        "print(spec.version, spec.method('sendMessage') is not None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=alone, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    path, summary = result.stdout.splitlines()
    assert Path(path).is_relative_to(alone)
    assert summary.endswith("True")
    assert (Path(path).parent / "LICENSE.bot-api-spec").is_file()
