"""The ops page's verdict on a backup set comes from the monitor's record of each file, the base backup's included."""

from __future__ import annotations

from tsdb_ops.backup.manifest import Artefact, ArtefactFile, Manifest, files_sha256
from tsdb_ops.ui.sources import set_verdict

FILES = [ArtefactFile("backup_manifest", 3, "1" * 64), ArtefactFile("base.tar.gz", 20, "2" * 64)]
MANIFEST = Manifest("20260302", "run", "t", "t", "t", "mt5_trading", "15.20", "2.28.3", [
    Artefact("database", "db/mt5_trading_20260302.backup", 10, "0" * 64, 1.0, "pg_restore -l"),
    Artefact("base_backup", "base/base_20260302", 23, files_sha256(FILES), 4.0, "pg_verifybackup", None, FILES),
])


def record(**problems: str) -> dict:
    paths = ["db/mt5_trading_20260302.backup", "base/base_20260302/backup_manifest", "base/base_20260302/base.tar.gz"]
    return {p: {"problem": problems.get(p.rsplit("/", 1)[-1]), "hashed_at": "2026-03-02T03:00:00+00:00"} for p in paths}


def test_a_set_with_a_base_backup_is_verified_when_each_of_its_files_is():
    assert set_verdict(MANIFEST, record()) == ("verified", "files last read 2026-03-02 03:00")


def test_a_bad_file_of_the_base_backup_is_the_sets_problem():
    verdict, detail = set_verdict(MANIFEST, record(**{"base.tar.gz": "sha256 differs"}))
    assert (verdict, detail) == ("problem", "base/base_20260302/base.tar.gz: sha256 differs")
