"""db_weekly_maintenance's task bodies: drop and compress old chunks, analyze stale chunks, write the report.

VACUUM ANALYZE and the statistics and report queries are SQL steps of the DAG; these bodies are the loops and
decisions around them. Every step is also written to db_maintenance.log.
"""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import load_config


def resolve_hypertable() -> dict[str, Any]:
    """The configured hypertable, resolved in the catalog: the bind parameters of every later step."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.timescale.table import resolve_table

    config = load_config()
    maintenance_logger(config)("Starting database maintenance tasks...")
    with db_session(config.postgres_conn_id) as conn:
        hypertable = resolve_table(conn, config.hypertable)
    return {**hypertable.params, "column": config.timeframe_column}


def drop_chunks_past_drop_age(hypertable: dict[str, Any]) -> list[str]:
    """One transaction (``drop_chunks``) under the maintenance timeouts; a no-op under a shorter retention policy."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.maintenance.weekly import drop_old_chunks

    config = load_config()
    with db_session(config.postgres_conn_id) as conn:
        return drop_old_chunks(conn, _table(hypertable), config, maintenance_logger(config))


def compress_chunks_past_weekly_age(hypertable: dict[str, Any]) -> dict[str, Any]:
    """A loop, one chunk per transaction (short locks, work kept on failure), so a Python task."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.maintenance.weekly import compress_old_chunks

    config = load_config()
    say = maintenance_logger(config)
    with db_session(config.postgres_conn_id) as conn:
        result = compress_old_chunks(conn, _table(hypertable), config, say)
    say("Running VACUUM ANALYZE...")
    return result


def analyze_stale_chunks(hypertable: dict[str, Any], chunk_statistics: list[dict[str, Any]],
                         dag_run: Any = None) -> dict[str, Any]:
    """ANALYZE, one chunk at a time, the chunks whose statistics predate this run (judged from the SQL step)."""
    from tsdb_ops.db import db_session
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.maintenance.weekly import analyze_stale_chunks as analyze

    config = load_config()
    say = maintenance_logger(config)
    say("VACUUM ANALYZE done")
    say("Updating chunk statistics...")
    with db_session(config.postgres_conn_id) as conn:
        return analyze(conn, chunk_statistics, config, dag_run.start_date, say)


def read_data_distribution(hypertable: dict[str, Any]) -> dict[str, Any]:
    """Rows, oldest, newest and bytes per symbol and timeframe from compressed segments' metadata and the
    uncompressed chunks' indexes and row counts: statements composed per chunk from the catalog (each compressed
    chunk's metadata columns) and a decision per uncompressed chunk (estimate, or count it), so a Python task."""
    from tsdb_ops.db import db_session
    from tsdb_ops.timescale.distribution import data_distribution

    config = load_config()
    with db_session(config.postgres_conn_id) as conn, conn.transaction():
        distribution = data_distribution(conn, _table(hypertable), time_column=config.time_column,
                                         symbol_column=config.symbol_column, timeframe_column=config.timeframe_column)
    return distribution.as_dict()


def write_compression_report(hypertable: dict[str, Any], summary: list[dict[str, Any]], chunks: list[dict[str, Any]],
                             timeframe_shares: list[dict[str, Any]], distribution: dict[str, Any] | None = None,
                             dag_run: Any = None) -> str:
    """Render the report from the three SQL steps' rows and the data distribution; named by the run's run_after
    (manual runs have no logical date); return its Markdown."""
    from tsdb_ops.maintenance.compression_report import render_report, report_path, write_report
    from tsdb_ops.maintenance.maintenance_log import maintenance_logger
    from tsdb_ops.timescale.compression_stats import status_from_rows
    from tsdb_ops.timescale.distribution import Distribution

    config = load_config()
    say = maintenance_logger(config)
    say("Generating compression status report...")
    name = str(_table(hypertable))
    status = status_from_rows(name, summary[0], chunks, timeframe_shares)
    markdown = render_report(status, policy_days=config.compress_after_days, weekly_days=config.weekly_compress_older_than_days,
                             distribution=Distribution.from_dict(distribution) if distribution else None)
    path = write_report(report_path(config.report_dir, name, dag_run.run_after), markdown)
    s = status.summary
    say(f"Compression report written to {path}: {s.compressed_chunks}/{s.total_chunks} chunks compressed, "
        f"{s.before_bytes or 0} -> {s.after_bytes or 0} bytes")
    say("Database maintenance tasks completed")
    return markdown


def _table(hypertable: dict[str, Any]):
    from tsdb_ops.timescale.table import table_from_text

    return table_from_text(f"{hypertable['schema']}.{hypertable['table']}")
