"""Integrity of generated backup dirs of real artefacts (pg_dump 15 custom files, gzipped tarballs, manifests),
dumps listed by pg_restore -l in a container of the PostgreSQL client image (db_backup_monitor's ListDumpsOperator,
called between the hash and the judgement as its DAG runs them): each file verified once when new or changed, then
re-hashed on the rolling schedule, driven here by the runs' ``now`` instead of waiting."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from conftest import TEST_PG_CLIENT_IMAGE
from harness.backup_dirs import make_dump, write_backup_set
from harness.market_data import load_market_data
from harness.postgres import native_timescaledb_version
from tsdb_ops.alerts.monitor_alerts import publish_findings
from tsdb_ops.config import OpsConfig
from tsdb_ops.monitor.verification import STATE_FILE, verify_backups

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def real_dump(pg15, tmp_path_factory) -> Path:
    dsn = pg15.create_database("monitor_integrity_src")
    with psycopg.connect(dsn, autocommit=True) as conn:
        load_market_data(conn, now=NOW, hypertable=False, h1_days=30, m1_days=1)
    return make_dump(dsn, tmp_path_factory.mktemp("dump") / "source.backup")


def dump_lister(config: OpsConfig):
    """pg_restore -l of named dumps as db_backup_monitor's list task runs it (its operator, outside a DAG run)."""
    from tsdb_ops.tasks.containers import ListDumpsOperator

    operator = ListDumpsOperator(task_id="list_dumps_with_pg_restore")
    return lambda names: operator.list_dumps(names, config)


@pytest.fixture
def lister(docker_client, tmp_path):
    return dump_lister(OpsConfig.from_mapping({"backup_root": str(tmp_path), "pg_client_image": TEST_PG_CLIENT_IMAGE}))


def write_sets(root: Path, dump: Path, count: int) -> list[str]:
    """``count`` daily sets, the newest finished 10 h ago; their set ids, oldest first."""
    return [write_backup_set(root, NOW - timedelta(hours=10 + 24 * k), dump).set_id for k in range(count - 1, -1, -1)]


def rewrite_manifest_for(root: Path, set_id: str, index: int, path: Path) -> None:
    """Make the manifest agree with a damaged file, so only reading the file can tell."""
    manifest = root / "manifests" / f"backup_{set_id}.json"
    data = json.loads(manifest.read_text())
    data["artefacts"][index].update(size_bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    manifest.write_text(json.dumps(data))


def corrupt_keeping_size_and_mtime(path: Path, spare: Path) -> tuple[str, str]:
    """Keep a good copy (``cp -p``), flip one byte in place, put the mtime back (``touch -r``): what bit rot or a
    careless repair leaves. Returns the sha256 before and after."""
    subprocess.run(["cp", "-p", str(path), str(spare)], check=True)
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    with open(path, "r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    subprocess.run(["touch", "-r", str(spare), str(path)], check=True)
    return good, hashlib.sha256(path.read_bytes()).hexdigest()


def size_and_mtime(path: Path) -> tuple[int, int]:
    return path.stat().st_size, path.stat().st_mtime_ns


def test_each_file_is_verified_once_then_trusted_by_size_mtime_and_hash(tmp_path, real_dump, lister):
    write_sets(tmp_path, real_dump, 3)
    first = verify_backups(str(tmp_path), lister)
    assert (first.files_checked, first.files_verified_now, first.problems) == (9, 9, [])
    second = verify_backups(str(tmp_path), lister)
    assert (second.files_checked, second.files_verified_now, second.problems) == (9, 0, [])
    newest_dump = sorted((tmp_path / "db").iterdir())[-1]
    newest_dump.touch()  # a changed mtime is verified again, once
    assert verify_backups(str(tmp_path), lister).files_verified_now == 1


def test_a_dump_whose_toc_does_not_list_is_critical_and_stays_recorded(tmp_path, real_dump, lister):
    set_id = write_sets(tmp_path, real_dump, 2)[-1]
    dump = tmp_path / "db" / f"mt5_trading_{set_id}.backup"
    dump.write_bytes(b"\0" * dump.stat().st_size)
    rewrite_manifest_for(tmp_path, set_id, 0, dump)
    expected = (f"backup.integrity.db/mt5_trading_{set_id}.backup", "critical",
                f"Integrity check failed for db/mt5_trading_{set_id}.backup: unreadable (pg_restore -l: pg_restore: error: "
                "input file does not appear to be a valid archive)")
    assert [(p.key, p.severity, p.message) for p in verify_backups(str(tmp_path), lister).problems] == [expected]
    again = verify_backups(str(tmp_path), lister)  # the recorded verdict, without listing the dump again
    assert again.files_verified_now == 0 and [p.message for p in again.problems] == [expected[2]]


def test_a_truncated_tarball_does_not_list(tmp_path, real_dump, lister):
    set_id = write_sets(tmp_path, real_dump, 2)[0]
    models = tmp_path / "models" / f"models_{set_id}.tar.gz"
    models.write_bytes(models.read_bytes()[:-5000])
    rewrite_manifest_for(tmp_path, set_id, 1, models)
    [problem] = verify_backups(str(tmp_path), lister).problems
    assert problem.key == f"backup.integrity.models/models_{set_id}.tar.gz" and problem.severity == "critical"
    assert problem.message.startswith(f"Integrity check failed for models/models_{set_id}.tar.gz: unreadable (tar -t: ")


def test_a_file_differing_from_its_manifest_hash_is_critical(tmp_path, real_dump, lister):
    set_id = write_sets(tmp_path, real_dump, 2)[-1]
    dump = tmp_path / "db" / f"mt5_trading_{set_id}.backup"
    expected_hash = hashlib.sha256(dump.read_bytes()).hexdigest()
    raw = bytearray(dump.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    dump.write_bytes(bytes(raw))
    actual_hash = hashlib.sha256(raw).hexdigest()
    [problem] = verify_backups(str(tmp_path), lister).problems
    assert problem.message == (f"Integrity check failed for db/mt5_trading_{set_id}.backup: sha256 {actual_hash[:12]}... "
                               f"differs from the manifest's {expected_hash[:12]}...")


def test_missing_and_unreadable_manifests_are_critical(tmp_path, real_dump, lister):
    older, old, _ = write_sets(tmp_path, real_dump, 3)
    (tmp_path / "manifests" / f"backup_{older}.json").unlink()
    (tmp_path / "manifests" / f"backup_{old}.json").write_text("{not json")
    problems = {p.key: p.message for p in verify_backups(str(tmp_path), lister).problems}
    assert problems[f"backup.manifest.missing.{older}"] == (
        f"db/mt5_trading_{older}.backup has no manifest: backup set {older} is incomplete or its manifest was lost")
    assert problems[f"backup.manifest.unreadable.backup_{old}"].endswith(
        "unreadable backup manifest (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))")
    # the set with the unreadable manifest has no readable manifest either: its files are orphans too
    assert set(problems) == {f"backup.manifest.missing.{older}", f"backup.manifest.unreadable.backup_{old}",
                             f"backup.manifest.missing.{old}"}


def test_a_dump_of_another_database_the_same_day_that_no_manifest_references_is_reported(tmp_path, real_dump, lister):
    (set_id,) = write_sets(tmp_path, real_dump, 1)
    foreign = tmp_path / "db" / f"other_db_{set_id}.backup"
    foreign.write_bytes(real_dump.read_bytes())
    old = (NOW - timedelta(hours=3)).timestamp()
    os.utime(foreign, (old, old))
    problems = {p.key: p for p in verify_backups(str(tmp_path), lister).problems}
    finding = problems[f"backup.unreferenced.db/other_db_{set_id}.backup"]
    assert finding.severity == "warning" and f"not in the manifest of backup set {set_id}" in finding.message
    assert set(problems) == {finding.key}


def test_a_set_being_written_has_no_manifest_yet_and_is_left_alone(tmp_path, real_dump, lister):
    write_backup_set(tmp_path, NOW - timedelta(minutes=5), real_dump, with_manifest=False)
    assert verify_backups(str(tmp_path), lister).problems == []


def test_when_the_dump_reader_cannot_run_nothing_is_recorded(tmp_path, real_dump, docker_client):
    write_sets(tmp_path, real_dump, 1)
    broken = dump_lister(OpsConfig.from_mapping({"backup_root": str(tmp_path),
                                                 "pg_client_image": "tsdb-ops-test/no-such-image:0"}))
    with pytest.raises(RuntimeError, match=r"no-such-image:0.*is not on the Docker engine"):
        verify_backups(str(tmp_path), broken)
    assert not (tmp_path / ".monitor_verified.json").exists()


def test_bytes_changed_with_the_mtime_put_back_are_noticed_within_the_window(tmp_path, tmp_path_factory, real_dump,
                                                                              lister):
    write_sets(tmp_path, real_dump, 3)
    t0 = NOW.timestamp()
    pace = {"rehash_days": 1, "rehash_min_bytes": 1}  # a 23 h cycle even for this small set: the schedule decides
    assert verify_backups(str(tmp_path), lister, now=t0, **pace).files_verified_now == 9
    dump = sorted((tmp_path / "db").iterdir())[-1]
    before = size_and_mtime(dump)
    good, bad = corrupt_keeping_size_and_mtime(dump, tmp_path_factory.mktemp("spare") / dump.name)
    assert size_and_mtime(dump) == before and good != bad
    rehashed_before = []
    for hour in range(1, 25):  # hourly runs over the one-day window
        inventory = verify_backups(str(tmp_path), lister, now=t0 + hour * 3600, **pace)
        if inventory.problems:
            break
        rehashed_before.append(inventory.files_rehashed)
    assert inventory.problems, "not noticed within the window"
    [problem] = inventory.problems
    assert problem.message == (f"Integrity check failed for db/{dump.name}: sha256 {bad[:12]}... differs from the "
                               f"manifest's {good[:12]}...")
    assert inventory.files_verified_now == 1
    assert sum(rehashed_before) <= 8  # spread over the runs: each other file at most once before it, not each run


def test_a_good_copy_put_back_with_cp_p_resolves_the_critical(tmp_path, tmp_path_factory, real_dump, lister,
                                                              airflow_home, webhook_server, monkeypatch):
    write_sets(tmp_path, real_dump, 2)
    t0 = NOW.timestamp()
    verify_backups(str(tmp_path), lister, now=t0)
    dump = sorted((tmp_path / "db").iterdir())[-1]
    spare = tmp_path_factory.mktemp("spare") / dump.name
    corrupt_keeping_size_and_mtime(dump, spare)
    key = f"backup.integrity.db/{dump.name}"
    found = verify_backups(str(tmp_path), lister, now=t0 + 3600)  # the default pace re-reads a set this small each run
    assert [p.key for p in found.problems] == [key] and found.files_rehashed == 6

    tag = uuid.uuid4().hex[:10]
    monkeypatch.setenv("AIRFLOW_CONN_TSDB_DISCORD", json.dumps({
        "conn_type": "discord", "host": webhook_server.url(f"/{tag}/discord"),
        "extra": {"webhook_endpoint": "webhooks/1/integrity-token"}}))
    config = OpsConfig.from_mapping({"log_dir": str(tmp_path_factory.mktemp("logs")), "critical_channels": ["discord"]})
    scope = f"test.integrity.{tag}"
    assert publish_findings(scope, found.problems, config=config, now=NOW + timedelta(hours=1)).sent == [key]

    subprocess.run(["cp", "-p", str(spare), str(dump)], check=True)
    recorded = json.loads((tmp_path / STATE_FILE).read_text())[f"db/{dump.name}"]
    assert list(size_and_mtime(dump)) == recorded["signature"][:2]  # size and mtime cannot tell: only the content
    # A pace under which no rolling re-hash is due: the bad state alone has the file read again.
    repaired = verify_backups(str(tmp_path), lister, now=t0 + 7200, rehash_days=365, rehash_min_bytes=1)
    assert (repaired.problems, repaired.files_verified_now) == ([], 1)  # hashed, matched, listed by pg_restore -l
    assert publish_findings(scope, repaired.problems, config=config, now=NOW + timedelta(hours=2)).resolved == [key]
    assert [p.json["content"].split(" ", 1)[0] for p in webhook_server.posts if tag in p.path] == [
        "**CRITICAL**", "**RESOLVED**"]
    assert verify_backups(str(tmp_path), lister, now=t0 + 10800).files_verified_now == 0  # trusted again


def test_a_record_from_before_the_schedule_is_kept_and_completed_without_listing_again(tmp_path, real_dump, lister):
    write_sets(tmp_path, real_dump, 2)
    verify_backups(str(tmp_path), lister)
    state_file = tmp_path / STATE_FILE
    old_record = {path: {"signature": entry["signature"], "problem": entry["problem"]}
                  for path, entry in json.loads(state_file.read_text()).items()}
    state_file.write_text(json.dumps(old_record))
    upgraded = verify_backups(str(tmp_path), lister)
    assert (upgraded.problems, upgraded.files_verified_now, upgraded.files_rehashed) == ([], 0, 6)
    record = json.loads(state_file.read_text())
    assert all(entry["sha256"] and entry["hashed_at"] for entry in record.values())


@pytest.mark.skipif(native_timescaledb_version() is None,
                    reason="the TimescaleDB image is built from the native TimescaleDB (make setup with TSDB_SOURCE_TARBALL)")
def test_the_default_client_image_leaves_no_volume_behind(tmp_path, real_dump, docker_client):
    """The default pg_client_image (the TimescaleDB image) declares its data directory a VOLUME: each container
    would leave an anonymous volume behind, one per monitor run and per dump, unless the step covers it."""
    image = OpsConfig().pg_client_image
    try:
        declared = docker_client.images.get(image).attrs["Config"]["Volumes"]
    except Exception:
        pytest.fail(f"image {image} is missing: TSDB_SOURCE_TARBALL=<timescaledb-2.28.3.tar.gz> make setup builds it")
    assert declared, f"{image} declares no VOLUME: this test would prove nothing"
    [set_id] = write_sets(tmp_path, real_dump, 1)
    before = {v.name for v in docker_client.volumes.list()}
    listing = dump_lister(OpsConfig.from_mapping({"backup_root": str(tmp_path), "pg_client_image": image}))
    assert listing([f"mt5_trading_{set_id}.backup"]) == {f"mt5_trading_{set_id}.backup": None}
    assert {v.name for v in docker_client.volumes.list()} - before == set()
