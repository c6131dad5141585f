"""The audit log added to an export: a sheet of the XLSX workbook, a list in the JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from openpyxl import load_workbook

from goalbot.reporting.rendering import DEFAULT_LANGUAGE
from goalbot.reporting.words import Words
from goalbot.services.audit import AuditEntry

COLUMNS = ("at", "actor", "person", "on_behalf_of", "action", "subject", "period", "old", "new")
AUDIT_FORMATS = ("xlsx", "json")


def _shown(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def with_audit(
    content: bytes, fmt: str, entries: Sequence[AuditEntry], language: str = DEFAULT_LANGUAGE
) -> bytes:
    """``content`` (an XLSX or JSON export) with the audit log ``entries`` added."""
    if fmt == "json":
        document = json.loads(content)
        document["audit"] = [entry.as_json() for entry in entries]
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt != "xlsx":
        raise ValueError(f"the audit log is added to {' and '.join(AUDIT_FORMATS)} exports only")
    words = Words("report/audit.txt.j2", language)
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.create_sheet(words("header", "sheet")[:31])
    sheet.append([words("header", key) for key in COLUMNS])
    for e in entries:
        sheet.append(
            [
                e.at.replace(tzinfo=None, microsecond=0).isoformat(sep=" ") + " UTC",
                words("actor", e.actor),
                e.name,
                e.on_behalf_of,
                e.action,
                e.subject,
                e.period or "",
                _shown(e.old),
                _shown(e.new),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
