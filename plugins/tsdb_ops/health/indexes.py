"""Index usage of the hypertable: scans and size per index of the parent, summed over the chunks' indexes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget

CHECK = "indexes"
TITLE = "Index usage"


@dataclass(frozen=True)
class IndexUsage:
    index: str           # the parent's index, schema-qualified
    is_unique: bool      # unique and primary-key indexes enforce a constraint: never "unused"
    scans: int
    tuples_read: int
    index_bytes: int
    chunk_indexes: int


# One row per index of each chunk (or of the plain table), matched to the parent's index; a SQL step of
# db_health_check read by the index-usage and the bloat checks (parameters: HealthTarget.sql_params).
INDEX_STATS_SQL = "health/index_stats.sql"


def index_usage(rows: Sequence[Mapping[str, Any]]) -> list[IndexUsage]:
    """Sum scans, tuples read and bytes per parent index, most scanned first."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = totals.setdefault(row["parent_index"], {"unique": row["is_unique"] or row["is_primary"],
                                                        "scans": 0, "read": 0, "bytes": 0, "n": 0})
        entry["scans"] += row["scans"]
        entry["read"] += row["tuples_read"]
        entry["bytes"] += row["index_bytes"]
        entry["n"] += 1
    usage = [IndexUsage(name, e["unique"], e["scans"], e["read"], e["bytes"], e["n"]) for name, e in totals.items()]
    return sorted(usage, key=lambda u: (-u.scans, u.index))


def unused_index_findings(usage: Sequence[IndexUsage], max_scans: int, min_bytes: int) -> list[Finding]:
    """Non-unique indexes scanned at most ``max_scans`` times since the statistics reset and at least ``min_bytes``."""
    return [
        Finding(f"health.indexes.unused.{u.index}", "warning",
                f"Index {u.index} was scanned {u.scans} times since the statistics reset but takes {u.index_bytes} "
                f"bytes over {u.chunk_indexes} chunk(s): drop it if no query needs it",
                {"index": u.index, "scans": u.scans, "index_bytes": u.index_bytes})
        for u in usage
        if not u.is_unique and u.scans <= max_scans and u.index_bytes >= min_bytes
    ]


def judge_index_usage(target: HealthTarget, index_rows: Sequence[Mapping[str, Any]], config: OpsConfig) -> CheckResult:
    """Scans per index of the table, summed over its chunks; large non-unique indexes never scanned, from the rows
    of INDEX_STATS_SQL."""
    usage = index_usage(index_rows)
    result = CheckResult(CHECK, TITLE, columns=["index", "unique", "scans", "tuples read", "bytes", "chunk indexes"])
    result.findings = unused_index_findings(usage, config.health_unused_index_max_scans, config.health_unused_index_min_bytes)
    result.rows = [[u.index, u.is_unique, u.scans, u.tuples_read, u.index_bytes, u.chunk_indexes] for u in usage]
    if target.table.is_hypertable:
        result.notes.append(f"Summed over the indexes of {len(target.relids)} chunk(s) of {target.name}.")
    return result
