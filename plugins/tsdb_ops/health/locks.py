"""Blocked and blocking sessions, from pg_blocking_pids()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult, mask_literals

CHECK = "locks"
TITLE = "Blocked and blocking sessions"
KEY = "health.locks.blocked"


def lock_findings(pairs: Sequence[Mapping[str, Any]], warning_seconds: float, critical_seconds: float) -> list[Finding]:
    """One finding for all sessions waiting longer than the warning limit; critical past the critical limit."""
    waits: dict[int, float] = {}
    blockers: dict[int, set[int]] = {}
    for pair in pairs:
        waits[pair["blocked_pid"]] = max(waits.get(pair["blocked_pid"], 0.0), pair["waiting_seconds"] or 0.0)
        blockers.setdefault(pair["blocked_pid"], set()).add(pair["blocking_pid"])
    late = {pid: s for pid, s in waits.items() if s >= warning_seconds}
    if not late:
        return []
    longest = max(late.values())
    severity = "critical" if longest >= critical_seconds else "warning"
    blocking = sorted({b for pid in late for b in blockers[pid]})
    # Root blockers: blocking others while not waiting themselves; terminating those frees the queue.
    roots = [b for b in blocking if b not in waits] or blocking
    return [Finding(
        KEY, severity,
        f"{len(late)} session(s) blocked on locks, the longest for {longest:.0f} s (limits {warning_seconds:g} s warning, "
        f"{critical_seconds:g} s critical); blocking pid(s) {roots}: see the health report, end them with "
        "pg_cancel_backend / pg_terminate_backend if they are stuck",
        {"blocked_pids": sorted(late), "blocking_pids": blocking, "root_blocking_pids": roots,
         "longest_wait_seconds": round(longest, 1)},
    )]


# Who waits on whom, a SQL step of db_health_check (no parameters).
BLOCKED_LOCKS_SQL = "health/blocked_locks.sql"


def judge_locks(pairs: Sequence[Mapping[str, Any]], config: OpsConfig) -> CheckResult:
    """Sessions waiting on locks, by wait time, and their root blockers, from the rows of BLOCKED_LOCKS_SQL."""
    result = CheckResult(CHECK, TITLE, columns=["blocked pid", "user", "application", "waiting s", "blocked statement",
                                                "blocking pid", "blocking state", "blocking xact s", "blocking statement"])
    result.findings = lock_findings(pairs, config.health_lock_wait_warning_seconds, config.health_lock_wait_critical_seconds)
    result.rows = [[p["blocked_pid"], p["blocked_user"], p["blocked_application"], round(p["waiting_seconds"] or 0, 1),
                    mask_literals(p["blocked_query"]), p["blocking_pid"], p["blocking_state"],
                    round(p["blocking_transaction_seconds"] or 0, 1), mask_literals(p["blocking_query"])]
                   for p in pairs]
    if not pairs:
        result.notes.append("No session is waiting for a lock held by another.")
    return result
