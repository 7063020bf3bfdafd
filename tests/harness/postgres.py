"""A throwaway PostgreSQL 15 cluster from Debian's server binaries, on loopback."""

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


class PostgresCluster:
    """initdb + pg_ctl start on 127.0.0.1:<free port>; superuser ``postgres`` with a random password."""

    def __init__(self, name: str = "pg15") -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"tsdb-ops-{name}-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sock"
        self.port = free_port()
        self.user = "postgres"
        self.password = "pw-" + secrets.token_hex(8)
        self._as_postgres = os.geteuid() == 0

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
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def conninfo(self, dbname: str = "postgres") -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "user": self.user, "password": self.password, "dbname": dbname}

    def create_database(self, name: str) -> str:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
