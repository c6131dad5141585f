"""Checking requests (and our own answers) against the Bot API description."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .spec import PRIMITIVES, ApiSpec, FieldSpec, MethodSpec

JsonDict = dict[str, Any]

INVALID = "invalid"
SEMANTIC = "semantic"
UNSUPPORTED = "unsupported"


class ApiError(Exception):
    """An error answer of the Bot API, shaped as Telegram shapes it.

    ``category`` tells invalid calls (the request itself is wrong: Telegram rejects it
    whatever the state of the world) from semantic ones (blocked user, message not
    modified, chat migrated: correct calls that the world refused).
    """

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        parameters: JsonDict | None = None,
        category: str = INVALID,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters
        self.category = category

    def to_json(self) -> JsonDict:
        body: JsonDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(text: str, *, category: str = INVALID, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters=parameters or None, category=category)


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}", category=SEMANTIC)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return (
            f"UploadedFile({self.field_name!r}, filename={self.filename!r}, "
            f"content_type={self.content_type!r}, size={len(self.data)})"
        )


class FieldError(ValueError):
    """A problem inside a JSON-serialized object; ``type_name`` is the innermost object."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message


_OBJECT_ERROR_PREFIX = {
    "InlineKeyboardButton": "can't parse inline keyboard button",
    "KeyboardButton": "can't parse keyboard button",
    "MessageEntity": "can't parse MessageEntity",
    "BotCommand": "can't parse BotCommand",
    "ReplyParameters": "can't parse reply parameters",
    "LinkPreviewOptions": "can't parse link preview options",
}

_JSON_DECODE_ERROR = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
    "link_preview_options": "can't parse link preview options JSON object",
    "reply_parameters": "can't parse reply parameters JSON object",
    "commands": "can't parse commands JSON object",
    "scope": "can't parse BotCommandScope JSON object",
}

_MISSING_REQUIRED = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "document": "there is no document in the request",
    "photo": "there is no photo in the request",
    "callback_query_id": ("query is too old and response timeout expired or query ID is invalid"),
    "action": "wrong parameter action in request",
}

_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_FLOAT_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    if value is None:
        return "null"
    return type(value).__name__


class RequestValidator:
    """Validates and converts the parameters of one request.

    Top-level parameters arrive as strings (query string, form data, multipart) or as
    JSON values (JSON body); objects may be JSON-serialized strings. The result maps
    each parameter to a Python value: int, float, bool, str, dict/list (checked against
    the object types of the description) or UploadedFile.
    """

    def __init__(self, spec: ApiSpec, *, strict: bool = True) -> None:
        self.spec = spec
        self.strict = strict

    # ---- request parameters -------------------------------------------------------------

    def validate(
        self, method: MethodSpec, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        attached = self._attach_references(raw)
        for name in files:
            if name not in method.fields and name not in attached:
                raise bad_request(
                    f'unknown parameter "{name}" (a file part that no parameter uses)'
                )
        for name in raw:
            if name not in method.fields:
                raise bad_request(f'unknown parameter "{name}" for method {method.name}')
        result: dict[str, Any] = {}
        for field in method.fields.values():
            present = field.name in raw or field.name in files
            value: Any = raw.get(field.name)
            if field.name in files and field.name not in raw:
                value = files[field.name]
            if (
                not field.required
                and isinstance(value, str)
                and value == ""
                and "String" not in field.types
            ):
                continue  # Telegram reads an empty argument as an absent one
            if not present or (isinstance(value, str) and value == "" and field.required):
                if field.required:
                    raise bad_request(
                        _MISSING_REQUIRED.get(field.name, f'parameter "{field.name}" is required')
                    )
                continue
            result[field.name] = self._param(field, value, files)
        return result

    @staticmethod
    def _attach_references(raw: dict[str, Any]) -> set[str]:
        names: set[str] = set()
        text = json.dumps(raw, default=str)
        for match in re.finditer(r"attach://([A-Za-z0-9_\-]+)", text):
            names.add(match.group(1))
        return names

    def _param(self, field: FieldSpec, value: Any, files: dict[str, UploadedFile]) -> Any:
        primitive = [t for t in field.types if t in PRIMITIVES]
        composite = [t for t in field.types if t not in PRIMITIVES]
        errors: list[str] = []
        for type_name in primitive:
            try:
                return self._top_level(field.name, type_name, value, files)
            except _Mismatch as exc:
                errors.append(exc.message)
        if composite and not isinstance(value, UploadedFile):
            decoded = value
            if isinstance(value, str):
                try:
                    decoded = json.loads(value)
                except ValueError:
                    raise bad_request(
                        _JSON_DECODE_ERROR.get(field.name, f"can't parse {field.name} JSON object")
                    ) from None
            first: FieldError | None = None
            for type_name in self._rank(composite, decoded):
                try:
                    return self.check_value(decoded, type_name, field.name)
                except FieldError as exc:
                    first = first or exc
            assert first is not None
            owner = first.type_name or field.name
            prefix = _OBJECT_ERROR_PREFIX.get(owner, f"can't parse {owner}")
            raise bad_request(f"{prefix}: {first.message}")
        if composite:
            errors.append(f'parameter "{field.name}" can\'t be a file')
        raise bad_request(errors[0] if len(errors) == 1 else "; ".join(dict.fromkeys(errors)))

    def _rank(self, type_names: list[str], value: Any) -> list[str]:
        """Most plausible types first: arrays for lists, best key overlap for objects."""

        def score(type_name: str) -> tuple[int, int]:
            if type_name.startswith("Array of "):
                return (0 if isinstance(value, list) else 9, 0)
            spec = self.spec.type(type_name)
            if spec is None or not isinstance(value, dict):
                return (5, 0)
            missing = sum(1 for f in spec.fields.values() if f.required and f.name not in value)
            overlap = sum(1 for k in value if k in spec.fields)
            return (missing, -overlap)

        return sorted(type_names, key=score)

    def _top_level(
        self, name: str, type_name: str, value: Any, files: dict[str, UploadedFile]
    ) -> Any:
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                part = value[len("attach://") :]
                if part in files:
                    return files[part]
                raise _Mismatch(f'file part "{part}" referenced by {name} is missing')
            raise _Mismatch(f'parameter "{name}" must be an uploaded file')
        if isinstance(value, UploadedFile):
            raise _Mismatch(f'parameter "{name}" can\'t be a file')
        if type_name == "Integer":
            if isinstance(value, bool):
                raise _Mismatch(f'parameter "{name}" must be an Integer')
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INT_RE.match(value):
                return int(value)
            raise _Mismatch(f'parameter "{name}" must be an Integer, got {value!r}')
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str) and _FLOAT_RE.match(value):
                return float(value)
            raise _Mismatch(f'parameter "{name}" must be a Float, got {value!r}')
        if type_name == "Boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise _Mismatch(f'parameter "{name}" must be a Boolean, got {value!r}')
        if type_name == "String":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _Mismatch(f'parameter "{name}" must be a String, got {_json_kind(value)}')
        raise _Mismatch(f"unexpected type {type_name}")  # pragma: no cover

    # ---- JSON values against the description ---------------------------------------------

    def check_value(self, value: Any, type_name: str, where: str, *, request: bool = True) -> Any:
        """Check a decoded JSON value against a type expression ("Array of X", "Integer", ...)."""
        if type_name.startswith("Array of "):
            inner = type_name[len("Array of ") :]
            if not isinstance(value, list):
                raise FieldError("", f'Field "{where}" must be of type Array')
            return [self.check_value(item, inner, where, request=request) for item in value]
        if type_name in PRIMITIVES:
            return self._check_primitive(value, type_name, where, request=request)
        return self.check_object(value, type_name, request=request)

    def _check_primitive(self, value: Any, type_name: str, where: str, *, request: bool) -> Any:
        if type_name == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if request and isinstance(value, str) and _INT_RE.match(value):
                return int(value)
            raise FieldError("", f'Field "{where}" must be of type Integer')
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
            raise FieldError("", f'Field "{where}" must be of type Float')
        if type_name == "Boolean":
            if isinstance(value, bool):
                return value
            raise FieldError("", f'Field "{where}" must be of type Boolean')
        if type_name == "True":
            if value is True:
                return value
            raise FieldError("", f'Field "{where}" must be true')
        if type_name == "String":
            if isinstance(value, str):
                return value
            raise FieldError("", f'Field "{where}" must be of type String')
        if type_name == "InputFile":
            if isinstance(value, str):
                return value
            raise FieldError("", f'Field "{where}" must be of type String')
        raise FieldError("", f"unknown type {type_name}")  # pragma: no cover

    def check_object(self, value: Any, type_name: str, *, request: bool = True) -> Any:
        type_spec = self.spec.type(type_name)
        if type_spec is None:
            raise FieldError(type_name, f"unknown type {type_name}")
        if type_spec.subtypes:
            return self._check_union(value, type_name, list(type_spec.subtypes), request=request)
        if not isinstance(value, dict):
            raise FieldError(type_name, f"{type_name} must be an Object")
        for key in value:
            if key not in type_spec.fields and (self.strict or not request):
                raise FieldError(type_name, f'Unknown field "{key}"')
        checked: JsonDict = {}
        for field in type_spec.fields.values():
            if field.name not in value:
                if field.required:
                    raise FieldError(type_name, f'Can\'t find field "{field.name}"')
                continue
            try:
                checked[field.name] = self._check_field(value[field.name], field, request=request)
            except FieldError as exc:
                if not exc.type_name:
                    raise FieldError(type_name, exc.message) from None
                raise
        for key, item in value.items():
            checked.setdefault(key, item)
        return checked

    def _check_field(self, value: Any, field: FieldSpec, *, request: bool) -> Any:
        problems: list[FieldError] = []
        for type_name in self._rank(list(field.types), value):
            try:
                return self.check_value(value, type_name, field.name, request=request)
            except FieldError as exc:
                problems.append(exc)
        inner = [p for p in problems if p.type_name]
        raise inner[0] if inner else problems[0]

    def _check_union(
        self, value: Any, type_name: str, candidates: list[str], *, request: bool
    ) -> Any:
        type_spec = self.spec.type(type_name)
        assert type_spec is not None
        if isinstance(value, dict):
            for (key, expected), sub in type_spec.discriminators.items():
                if value.get(key) == expected:
                    return self.check_value(value, sub, type_name, request=request)
            if type_spec.discriminators:
                keys = sorted({k for k, _ in type_spec.discriminators})
                raise FieldError(
                    type_name,
                    f"unsupported {type_name} {keys[0]} {value.get(keys[0])!r}",
                )
            if type_name == "MaybeInaccessibleMessage":
                sub = "InaccessibleMessage" if value.get("date") == 0 else "Message"
                return self.check_value(value, sub, type_name, request=request)
        problems: list[FieldError] = []
        for sub in candidates:
            try:
                return self.check_value(value, sub, type_name, request=request)
            except FieldError as exc:
                problems.append(exc)
        raise problems[0] if problems else FieldError(type_name, f"bad {type_name}")

    def check_result(self, value: Any, returns: tuple[str, ...]) -> list[str]:
        """Problems of an answer of ours against the method's return types (empty if fine)."""
        problems: list[str] = []
        for type_name in returns:
            try:
                self.check_value(value, type_name, "result", request=False)
                return []
            except FieldError as exc:
                problems.append(f"{exc.type_name}: {exc.message}")
        return problems


class _Mismatch(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


REPLY_MARKUP_TYPES = (
    "InlineKeyboardMarkup",
    "ReplyKeyboardMarkup",
    "ReplyKeyboardRemove",
    "ForceReply",
)


def markup_kind(markup: JsonDict) -> str:
    """Which of the reply markup types a (validated) reply_markup dict is."""
    if "inline_keyboard" in markup:
        return "InlineKeyboardMarkup"
    if "keyboard" in markup:
        return "ReplyKeyboardMarkup"
    if "remove_keyboard" in markup:
        return "ReplyKeyboardRemove"
    return "ForceReply"
