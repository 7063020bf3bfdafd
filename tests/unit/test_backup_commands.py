"""The container scripts (custom format, configured compression, partial name, verification, no password) and the
comparison of restored tables with the manifest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tsdb_ops.backup.commands import (
    base_backup_fix,
    models_tar_script,
    parse_output,
    pg_basebackup_script,
    pg_dump_script,
    pg_restore_script,
)
from tsdb_ops.backup.manifest import HypertableStats
from tsdb_ops.backup.restore_steps import compare_tables


def test_pg_dump_script_writes_custom_format_to_the_partial_name_in_the_snapshot_and_lists_it():
    command = pg_dump_script(".mt5_20260301.backup.partial", "gzip:4", "00000003-0000001B-1")
    script = command[2]
    assert command[:2] == ["sh", "-c"]
    assert "pg_dump --format=custom --compress=gzip:4 --no-password --file=/backup/.mt5_20260301.backup.partial" in script
    assert "--snapshot=00000003-0000001B-1" in script
    assert "pg_restore --list /backup/.mt5_20260301.backup.partial" in script
    assert "rm -f /backup/.mt5_20260301.backup.partial" in script
    assert "PGPASSWORD" not in script and "password" not in script.lower().replace("--no-password", "")


def test_models_script_tars_the_read_only_mount_and_lists_the_archive():
    script = models_tar_script(".models_20260301.tar.gz.partial")[2]
    assert "tar -czf /backup/.models_20260301.tar.gz.partial -C /models ." in script
    assert "tar -tzf /backup/.models_20260301.tar.gz.partial" in script



def test_base_backup_script_writes_tar_gzip_with_streamed_wal_and_verifies_the_unpacked_tars():
    script = pg_basebackup_script(".base_20260301.partial", "tsdb_ops db_nightly_backup 20260301")[2]
    assert ("pg_basebackup --pgdata=/backup/.base_20260301.partial --format=tar --gzip --wal-method=stream "
            "--manifest-checksums=SHA256 --checkpoint=fast '--label=tsdb_ops db_nightly_backup 20260301' "
            "--no-password") in script
    assert "tar -xzf /backup/.base_20260301.partial/base.tar.gz -C /tmp/base_backup_check\n" in script
    assert "tar -xzf /backup/.base_20260301.partial/pg_wal.tar.gz -C /tmp/base_backup_check/pg_wal" in script
    assert ("pg_verifybackup --manifest-path=/backup/.base_20260301.partial/backup_manifest /tmp/base_backup_check"
            in script)
    assert "rm -rf /backup/.base_20260301.partial" in script  # a failed run leaves no partial directory
    assert "PGPASSWORD" not in script


@pytest.mark.parametrize(("error", "names"), [
    ('pg_basebackup: error: connection to server at "mt5_db" (172.18.0.2), port 5432 failed: FATAL:  no pg_hba.conf '
     'entry for replication connection from host "172.18.0.5", user "backup", no encryption', ["pg_hba.conf", "backup"]),
    ("pg_basebackup: error: could not connect: FATAL:  number of requested standby connections exceeds "
     "max_wal_senders (currently 1)", ["max_wal_senders"]),
    ("pg_basebackup: error: could not create directory: Permission denied", None),
])
def test_a_base_backup_error_about_the_server_says_what_to_change(error, names):
    fix = base_backup_fix(error, "backup")
    assert (fix is None) if names is None else all(name in fix for name in names)


def test_restore_script_restores_serially_into_the_database_named_by_the_environment():
    script = pg_restore_script("mt5_20260301.backup")[2]
    assert 'pg_restore --exit-on-error --no-password --dbname="$PGDATABASE" /backup/mt5_20260301.backup' in script
    assert "--jobs" not in script and "-j" not in script.split()


def test_container_output_is_parsed_from_its_last_lines():
    lines = ["pg_dump: warning: circular foreign-key constraints", "source_bytes: 2048", "verified: tar -t: 4 entries"]
    assert parse_output(lines) == {"source_bytes": "2048", "verified": "tar -t: 4 entries"}
    with pytest.raises(RuntimeError, match="verification line"):
        parse_output(["pg_dump: error: something"])


STATS = HypertableStats("public.market_data", 100, "2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", 18, 13)
FORMAT_1 = HypertableStats("public.market_data", 100, STATS.min_time, STATS.max_time)  # no chunk counts recorded


@pytest.mark.parametrize(("expected", "restored", "keys"), [
    (STATS, [STATS], []),
    (STATS, [replace(STATS, rows=99)], ["restore_check.public.market_data.differs"]),
    (STATS, [replace(STATS, max_time="2026-02-28T00:00:00+00:00")], ["restore_check.public.market_data.differs"]),
    (STATS, [replace(STATS, chunks=10)], ["restore_check.public.market_data.differs"]),
    (STATS, [replace(STATS, compressed_chunks=0)], ["restore_check.public.market_data.differs"]),
    (FORMAT_1, [STATS], []),
    (STATS, [], ["restore_check.public.market_data.missing"]),
    (STATS, [STATS, HypertableStats("public.ticks", 1, None, None)], ["restore_check.public.ticks.unexpected"]),
])
def test_restore_comparison_reports_each_differing_table_and_chunk_counts_only_when_recorded(expected, restored, keys):
    findings = compare_tables([expected], restored)
    assert [f.key for f in findings] == keys
    assert all(f.severity == "critical" for f in findings)


def test_a_lost_chunk_is_named_with_the_chunk_counts():
    [finding] = compare_tables([STATS], [replace(STATS, rows=90, chunks=17)])
    assert finding.message == ("public.market_data restored 90 rows 2026-01-01T00:00:00+00:00 .. 2026-03-01T00:00:00+00:00, "
                               "17 chunks (13 compressed), the manifest says 100 rows 2026-01-01T00:00:00+00:00 .. "
                               "2026-03-01T00:00:00+00:00, 18 chunks (13 compressed)")
