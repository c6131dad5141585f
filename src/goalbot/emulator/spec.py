"""The machine-readable Bot API description: methods, parameters and object types."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_ENV_VAR = "GOALBOT_BOTAPI_SPEC"
SPEC_FILE_NAME = "bot-api-10.1.min.json"

PRIMITIVES = frozenset({"Integer", "Float", "String", "Boolean", "True", "InputFile"})

_DISCRIMINATOR_RE = re.compile(r"(?:must be|always)\s+[\"“]?([a-z_]+)[\"”]?")


def default_spec_path() -> Path:
    """Where the Bot API description lives: $GOALBOT_BOTAPI_SPEC, else the copy shipped here."""
    env = os.environ.get(SPEC_ENV_VAR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "data" / SPEC_FILE_NAME


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...] = ()
    # (field name, value) -> subtype, for abstract types told apart by a "type"/"status" field
    discriminators: dict[tuple[str, str], str] = field(default_factory=dict)


class ApiSpec:
    """Lookup of methods (case-insensitive, as Telegram does) and types."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = str(raw.get("version", ""))
        self.methods: dict[str, MethodSpec] = {}
        self._methods_lower: dict[str, MethodSpec] = {}
        for name, method in raw["methods"].items():
            spec = MethodSpec(
                name=name,
                fields={f["name"]: _field(f) for f in method.get("fields", [])},
                returns=tuple(method.get("returns", [])),
            )
            self.methods[name] = spec
            self._methods_lower[name.lower()] = spec
        self.types: dict[str, TypeSpec] = {}
        raw_types: dict[str, Any] = raw["types"]
        for name, type_ in raw_types.items():
            fields = {f["name"]: _field(f) for f in type_.get("fields", [])}
            subtypes = tuple(type_.get("subtypes", []))
            discriminators: dict[tuple[str, str], str] = {}
            for sub in subtypes:
                sub_raw = raw_types.get(sub)
                if not sub_raw:
                    continue
                for f in sub_raw.get("fields", []):
                    if f["name"] not in ("type", "status", "source"):
                        continue
                    match = _DISCRIMINATOR_RE.search(_text(f.get("description", "")))
                    if match:
                        discriminators[(f["name"], match.group(1))] = sub
            self.types[name] = TypeSpec(name, fields, subtypes, discriminators)

    def method(self, name: str) -> MethodSpec | None:
        return self._methods_lower.get(name.lower())

    def type(self, name: str) -> TypeSpec | None:
        return self.types.get(name)

    def is_object_type(self, name: str) -> bool:
        return name in self.types and name not in PRIMITIVES


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _field(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=raw["name"],
        types=tuple(raw.get("types", [])),
        required=bool(raw.get("required", False)),
        description=_text(raw.get("description", "")),
    )


@lru_cache(maxsize=4)
def load_spec(path: str | None = None) -> ApiSpec:
    """Load (once per path) the Bot API description."""
    spec_path = Path(path) if path else default_spec_path()
    if not spec_path.is_file():
        raise FileNotFoundError(
            f"Bot API description not found at {spec_path}; set {SPEC_ENV_VAR} to its path"
        )
    with spec_path.open(encoding="utf-8") as fh:
        return ApiSpec(json.load(fh))
