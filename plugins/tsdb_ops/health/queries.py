"""Slow statements from pg_stat_statements, when the extension is installed and loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult, mask_literals
from tsdb_ops.health.target import HealthTarget

CHECK = "queries"
TITLE = "Slow queries (pg_stat_statements)"
KEY = "health.queries.slow"


def pg_stat_statements_note(schema: str | None, loaded: bool, database: str) -> str | None:
    """Why the slow-query check cannot run, and how to enable it; None when it can."""
    if schema and loaded:
        return None
    steps = []
    if not loaded:
        steps.append("add pg_stat_statements to shared_preload_libraries and restart the server")
    if not schema:
        steps.append(f"run CREATE EXTENSION pg_stat_statements in database {database}")
    return "pg_stat_statements is not available, so slow queries are not checked: " + "; then ".join(steps) + "."


def slow_query_findings(rows: Sequence[Mapping[str, Any]], min_mean_ms: float) -> list[Finding]:
    """One finding for the statements above the mean-time threshold (their texts are in the report)."""
    slow = [r for r in rows if r["mean_ms"] >= min_mean_ms]
    if not slow:
        return []
    worst = max(slow, key=lambda r: r["mean_ms"])
    return [Finding(
        KEY, "warning",
        f"{len(slow)} statement(s) take {min_mean_ms:g} ms or more on average; slowest {worst['mean_ms']} ms "
        f"over {worst['calls']} calls: {mask_literals(worst['query_preview'], 120)}",
        {"statements": len(slow), "slowest_mean_ms": worst["mean_ms"], "slowest_queryid": worst["queryid"]},
    )]


def check_slow_queries(conn: psycopg.Connection, target: HealthTarget, config: OpsConfig) -> CheckResult:
    result = CheckResult(CHECK, TITLE, columns=["queryid", "calls", "total ms", "mean ms", "% of total", "rows", "statement"])
    note = pg_stat_statements_note(target.pg_stat_statements_schema, target.pg_stat_statements_loaded, target.database)
    if note:
        result.notes.append(note)
        return result
    query = sql.SQL(read_sql("health/slow_queries.sql")).format(schema=sql.Identifier(target.pg_stat_statements_schema))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, {"min_mean_ms": config.health_slow_query_mean_ms,
                                   "row_limit": config.health_slow_query_limit}).fetchall()
    result.findings = slow_query_findings(rows, config.health_slow_query_mean_ms)
    result.rows = [[r["queryid"], r["calls"], r["total_ms"], r["mean_ms"], r["percent_of_total"], r["rows"],
                    mask_literals(r["query_preview"])] for r in rows]
    if not rows:
        result.notes.append(f"No statement of database {target.database} takes {config.health_slow_query_mean_ms:g} ms "
                            "or more on average.")
    return result
