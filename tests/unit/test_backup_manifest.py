"""The manifest format: format 2 records jobs and chunk counts; format 1 manifests stay readable, without them."""

from __future__ import annotations

import json

import pytest

from tsdb_ops.backup.manifest import (
    FORMAT_VERSION,
    Artefact,
    HypertableStats,
    JobRecord,
    Manifest,
    ManifestError,
    read_manifest,
    write_manifest,
)

DUMP = Artefact("database", "db/mt5_trading_20260302.backup", 10, "0" * 64, 1.0, "pg_restore -l: 3 TOC entries")
JOBS = [JobRecord(1000, "_timescaledb_functions.policy_compression", "public.market_data", True,
                  "2026-03-03T02:00:00+00:00"),
        JobRecord(1001, "_timescaledb_functions.policy_retention", "public.market_data", False, "-infinity")]


def manifest(**fields) -> Manifest:
    return Manifest("20260302", "run", "t", "t", "t", "mt5_trading", "15.20", "2.28.3", [DUMP], **fields)


def test_format_2_round_trips_jobs_and_chunk_counts(tmp_path):
    written = manifest(hypertables=[HypertableStats("public.market_data", 5, None, None, 18, 13)], jobs=JOBS)
    assert written.format_version == FORMAT_VERSION == 2
    assert read_manifest(write_manifest(tmp_path, written)) == written


def test_a_format_1_manifest_reads_with_its_jobs_and_chunk_counts_not_recorded(tmp_path):
    data = json.loads(manifest(hypertables=[HypertableStats("public.market_data", 5, None, None)]).to_json())
    del data["jobs"]
    for table in data["hypertables"]:
        del table["chunks"], table["compressed_chunks"]
    data["format_version"] = 1
    path = tmp_path / "backup_20260302.json"
    path.write_text(json.dumps(data))
    read = read_manifest(path)
    assert read.jobs is None and read.format_version == 1
    assert read.hypertables == [HypertableStats("public.market_data", 5, None, None, None, None)]


def test_a_database_without_timescaledb_records_no_jobs_rather_than_none(tmp_path):
    assert read_manifest(write_manifest(tmp_path, manifest(jobs=[]))).jobs == []


def test_a_manifest_of_an_unknown_format_is_refused(tmp_path):
    path = tmp_path / "backup_20260302.json"
    path.write_text(json.dumps({**json.loads(manifest(jobs=[]).to_json()), "format_version": 3}))
    with pytest.raises(ManifestError, match="format_version 3"):
        read_manifest(path)
