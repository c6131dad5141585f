"""Installing goalbot is reproducible and never reaches for a package name on the index."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from goalbot import __version__

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pinned() -> dict[str, str]:
    """constraints.txt as {canonical name: version}."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def declared() -> list[Requirement]:
    requirements = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for extra in PYPROJECT["optional-dependencies"].values():
        requirements += [Requirement(r) for r in extra]
    return requirements


def test_every_dependency_is_pinned_to_a_version_the_project_accepts() -> None:
    pins = pinned()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt (bot/lock.sh)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, pyproject.toml wants {requirement}"
        )


def test_everything_the_dependencies_pull_in_is_pinned_too() -> None:
    """Walks the installed dependency tree: a new transitive dependency fails here."""
    pins = pinned()
    seen: set[str] = set()
    todo = list(declared())
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{name} (needed via the dependencies) is not in constraints.txt"
        for text in metadata.requires(requirement.name) or []:
            child = Requirement(text)
            wanted = set(requirement.extras)
            if child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in wanted or {""}
            ):
                todo.append(child)


def test_no_install_instruction_names_the_unpublished_package() -> None:
    bare = re.compile(r"pip3? install (-U |--upgrade )?['\"]?goalbot\b")
    for path in ("README.md", "bot/goalbot.service", "bot/Containerfile", "CHANGELOG.md"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert not bare.search(text), f"{path} installs goalbot from the package index"


def test_licence_and_changelog() -> None:
    assert PYPROJECT["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {__version__}" in changelog
    assert "rate-limiter" not in str(PYPROJECT["dependencies"])


def test_run_sh_reinstalls_when_the_dependencies_changed(tmp_path: Path) -> None:
    """bot/run.sh on a checkout whose .venv is a stand-in that records pip's calls."""
    import shutil
    import subprocess

    (tmp_path / "bot").mkdir()
    shutil.copy(ROOT / "bot" / "run.sh", tmp_path / "bot" / "run.sh")
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    bin_folder = tmp_path / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    calls = tmp_path / "calls"
    # `python -` is run.sh asking whether a token is configured: "yes" (exit 1), the real bot
    for tool, exit_line in (("python", '[ "$1" = "-" ] && exit 1'), ("goalbot", "")):
        script = bin_folder / tool
        script.write_text(
            f'#!/bin/sh\necho "{tool} $*" >> {calls}\n{exit_line}\nexit 0\n', encoding="utf-8"
        )
        script.chmod(0o755)

    def run() -> list[str]:
        calls.unlink(missing_ok=True)
        env = {"PATH": "/usr/bin:/bin"}
        subprocess.run(["bash", "bot/run.sh"], cwd=tmp_path, env=env, check=True, timeout=60)
        return [c for c in calls.read_text(encoding="utf-8").splitlines() if c != "python -"]

    first = run()
    assert "python -m pip install --quiet -c constraints.txt -e .[postgres]" in first
    assert first[-2:] == ["goalbot db upgrade", "goalbot run"]  # the first start makes the db
    assert run() == ["goalbot run"]  # nothing changed: no reinstall, the database is made
    with (tmp_path / "constraints.txt").open("a", encoding="utf-8") as pins:
        pins.write("# a new pin\n")
    assert "python -m pip install --quiet -c constraints.txt -e .[postgres]" in run()
