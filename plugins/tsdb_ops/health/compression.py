"""Uncompressed chunks older than the compression policy: the policy is not keeping up (or not running)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget

CHECK = "compression"
TITLE = "Uncompressed chunks older than the compression policy"
KEY = "health.compression.overdue"


def overdue_findings(table: str, chunks: Sequence[Mapping[str, Any]], compress_after_days: float,
                     policy_job_id: int | None) -> list[Finding]:
    if not chunks:
        return []
    total = sum(c["total_bytes"] or 0 for c in chunks)
    source = f"its compression policy (job {policy_job_id})" if policy_job_id else "compress_after_days (no policy)"
    return [Finding(
        KEY, "warning",
        f"{len(chunks)} chunk(s) of {table} ({total} bytes) are uncompressed although older than "
        f"{compress_after_days:g} days, the age of {source}: check the policy job, or run db_crash_recovery_check",
        {"table": table, "chunks": len(chunks), "bytes": total, "compress_after_days": compress_after_days,
         "oldest_chunk": chunks[0]["chunk"], "policy_job_id": policy_job_id},
    )]


def check_compression(conn: psycopg.Connection, target: HealthTarget, config: OpsConfig) -> CheckResult:
    result = CheckResult(CHECK, TITLE, columns=["chunk", "from", "to", "bytes"])
    if not target.table.is_hypertable:
        result.notes.append(f"{target.name} is not a TimescaleDB hypertable: nothing to compress.")
        return result
    if not target.table.compression_enabled:
        result.notes.append(f"Compression is not enabled on {target.name} (ALTER TABLE ... SET (timescaledb.compress)); "
                            "run db_policy_setup.")
        return result
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(read_sql("health/overdue_compression.sql"),
                           {**target.table.params, "default_days": float(config.compress_after_days)}).fetchall()
    days, job_id = rows[0]["compress_after_days"], rows[0]["policy_job_id"]
    chunks = [r for r in rows if r["chunk"]]
    result.findings = overdue_findings(target.name, chunks, days, job_id)
    result.notes.append(f"Age limit: {days:g} days, from " +
                        (f"compression policy job {job_id}." if job_id else "the setting compress_after_days (no policy)."))
    result.rows = [[c["chunk"], c["range_start"], c["range_end"], c["total_bytes"]] for c in chunks]
    return result
