"""One database session per task step, opened through the Airflow connection and always closed.

The session is autocommit (each helper opens its own short transactions). On exit it rolls back anything
left open and resets the timeouts the helpers set before closing, so a server that hands session state to its
next client (the single-connection WebAssembly test server) passes none of ours on; no two connections are held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

from tsdb_ops.paths import read_sql


@contextlib.contextmanager
def db_session(conn_id: str) -> Iterator[psycopg.Connection]:
    """An autocommit psycopg 3 connection of the Airflow connection ``conn_id``."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    conn = PostgresHook(postgres_conn_id=conn_id).get_conn()
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
            conn.execute(read_sql("maintenance/reset_timeouts.sql"))
        conn.close()
