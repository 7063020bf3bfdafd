"""The container scripts: custom format, configured compression, partial name, verification, no password."""

from __future__ import annotations

import pytest

from tsdb_ops.backup.commands import models_tar_script, parse_output, pg_dump_script, pg_restore_script
from tsdb_ops.backup.manifest import HypertableStats
from tsdb_ops.backup.restore_check import compare_with_manifest


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


def test_restore_script_restores_serially_into_the_database_named_by_the_environment():
    script = pg_restore_script("mt5_20260301.backup")[2]
    assert 'pg_restore --exit-on-error --no-password --dbname="$PGDATABASE" /backup/mt5_20260301.backup' in script
    assert "--jobs" not in script and "-j" not in script.split()


def test_container_output_is_parsed_from_its_last_lines():
    lines = ["pg_dump: warning: circular foreign-key constraints", "source_bytes: 2048", "verified: tar -t: 4 entries"]
    assert parse_output(lines) == {"source_bytes": "2048", "verified": "tar -t: 4 entries"}
    with pytest.raises(RuntimeError, match="verification line"):
        parse_output(["pg_dump: error: something"])


STATS = HypertableStats("public.market_data", 100, "2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00")


@pytest.mark.parametrize(("restored", "keys"), [
    ([STATS], []),
    ([HypertableStats("public.market_data", 99, STATS.min_time, STATS.max_time)], ["restore_check.public.market_data.differs"]),
    ([HypertableStats("public.market_data", 100, STATS.min_time, "2026-02-28T00:00:00+00:00")],
     ["restore_check.public.market_data.differs"]),
    ([], ["restore_check.public.market_data.missing"]),
    ([STATS, HypertableStats("public.ticks", 1, None, None)], ["restore_check.public.ticks.unexpected"]),
])
def test_restore_comparison_reports_each_differing_table(restored, keys):
    findings = compare_with_manifest([STATS], restored)
    assert [f.key for f in findings] == keys
    assert all(f.severity == "critical" for f in findings)
