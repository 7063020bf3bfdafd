"""A throwaway PostgreSQL 15 cluster from Debian's server binaries, on loopback.

When native TimescaleDB is installed into that PostgreSQL (``make setup`` with ``TSDB_SOURCE_TARBALL``), the
cluster preloads it as production does: background scheduler, policies, compressed chunks, pg_dump 15.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.ports import free_port

PG_BIN = Path(os.environ.get("TSDB_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_SHARE = Path(os.environ.get("TSDB_TEST_PG_SHARE", "/usr/share/postgresql/15"))


def native_timescaledb_version() -> str | None:
    """The default version of the TimescaleDB extension installed into this PostgreSQL, None when absent."""
    control = PG_SHARE / "extension" / "timescaledb.control"
    if not control.exists():
        return None
    for line in control.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "default_version":
            return value.strip().strip("'")
    return None


def server_options(port: int, sockets: Path, timescale: bool) -> str:
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    if timescale:
        # One scheduler per database with the extension, plus the policy jobs it starts: the suite keeps many
        # databases open (8 workers were too few: jobs stopped starting).
        options += (
            " -c shared_preload_libraries=timescaledb,pg_stat_statements -c timescaledb.max_background_workers=48"
            " -c max_worker_processes=64 -c timescaledb.telemetry_level=off -c max_locks_per_transaction=256"
        )
    return options


class PostgresCluster:
    """initdb + pg_ctl start on 127.0.0.1:<free port>; superuser ``postgres`` with a random password."""

    def __init__(self, name: str = "pg15", timescale: bool | None = None) -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"tsdb-ops-{name}-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sock"
        self.port = free_port()
        self.user = "postgres"
        self.password = "pw-" + secrets.token_hex(8)
        self._as_postgres = os.geteuid() == 0
        self.timescale = native_timescaledb_version() is not None if timescale is None else timescale

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._as_postgres:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> PostgresCluster:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL server binaries not found in {PG_BIN}: install postgresql-15")
        self.sockets.mkdir(parents=True)
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chmod(self.base, 0o755)
            for path in (self.base, self.sockets, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
        )
        self._start_server()
        return self

    def _start_server(self) -> None:
        options = server_options(self.port, self.sockets, self.timescale)
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def conninfo(self, dbname: str = "postgres") -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "user": self.user, "password": self.password, "dbname": dbname}

    def create_database(self, name: str, *, timescaledb: bool = False) -> str:
        """A new empty database; with ``timescaledb`` the extension is created in it (native clusters only)."""
        import psycopg
        from psycopg import sql

        if timescaledb and not self.timescale:
            raise RuntimeError("this cluster has no native TimescaleDB: run `make setup` with TSDB_SOURCE_TARBALL")
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if timescaledb:
            with psycopg.connect(self.dsn(name), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self.dsn(name)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self._start_server()

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
