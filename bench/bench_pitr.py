"""Benchmark: recovery point (RPO) and recovery time (RTO) of Barman's point-in-time recovery against the nightly
dump's restore, measured in one run on the test harness's native TimescaleDB.

The production shape (``load_production_shape``: 7-day chunks, compressed after 7 days) is loaded to ``--size-mb``;
Barman is set up as db_pitr_setup does (role, slot), its service's command streams the WAL (barman-service in the
image, cron every 2 s) and a base backup is taken; the nightly dump (``pg_dump -Fc`` at pg_dump_compression) is
written too. Then a writer commits one row every 20 ms (synchronous_commit on, as in production; the harness cluster
itself runs with it off) and the database is killed (``pg_ctl stop -m immediate``) mid-stream.

- RPO: Barman recovers everything it has (base backup, archived WAL and the segment being streamed) into a new
  volume and the production image replays it; the seconds between the last commit the writer saw returned and the
  newest row in the copy are the data lost. The dump's RPO is the time since that dump: up to a day.
- RTO: from the start of ``barman recover`` to the copy answering queries after promotion, against the dump's
  restore (new database, ``timescaledb_pre_restore()``, serial ``pg_restore``, ``timescaledb_post_restore()``).

Targets (issue): RPO <= 60 s (expect seconds); RTO <= the dump restore's time.

    .venv/bin/python bench/bench_pitr.py                 # ~1 GB (about 20 minutes on 2 cores)
    .venv/bin/python bench/bench_pitr.py --smoke         # 40 MB (a few minutes)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "plugins")]

import docker  # noqa: E402
import psycopg  # noqa: E402

from harness.market_data import SYMBOLS, load_production_shape  # noqa: E402
from harness.postgres import PG_BIN, PostgresCluster, native_timescaledb_version  # noqa: E402
from tsdb_ops.config import OpsConfig  # noqa: E402
from tsdb_ops.pitr.barman import CATALOGUE, RECOVERY_MOUNT, BarmanStep  # noqa: E402
from tsdb_ops.pitr.database import server_settings, set_up_role_and_slot  # noqa: E402
from tsdb_ops.pitr.engine import run_barman_steps  # noqa: E402
from tsdb_ops.pitr.recovered_copy import RecoveredCopy  # noqa: E402
from tsdb_ops.pitr.recovery import PREPARE_TARGET, copy_command  # noqa: E402

DATABASE = "mt5_bench"
# One day (number %(day)s after now) of M1 bars of the given symbols.
WEEK_OF_BARS = """
INSERT INTO market_data (timestamp, symbol, timeframe, open, high, low, close, tick_volume)
SELECT ts, s, 'M1', 1.1, 1.2, 1.0, 1.1, 100
FROM generate_series(now() + %(day)s * interval '1 day', now() + (%(day)s + 1) * interval '1 day' - interval '1 minute',
                     interval '1 minute') ts, unnest(%(symbols)s::text[]) s
ON CONFLICT DO NOTHING
"""
PASSWORD = "bench-" + uuid.uuid4().hex[:12]


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


class Writer(threading.Thread):
    """Commits a row every 20 ms; remembers each row's id and when its commit returned."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.committed = dsn, []

    def run(self) -> None:
        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute("SET synchronous_commit = on")
                while True:
                    row_id = conn.execute("INSERT INTO bench_writes (written_at) VALUES (clock_timestamp()) RETURNING id"
                                          ).fetchone()[0]
                    self.committed.append((row_id, datetime.now(UTC)))
                    time.sleep(0.02)
        except psycopg.Error:
            return  # the database was killed

    def loss(self, newest_id: int | None) -> tuple[int, float]:
        """Rows committed (their commit returned) but missing from the copy, and the seconds of commits they span:
        from the newest row the copy has to the last commit the writer saw return."""
        lost = [(i, at) for i, at in self.committed if newest_id is None or i > newest_id]
        if not lost:
            return 0, 0.0
        kept = [at for i, at in self.committed if newest_id is not None and i <= newest_id]
        since = kept[-1] if kept else lost[0][1]
        return len(lost), (lost[-1][1] - since).total_seconds()


def restore_dump(cluster: PostgresCluster, dump: Path) -> float:
    """The nightly dump's restore into a new database (TimescaleDB's procedure, serial pg_restore): seconds."""
    started = time.monotonic()
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE mt5_restored")
    with psycopg.connect(cluster.dsn("mt5_restored"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION timescaledb")
        conn.execute("SELECT timescaledb_pre_restore()")
        subprocess.run([str(PG_BIN / "pg_restore"), "--exit-on-error", "-d", cluster.dsn("mt5_restored"), str(dump)],
                       check=True, capture_output=True)
        conn.execute("SELECT timescaledb_post_restore()")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--symbols", type=int, default=150)
    parser.add_argument("--wal-days", type=int, default=7, help="days of M1 bars written after the base backup")
    parser.add_argument("--smoke", action="store_true", help="40 MB, 4 symbols, one day of WAL")
    args = parser.parse_args()
    size_mb, symbols, wal_days = (40, 4, 1) if args.smoke else (args.size_mb, args.symbols, args.wal_days)
    if native_timescaledb_version() is None:
        print("needs native TimescaleDB (make setup with TSDB_SOURCE_TARBALL)", file=sys.stderr)
        return 1
    client = docker.DockerClient(version="auto")
    api = docker.APIClient(version="auto")
    tag = uuid.uuid4().hex[:8]
    catalogue, receiver, copy_name = (f"tsdb_ops_bench_{kind}_{tag}" for kind in ("barman", "receiver", "copy"))
    cluster = PostgresCluster("pitrbench").start()
    work = Path(tempfile.mkdtemp(prefix="tsdb-ops-bench-pitr-"))
    copy = None
    try:
        dsn = cluster.create_database(DATABASE, timescaledb=True)
        config = OpsConfig.from_mapping({"docker_network": "host", "db_host_in_docker": "127.0.0.1",
                                         "db_port_in_docker": cluster.port, "pitr_catalogue": catalogue})
        log(f"loading the production shape to {size_mb} MB ({symbols} symbols)")
        with psycopg.connect(dsn, autocommit=True) as conn:
            loaded = load_production_shape(conn, end=datetime.now(UTC), symbols=symbols,
                                           min_database_bytes=size_mb * 1024 * 1024)
            conn.execute("CREATE TABLE bench_writes (id bigserial PRIMARY KEY, written_at timestamptz NOT NULL)")
            settings = server_settings(conn, config.pitr_replication_role, config.pitr_slot_name)
            set_up_role_and_slot(conn, config.pitr_replication_role, PASSWORD, role_exists=False,
                                 slot=config.pitr_slot_name)
        log(f"loaded {loaded}")
        client.volumes.create(catalogue)
        steps = [BarmanStep(("check", config.pitr_server_name), "check")]
        run_barman_steps(api, config, DATABASE, PASSWORD, steps, {})  # writes the configuration the service reads
        client.containers.run(config.barman_image, name=receiver, detach=True, network_mode="host",
                              environment={"BARMAN_CRON_INTERVAL_SECONDS": "2"},
                              volumes={catalogue: {"bind": CATALOGUE, "mode": "rw"}})
        for _ in range(60):
            with psycopg.connect(dsn) as conn:
                if conn.execute("SELECT active FROM pg_replication_slots").fetchone() == (True,):
                    break
            time.sleep(1)
        started = time.monotonic()
        backup = run_barman_steps(api, config, DATABASE, PASSWORD,
                                  [BarmanStep(("backup", "--wait", "--immediate-checkpoint", config.pitr_server_name),
                                              "backup")], {})[0]["backup"]
        assert backup.exit_code == 0, backup.data
        log(f"base backup {backup.data['backup_id']} in {time.monotonic() - started:.1f} s")
        log(f"writing {wal_days} day(s) of M1 bars of {symbols} symbols after the base backup (the WAL a recovery "
            "replays when it comes that long after the weekly base backup)")
        names = [*SYMBOLS, *(f"SYM{i:03d}" for i in range(len(SYMBOLS), symbols))][:symbols]
        with psycopg.connect(dsn, autocommit=True) as conn:
            wal_start = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            for day in range(wal_days):
                conn.execute(WEEK_OF_BARS, {"symbols": names, "day": day})
            wal_bytes = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint", (wal_start,)).fetchone()[0]
        log(f"{wal_bytes / 1e6:.0f} MB of WAL written since the base backup")
        dump = work / "nightly.backup"
        started = time.monotonic()
        subprocess.run([str(PG_BIN / "pg_dump"), "--format=custom", f"--compress={config.pg_dump_compression}",
                        f"--file={dump}", dsn], check=True, capture_output=True)
        log(f"nightly dump {dump.stat().st_size / 1e6:.0f} MB in {time.monotonic() - started:.1f} s")

        writer = Writer(dsn)
        writer.start()
        time.sleep(10)
        killed_at = datetime.now(UTC)
        cluster.stop("immediate")
        writer.join(10)
        log(f"database killed at {killed_at:%H:%M:%S.%f}; the writer's last commit returned at "
            f"{writer.committed[-1][1]:%H:%M:%S.%f} ({len(writer.committed)} rows)")
        time.sleep(3)  # the receiver notices the lost connection

        api.create_volume(copy_name)
        started = time.monotonic()
        run_barman_steps(api, config, DATABASE, PASSWORD,
                         [BarmanStep(("recover", "--partial-wal", config.pitr_server_name, "latest", RECOVERY_MOUNT))],
                         {}, before=PREPARE_TARGET, timeout_seconds=3600,
                         mounts=[docker.types.Mount(target=RECOVERY_MOUNT, source=copy_name, type="volume")])
        recovered_at = time.monotonic() - started
        copy = RecoveredCopy(api, copy_name, copy_name, (cluster.user, cluster.password, DATABASE))
        copy.start(config.pitr_restore_image, copy_command(settings, run_jobs=False), {})
        copy.wait_until_promoted(3600)
        code, newest = copy.psql("SELECT max(id) FROM bench_writes")
        rto = time.monotonic() - started
        assert code == 0, newest
        lost_rows, rpo = writer.loss(int(newest) if newest else None)
        log(f"PITR: recovered files in {recovered_at:.1f} s, queryable after {rto:.1f} s; {lost_rows} committed row(s) "
            f"missing (newest id {newest} of {writer.committed[-1][0]})")

        cluster._start_server()
        dump_seconds = restore_dump(cluster, dump)
        log(f"dump restore: {dump_seconds:.1f} s")
        print(f"\nPITR of {size_mb} MB ({loaded}): RPO {rpo:.2f} s, {lost_rows} committed row(s) lost "
              f"(writer committing every 20 ms, database killed); "
              f"RTO {rto:.1f} s (barman recover {recovered_at:.1f} s, then replay of {wal_bytes / 1e6:.0f} MB of WAL, "
              f"{wal_days} day(s) of bars); nightly dump restore {dump_seconds:.1f} s; the dump's RPO is the time since it "
              "ran (up to 24 h)")
        measure = (f"RPO {rpo:.2f} s, RTO {rto:.1f} s ({wal_bytes / 1e6:.0f} MB WAL) vs dump restore {dump_seconds:.1f} s "
                   f"({size_mb} MB)")
        print("RESULT " + json.dumps({"bench": "pitr", "measure": measure, "ratio": round(rto / dump_seconds, 2),
                                      "target": "RPO <= 60 s; RTO <= dump restore (ratio <= 1)"}))
        # at smoke size the containers' start dominates: the targets are judged at full size only
        return 0 if args.smoke or (rpo <= 60 and rto <= dump_seconds) else 2
    finally:
        if copy is not None:
            copy.remove(volume=True)
        for name in (receiver,):
            try:
                client.containers.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
        for name in (catalogue, copy_name):
            try:
                client.volumes.get(name).remove(force=True)
            except docker.errors.NotFound:
                pass
        cluster.destroy()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
