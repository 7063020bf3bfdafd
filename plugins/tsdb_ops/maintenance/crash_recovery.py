"""db_crash_recovery_check (guide: "Recovery After System Crash"): job status, chunk health, overdue compression.

The guide's checks, made to work: job_stats plus job_errors (the guide's job_stats query had no history), chunk
health from chunks_detailed_size() against the chunk catalog, and compression of the uncompressed chunks older
than the compression policy, each chunk in its own transaction (the guide's NOT IN compared regclass values
with unqualified chunk names and compressed everything in one statement).
"""

from __future__ import annotations

import psycopg

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.maintenance.policy_run import interval_days
from tsdb_ops.timescale.compression_stats import ChunkStatus
from tsdb_ops.timescale.jobs import find_policy_jobs
from tsdb_ops.timescale.table import Table


def policy_compress_after_days(conn: psycopg.Connection, hypertable: Table, config: OpsConfig) -> tuple[float, str]:
    """The compression policy's compress_after in days, or config.compress_after_days when there is no policy."""
    jobs = find_policy_jobs(conn, hypertable, "compression")
    if jobs and "compress_after" in jobs[0].config:
        return interval_days(conn, jobs[0].config["compress_after"]), f"compression policy job {jobs[0].job_id}"
    return float(config.compress_after_days), "setting compress_after_days (the hypertable has no compression policy)"


def chunk_health_findings(chunks: list[ChunkStatus]) -> list[Finding]:
    """A catalog chunk without a size row has lost its table (critical); a compressed one without stats is odd."""
    findings = []
    for chunk in chunks:
        if chunk.total_bytes is None:
            findings.append(Finding(f"chunk_without_size:{chunk.qualified_name}", "critical",
                                    f"chunk {chunk.qualified_name} is in the catalog but chunks_detailed_size() has no "
                                    "size for it: its table may be missing; restore from backup (db_restore)",
                                    {"chunk": chunk.qualified_name}))
        elif chunk.is_compressed and chunk.before_bytes is None:
            findings.append(Finding(f"compressed_chunk_without_stats:{chunk.qualified_name}", "warning",
                                    f"chunk {chunk.qualified_name} is marked compressed but has no compression stats",
                                    {"chunk": chunk.qualified_name}))
    return findings


def chunk_lines(chunks: list[ChunkStatus]) -> list[str]:
    """The guide's chunk listing, newest first, with the size now."""
    return [f"{c.qualified_name}: {c.range_start:%Y-%m-%d %H:%M} to {c.range_end:%Y-%m-%d %H:%M}, "
            f"{'compressed' if c.is_compressed else 'uncompressed'}, {c.total_bytes} bytes"
            for c in sorted(chunks, key=lambda c: c.range_start.timestamp() if c.range_start else 0.0,
                          reverse=True)]
