"""The manifest format: format 2 records jobs and chunk counts, format 3 the physical base backup's files; format 1
and 2 manifests stay readable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from tsdb_ops.backup.manifest import (
    FORMAT_VERSION,
    Artefact,
    ArtefactFile,
    HypertableStats,
    JobRecord,
    Manifest,
    ManifestError,
    files_sha256,
    read_manifest,
    write_manifest,
)

DUMP = Artefact("database", "db/mt5_trading_20260302.backup", 10, "0" * 64, 1.0, "pg_restore -l: 3 TOC entries")
JOBS = [JobRecord(1000, "_timescaledb_functions.policy_compression", "public.market_data", True,
                  "2026-03-03T02:00:00+00:00"),
        JobRecord(1001, "_timescaledb_functions.policy_retention", "public.market_data", False, "-infinity")]


def manifest(**fields) -> Manifest:
    return Manifest("20260302", "run", "t", "t", "t", "mt5_trading", "15.20", "2.28.3", [DUMP], **fields)


def test_format_3_round_trips_jobs_and_chunk_counts(tmp_path):
    written = manifest(hypertables=[HypertableStats("public.market_data", 5, None, None, 18, 13)], jobs=JOBS)
    assert written.format_version == FORMAT_VERSION == 3
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
    path.write_text(json.dumps({**json.loads(manifest(jobs=[]).to_json()), "format_version": 4}))
    with pytest.raises(ManifestError, match="format_version 4"):
        read_manifest(path)


BASE_FILES = [ArtefactFile("backup_manifest", 3, "1" * 64), ArtefactFile("base.tar.gz", 20, "2" * 64),
              ArtefactFile("pg_wal.tar.gz", 7, "3" * 64)]
BASE = Artefact("base_backup", "base/base_20260302", 30, files_sha256(BASE_FILES), 4.0, "pg_verifybackup", 90,
                BASE_FILES)


def test_a_base_backup_round_trips_with_its_files_and_is_verified_file_by_file(tmp_path):
    written = replace(manifest(jobs=[]), artefacts=[DUMP, BASE])
    assert read_manifest(write_manifest(tmp_path, written)) == written
    assert [(a.kind, a.path, a.size_bytes, a.sha256) for a in written.file_entries()] == [
        ("database", DUMP.path, 10, "0" * 64),
        ("base_backup", "base/base_20260302/backup_manifest", 3, "1" * 64),
        ("base_backup", "base/base_20260302/base.tar.gz", 20, "2" * 64),
        ("base_backup", "base/base_20260302/pg_wal.tar.gz", 7, "3" * 64),
    ]


def test_the_sha256_of_a_directory_artefact_is_that_of_its_sha256sum_listing():
    listing = "".join(f"{f.sha256}  {f.name}\n" for f in BASE_FILES)
    assert files_sha256(list(reversed(BASE_FILES))) == hashlib.sha256(listing.encode()).hexdigest()


def test_a_format_2_manifest_reads_with_its_artefacts_as_files(tmp_path):
    data = json.loads(manifest(jobs=[]).to_json())
    for artefact in data["artefacts"]:
        del artefact["files"]
    data["format_version"] = 2
    path = tmp_path / "backup_20260302.json"
    path.write_text(json.dumps(data))
    assert read_manifest(path).artefacts == [DUMP] and read_manifest(path).file_entries() == [DUMP]
