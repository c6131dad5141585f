"""The layers' import arrows point one way (DESIGN §2); only chat/ imports telegram.

The Bot API emulator (``emulator/``) is a Bot API server, not part of the bot: it imports
nothing else of goalbot, and no layer imports it (the bot talks to it over HTTP, as to
Telegram). Only the entry points at the top (``cli.py``, ``sandbox/``) put the two together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "goalbot"
# Each layer may import the layers after it in this list, never one before it. A layer is a
# folder (chat/) or a single module (config.py): the command line on top, the start-up that
# composes the rest below the chat, the configuration below the services that read it.
ORDER = [
    "cli",
    "chat",
    "bootstrap",
    "scheduling",
    "reporting",
    "services",
    "logs",
    "config",
    "storage",
    "domain",
    "catalogues",
]
FRAMEWORKS = {"telegram", "sqlalchemy", "alembic", "jinja2", "apscheduler", "httpx"}
ALLOWED_FRAMEWORKS = {
    "cli": {"sqlalchemy"},  # to name a database error in one line
    "chat": FRAMEWORKS,
    "bootstrap": set(),
    "scheduling": set(),
    "reporting": {"jinja2"},
    "services": {"sqlalchemy"},
    "logs": set(),
    "config": set(),
    "storage": {"sqlalchemy", "alembic"},
    "domain": set(),
    "catalogues": set(),
}
EMULATOR = "emulator"
EMULATOR_FRAMEWORKS = {"httpx"}  # the terminal phone; aiohttp serves the Bot API
TOP = {"sandbox", EMULATOR}
ENTRY_POINTS = {"cli"}  # may put the bot and the emulator together


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def files_of(layer: str) -> list[Path]:
    module = SRC / f"{layer}.py"
    return [module] if module.exists() else sorted((SRC / layer).rglob("*.py"))


def layer_files() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in ORDER for path in files_of(layer)]


def top_files() -> list[Path]:
    """The modules outside the layers: entry points, the emulator, the package's own files."""
    inside = {path for _layer, path in layer_files()}
    return [path for path in sorted(SRC.rglob("*.py")) if path not in inside]


def test_every_layer_exists() -> None:
    for layer in ORDER:
        assert (SRC / f"{layer}.py").exists() or (SRC / layer / "__init__.py").exists(), layer


def test_every_module_is_in_a_layer() -> None:
    """A new module finds its place in ORDER (or is an entry point of its own)."""
    placed = {path for _layer, path in layer_files()}
    outside = {
        path.relative_to(SRC).parts[0]
        for path in SRC.rglob("*.py")
        if path not in placed and path.name not in ("__init__.py", "__main__.py")
    }
    assert outside <= TOP, outside - TOP


@pytest.mark.parametrize(
    ("layer", "path"),
    layer_files(),
    ids=lambda v: str(v.relative_to(SRC)) if isinstance(v, Path) else v,
)
def test_layer_imports_only_downwards(layer: str, path: Path) -> None:
    above = set(ORDER[: ORDER.index(layer)])
    for name in imports_of(path):
        parts = name.split(".")
        if parts[0] == "goalbot" and len(parts) > 1:
            assert parts[1] not in above, f"{path.relative_to(SRC)} imports {name} (a layer above)"
            if layer not in ENTRY_POINTS:
                assert parts[1] not in TOP, f"{path.relative_to(SRC)} imports {name}"
        top = parts[0]
        if top in FRAMEWORKS:
            assert top in ALLOWED_FRAMEWORKS[layer], (
                f"{path.relative_to(SRC)} imports {top}, which {layer}/ must not use"
            )


@pytest.mark.parametrize(
    "path",
    sorted((SRC / EMULATOR).rglob("*.py")),
    ids=lambda v: str(v.relative_to(SRC)),
)
def test_the_emulator_imports_nothing_of_the_bot(path: Path) -> None:
    for name in imports_of(path):
        parts = name.split(".")
        if parts[0] == "goalbot":
            assert parts[1:2] == [EMULATOR], f"{path.relative_to(SRC)} imports {name}"
        if parts[0] in FRAMEWORKS:
            assert parts[0] in EMULATOR_FRAMEWORKS, f"{path.relative_to(SRC)} imports {name}"


def test_only_chat_imports_telegram() -> None:
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SRC / "chat"):
            continue
        for name in imports_of(path):
            assert name.split(".")[0] != "telegram", f"{path.relative_to(SRC)} imports {name}"


@pytest.mark.parametrize("path", files_of("sandbox"), ids=lambda v: str(v.relative_to(SRC)))
def test_the_sandbox_sits_at_the_top_beside_the_command_line(path: Path) -> None:
    """It puts the bot and the emulator together; the command line starts it, not the reverse."""
    for name in imports_of(path):
        assert not name.startswith("goalbot.cli"), f"{path.relative_to(SRC)} imports {name}"


def test_the_check_would_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from goalbot.chat import handlers\nimport telegram\n")
    assert imports_of(bad) == ["goalbot.chat", "telegram"]


def test_nothing_runs_at_import() -> None:
    """Modules define things; none connects, reads config or starts work when imported."""
    for path in [path for _layer, path in layer_files()] + top_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                name = ast.unparse(node.value.func)
                if path.parent.name == "migrations" or "run_migrations" in name:
                    continue
                pytest.fail(f"{path.relative_to(SRC)} calls {name} at import")
