"""A finding is data: a stable key, a severity, a human message and the facts behind it.

The same finding feeds the alert, the log line and the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning")


@dataclass(frozen=True)
class Finding:
    key: str
    severity: Severity
    message: str
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding {self.key!r}: severity {self.severity!r} must be one of {SEVERITIES}")
        if not self.key:
            raise ValueError("a finding needs a stable, non-empty key")

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "severity": self.severity, "message": self.message, "facts": self.facts}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(data["key"], data["severity"], data["message"], dict(data.get("facts") or {}))
