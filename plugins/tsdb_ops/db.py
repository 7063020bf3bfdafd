"""The one way to the database: a session through the Airflow connection (``PostgresHook``), to any database of
its server (a scratch or restore target too). The connection's login is also handed, as data, to the client
containers (pg_dump, pg_restore, pg_basebackup): ``PG*`` variables, the password as a private environment value.

The session is autocommit (each helper opens its own short transactions). On exit it rolls back anything left
open and resets the timeouts a step set before closing, so a server that hands session state to its next client
(the single-connection WebAssembly test server) passes none of ours on; no two connections are held.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

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
    """Who and what a client container (pg_dump, pg_restore) connects to: data for its ``PG*`` environment, never a
    connection of this process (that is :func:`db_session`); the password travels only as a private container
    environment value."""

    user: str
    password: str
    dbname: str
    host: str
    port: int
    sslmode: str | None = None     # the connection's extra "sslmode" (PGSSLMODE in containers)


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


def role_password(conn_id: str, role: str) -> str:
    """The password of ``role`` kept in the Airflow connection ``conn_id`` (whose login, when set, must be ``role``)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        raise RuntimeError(f"Airflow connection {conn_id!r} does not exist: create it with the password of role "
                           f"{role!r} (login {role})") from None
    if conn.login and conn.login != role:
        raise RuntimeError(f"Airflow connection {conn_id!r} has login {conn.login!r}, but the role is {role!r}: make "
                           "them the same")
    if not conn.password:
        raise RuntimeError(f"Airflow connection {conn_id!r} has no password: set the password of role {role!r} in it")
    return conn.password
