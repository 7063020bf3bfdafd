"""The outcome of one health check: findings (for alerts), notes (what could not be checked and why) and a table
(for the report); plain JSON data, so it travels between tasks as an XCom."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tsdb_ops.findings import Finding

_STRING_LITERAL = re.compile(r"(?:[EeBbXxNn])?'(?:[^']|'')*'|\$([A-Za-z_]*)\$.*?\$\1\$", re.DOTALL)


def mask_literals(statement: str | None, limit: int = 200) -> str:
    """A statement with its string literals replaced by '?' (a password in ALTER ROLE never reaches a report)."""
    text = " ".join(_STRING_LITERAL.sub("'?'", statement or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value: Any) -> Any:
    """JSON-friendly value: datetimes as ISO text, durations in seconds, decimals as floats."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass
class CheckResult:
    check: str                                   # stable id, also the alert scope suffix: db_health.<check>
    title: str                                   # heading in the report
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    def summary(self) -> str:
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("critical", "warning")}
        return f"{self.title}: {counts['critical']} critical, {counts['warning']} warning, {len(self.rows)} rows"

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "findings": [plain(f.as_dict()) for f in self.findings],
            "notes": list(self.notes),
            "columns": list(self.columns),
            "rows": [plain(list(r)) for r in self.rows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            data["check"], data["title"], [Finding.from_dict(f) for f in data.get("findings", [])],
            list(data.get("notes", [])), list(data.get("columns", [])), [list(r) for r in data.get("rows", [])],
        )
