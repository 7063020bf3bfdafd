"""The config archive: 0600 from the first byte, complete or absent, clear error for a missing file."""

from __future__ import annotations

import stat
import tarfile

import pytest

from tsdb_ops.backup.artefacts import archive_config_files, remove_partial_files


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "stack"
    (root / "api").mkdir(parents=True)
    (root / ".env").write_text("POSTGRES_PASSWORD=secret\n")
    (root / "api" / "config.py").write_text("X = 1\n")
    return root


def test_archive_is_0600_even_over_a_leftover_partial_file_and_lists_the_files(project, tmp_path):
    backups = tmp_path / "backups"
    (backups / "configs").mkdir(parents=True)
    leftover = backups / "configs" / ".config_20260301.tar.gz.partial"
    leftover.write_bytes(b"junk")
    leftover.chmod(0o644)

    artefact = archive_config_files(str(backups), str(project), [".env", "api/config.py"], "20260301")

    final = backups / "configs" / "config_20260301.tar.gz"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600 and not leftover.exists()
    assert artefact.path == "configs/config_20260301.tar.gz" and artefact.verification == "tar -t: 2 entries"
    with tarfile.open(final) as tar:
        assert tar.extractfile(".env").read() == b"POSTGRES_PASSWORD=secret\n"


def test_missing_config_file_fails_naming_it_and_leaves_nothing(project, tmp_path):
    backups = tmp_path / "backups"
    with pytest.raises(RuntimeError, match=r"\['docker-compose.yml'\] not found under .*config_files"):
        archive_config_files(str(backups), str(project), [".env", "docker-compose.yml"], "20260301")
    assert not backups.exists() or not list(backups.rglob("*.gz*"))


def test_partial_files_of_one_set_are_removed_and_other_sets_untouched(tmp_path):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / ".mt5_20260301.backup.partial").write_bytes(b"x")
    (tmp_path / "db" / ".mt5_20260228.backup.partial").write_bytes(b"x")
    (tmp_path / "db" / "mt5_20260301.backup").write_bytes(b"x")
    assert remove_partial_files(str(tmp_path), "20260301") == ["db/.mt5_20260301.backup.partial"]
    assert sorted(p.name for p in (tmp_path / "db").iterdir()) == [".mt5_20260228.backup.partial", "mt5_20260301.backup"]
