"""The layers' import arrows point one way (DESIGN §2); only chat/ imports telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "goalbot"
# Each layer may import the layers after it in this list, never one before it.
ORDER = ["chat", "scheduling", "reporting", "services", "storage", "domain", "catalogues"]
FRAMEWORKS = {"telegram", "sqlalchemy", "alembic", "jinja2", "apscheduler", "httpx"}
ALLOWED_FRAMEWORKS = {
    "chat": FRAMEWORKS,
    "scheduling": set(),
    "reporting": {"jinja2"},
    "services": {"sqlalchemy"},
    "storage": {"sqlalchemy", "alembic"},
    "domain": set(),
    "catalogues": set(),
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def layer_files() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in ORDER for path in sorted((SRC / layer).rglob("*.py"))]


def test_every_layer_exists() -> None:
    for layer in ORDER:
        assert (SRC / layer / "__init__.py").exists(), layer


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
            assert parts[1] != "cli", f"{path.relative_to(SRC)} imports the CLI"
        top = parts[0]
        if top in FRAMEWORKS:
            assert top in ALLOWED_FRAMEWORKS[layer], (
                f"{path.relative_to(SRC)} imports {top}, which {layer}/ must not use"
            )


def test_the_check_would_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from goalbot.chat import handlers\nimport telegram\n")
    assert imports_of(bad) == ["goalbot.chat", "telegram"]


def test_nothing_runs_at_import() -> None:
    """Modules define things; none connects, reads config or starts work when imported."""
    for _layer, path in layer_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                name = ast.unparse(node.value.func)
                if path.parent.name == "migrations" or "run_migrations" in name:
                    continue
                pytest.fail(f"{path.relative_to(SRC)} calls {name} at import")
