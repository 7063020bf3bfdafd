"""The way to the database: a session through the Airflow connection (``PostgresHook``), any database of it, and
the connection's login for the client containers (pg_dump, pg_restore) and the backup steps that connect to
another database of the server (a scratch or restore target).

The session is autocommit (each helper opens its own short transactions). On exit it rolls back anything left
open and resets the timeouts a step set before closing, so a server that hands session state to its next client
(the single-connection WebAssembly test server) passes none of ours on; no two connections are held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from tsdb_ops.files import read_sql


@contextlib.contextmanager
def db_session(conn_id: str, database: str | None = None) -> Iterator[psycopg.Connection]:
    """An autocommit psycopg 3 connection of the Airflow connection ``conn_id`` (to ``database`` when given)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=conn_id, **({"database": database} if database else {}))
    conn = hook.get_conn()
    if not isinstance(conn, psycopg.Connection):
        conn.close()
        raise RuntimeError("tsdb-ops needs psycopg 3 under the postgres provider (USE_PSYCOPG3); install psycopg")
    conn.autocommit = True
    # No server-side prepared statements: a server that shares one backend between clients keeps them, and the
    # next client's first auto-prepared statement then collides with a leftover name.
    conn.prepare_threshold = None
    try:
        yield conn
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()
            conn.autocommit = True
            conn.execute(read_sql("db/reset_timeouts.sql"))
        conn.close()


@dataclass(frozen=True)
class DatabaseLogin:
    """Who and what pg_dump connects to; the password travels only as a private container environment value."""

    user: str
    password: str
    dbname: str
    host: str
    port: int
    sslmode: str | None = None     # the connection's extra "sslmode", passed on to libpq (and PGSSLMODE in containers)

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection:
        if self.sslmode:
            kwargs.setdefault("sslmode", self.sslmode)
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname or self.dbname,
            application_name="tsdb_ops_backup", connect_timeout=15, **kwargs,
        )


def database_login(conn_id: str) -> DatabaseLogin:
    """Login of the Airflow connection ``conn_id``, with a clear error when it is missing or incomplete."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        raise RuntimeError(f"Airflow connection {conn_id!r} (postgres_conn_id) does not exist; create it") from None
    if not conn.login or not conn.schema or not conn.host:
        raise RuntimeError(f"Airflow connection {conn_id!r} needs a host, a login and a schema (the database name)")
    sslmode = (conn.extra_dejson or {}).get("sslmode")
    return DatabaseLogin(conn.login, conn.password or "", conn.schema, conn.host, conn.port or 5432, sslmode)
