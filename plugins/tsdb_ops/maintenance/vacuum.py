"""db_vacuum_analyze: VACUUM (ANALYZE) of one table or of the whole database; VACUUM FULL only when confirmed.

Guide: "Performance Issues" ("Run manual VACUUM ANALYZE") and "Weekly Tasks: Full VACUUM
ANALYZE". A table is checked as identifiers, found in the catalog and reaches SQL only as ``sql.Identifier``;
VACUUM FULL (an ACCESS EXCLUSIVE lock per table while it is rewritten: the ingest waits) needs ``confirm`` to repeat
the table's name, or ``ALL`` for the whole database.

A hypertable needs no chunk loop: TimescaleDB expands VACUUM and ANALYZE of a hypertable to every chunk and to the
compressed chunks' tables (verified on TimescaleDB 2.28.3 / PostgreSQL 15: ``last_vacuum`` set on each chunk and
compressed chunk, and VACUUM FULL gave each of them a new relfilenode). A plain PostgreSQL inheritance parent does
not recurse this way; a hypertable does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.params import ParamError
from tsdb_ops.timescale.table import Table

ALL = "ALL"
VACUUM_SQL = "maintenance/vacuum_analyze_target.sql"
FACTS_SQL = "maintenance/vacuum_target_facts.sql"
TIMEOUTS_SQL = "maintenance/set_session_timeouts.sql"


@dataclass(frozen=True)
class VacuumTarget:
    """The validated target: ``table`` is ``schema.table`` (None: the whole database)."""

    table: str | None
    is_hypertable: bool
    full: bool

    @property
    def what(self) -> str:
        kind = "hypertable" if self.is_hypertable else "table"
        return f"{kind} {self.table}" if self.table else "the whole database"


def confirmation_names(given: str, table: Table | None) -> tuple[str, ...]:
    """What ``confirm`` may repeat: ``ALL`` for the whole database, else the table as given or as schema.table."""
    return (ALL,) if table is None else (given, str(table))


def check_full_confirmation(full: bool, confirm: Any, names: tuple[str, ...], dry_run: bool) -> str | None:
    """None when the run may go on; in a dry run the confirmation a real run would still need (pure).

    VACUUM FULL without ``confirm`` repeating one of ``names`` is refused (ParamError) before anything runs."""
    if not full:
        return None
    given = confirm.strip() if isinstance(confirm, str) else ""
    if given in names:
        return None
    if dry_run:
        return f"confirm={names[-1]}"
    raise ParamError(
        f"VACUUM FULL rewrites {'every table' if names == (ALL,) else names[-1]} under an exclusive lock (the ingest "
        f"waits until it is done): set param confirm to {names[-1]!r} to confirm it, after reading what a dry run "
        f"lists; got confirm={confirm!r}"
    )


def vacuum_statement(table: Table | None, full: bool) -> sql.Composed:
    """The statement of VACUUM_SQL: fixed option text, the table only as ``sql.Identifier`` (never formatted raw)."""
    options = sql.SQL("FULL, ANALYZE" if full else "ANALYZE")
    return sql.SQL(read_sql(VACUUM_SQL).strip()).format(
        options=options, table=table.identifier if table is not None else sql.SQL(""))


def statement_text(statement: sql.Composed, conn: psycopg.Connection) -> str:
    """The statement as the server receives it, without the file's contract comment (for the plan and the log)."""
    lines = [line for line in statement.as_string(conn).splitlines() if not line.startswith("--")]
    return " ".join(" ".join(lines).split())


def plan_lines(target: VacuumTarget, statement: str, facts: dict[str, Any], lock_timeout_ms: int,
               missing_confirmation: str | None) -> list[str]:
    """What a confirmed run does, for the log of every run (pure)."""
    lines = [f"Run `{statement}` on {target.what} of database {facts['database']} (autocommit; lock_timeout "
             f"{lock_timeout_ms} ms)"]
    if target.table is None:
        lines.append(f"Database {facts['database']}: {facts['database_bytes']} bytes; every table, every chunk and "
                     "every compressed chunk's table is processed")
    elif target.is_hypertable:
        lines.append(f"{target.table} is a hypertable: TimescaleDB runs it on each of its {facts['child_tables']} "
                     f"chunks and on the compressed chunks' tables ({facts['table_bytes']} bytes in the parent and "
                     "its uncompressed chunks)")
    else:
        lines.append(f"{target.table}: {facts['table_bytes']} bytes with its indexes")
    if target.full:
        lines.append("VACUUM FULL rewrites each table into a new file under an ACCESS EXCLUSIVE lock: inserts and "
                     "reads of that table wait until it is done, and the disk needs free space for a copy of the "
                     "largest table rewritten")
        if missing_confirmation:
            lines.append(f"A run with dry_run=false also needs {missing_confirmation}")
    else:
        lines.append("VACUUM (ANALYZE) takes a SHARE UPDATE EXCLUSIVE lock: inserts and queries go on")
    return lines


def target_facts(conn: psycopg.Connection, table: Table | None) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(read_sql(FACTS_SQL), {"relid": table.relid if table is not None else 0}).fetchone()
    return dict(row)


def run_vacuum(conn: psycopg.Connection, statement: sql.Composed, config: OpsConfig,
               say: Callable[[str], None]) -> float:
    """Run the statement with session timeouts on an autocommit connection; the seconds it took."""
    if not conn.autocommit:
        raise RuntimeError("VACUUM needs an autocommit session")
    conn.execute(read_sql(TIMEOUTS_SQL), {"lock_timeout": f"{config.lock_timeout_ms}ms",
                                          "statement_timeout": f"{config.statement_timeout_ms}ms"})
    text = statement_text(statement, conn)
    say(f"Running {text} ...")
    started = time.monotonic()
    conn.execute(statement)
    seconds = time.monotonic() - started
    say(f"Done: {text} in {seconds:.1f} s")
    return seconds
