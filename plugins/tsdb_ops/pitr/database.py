"""What point-in-time recovery reads from and writes to the database: the server's settings, Barman's role and
slot, the verification's markers, the state of the WAL stream. Each function takes an open psycopg connection."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.files import read_sql


def _row(cursor: psycopg.Cursor) -> dict[str, Any] | None:
    row = cursor.fetchone()
    return None if row is None else dict(zip([c.name for c in cursor.description], row, strict=True))


def server_settings(conn: psycopg.Connection, role: str, slot: str) -> dict[str, Any]:
    """``pitr/server_settings.sql``: the settings Barman needs and a recovered copy takes over; role and slot."""
    row = _row(conn.execute(read_sql("pitr/server_settings.sql"), {"role": role, "slot": slot}))
    assert row is not None
    return row


def set_up_role_and_slot(conn: psycopg.Connection, role: str, password: str, *, role_exists: bool,
                         slot: str | None) -> None:
    """Create (or bring up to date) Barman's role with the backup privileges; create ``slot`` unless None. The
    password is sent as the SCRAM-SHA-256 verifier libpq computes, never in clear text."""
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    statement = "pitr/alter_role.sql" if role_exists else "pitr/create_role.sql"
    conn.execute(sql.SQL(read_sql(statement)).format(role=sql.Identifier(role), password=sql.Literal(verifier)))
    conn.execute(sql.SQL(read_sql("pitr/grant_backup_privileges.sql")).format(role=sql.Identifier(role)))
    if slot is not None:
        conn.execute(read_sql("pitr/create_slot.sql"), {"slot": slot})


def write_marker(conn: psycopg.Connection, kind: str, run_id: str, hypertable: tuple[str, str]) -> dict[str, Any]:
    """A verification marker and, in its transaction, the hypertable's rows, chunks, compressed chunks and jobs."""
    conn.execute(read_sql("pitr/create_marker_table.sql"))
    statement = sql.SQL(read_sql("pitr/write_marker.sql")).format(table=sql.Identifier(*hypertable))
    row = _row(conn.execute(statement, {"kind": kind, "run_id": run_id, "schema": hypertable[0], "name": hypertable[1]}))
    assert row is not None
    return {**row, "written_at": row["written_at"].isoformat()}


def slot_state(conn: psycopg.Connection, slot: str) -> dict[str, Any] | None:
    """``pitr/slot_state.sql``: the slot (slot_name None when it does not exist) and the walsender streaming it."""
    return _row(conn.execute(read_sql("pitr/slot_state.sql"), {"slot": slot}))
