"""Shell scripts the backup containers run: write under the partial name, verify, print the verification.

The scripts never see the password (libpq reads PGPASSWORD from the container's private environment) and
remove their partial file when a step fails. The last output line is ``verified: <what proved it readable>``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

VERIFIED_PREFIX = "verified: "
BACKUP_MOUNT = "/backup"
MODELS_MOUNT = "/models"


def _on_failure_remove(partial: str) -> str:
    return f"trap 'rc=$?; [ $rc -eq 0 ] || rm -f {shlex.quote(partial)}' EXIT"


def pg_dump_script(partial_name: str, compression: str, snapshot: str | None,
                   tables: Sequence[tuple[str, str]] = ()) -> list[str]:
    """pg_dump in custom format to ``/backup/<partial_name>``, then ``pg_restore -l`` of it (TOC readable).

    Connection settings come from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD in the environment. ``tables``
    (``(schema, table)`` pairs of validated identifiers) limits the dump to those tables; each must match.
    """
    partial = f"{BACKUP_MOUNT}/{partial_name}"
    dump = ["pg_dump", "--format=custom", f"--compress={compression}", "--no-password", f"--file={partial}"]
    if snapshot:
        dump.append(f"--snapshot={snapshot}")
    if tables:  # double-quoted names: no case folding, no pattern characters
        dump += ["--strict-names", *(f'--table="{schema}"."{table}"' for schema, table in tables)]
    script = "\n".join([
        "set -eu",
        _on_failure_remove(partial),
        shlex.join(dump),
        f"pg_restore --list {shlex.quote(partial)} > /tmp/toc.list",
        "entries=$(grep -vc '^;' /tmp/toc.list || true)",
        '[ "$entries" -gt 0 ] || { echo "pg_restore -l lists no entries" >&2; exit 1; }',
        f'echo "{VERIFIED_PREFIX}pg_restore -l: $entries TOC entries"',
    ])
    return ["sh", "-c", script]


def models_tar_script(partial_name: str) -> list[str]:
    """tar + gzip of the (read-only) models mount to ``/backup/<partial_name>``, then ``tar -t`` of it."""
    partial = f"{BACKUP_MOUNT}/{partial_name}"
    script = "\n".join([
        "set -eu",
        _on_failure_remove(partial),
        f"tar -czf {shlex.quote(partial)} -C {MODELS_MOUNT} .",
        f"tar -tzf {shlex.quote(partial)} > /tmp/entries.list",
        "entries=$(wc -l < /tmp/entries.list)",
        f"source_kib=$(du -sk {MODELS_MOUNT} | cut -f1)",
        'echo "source_bytes: $((source_kib * 1024))"',
        f'echo "{VERIFIED_PREFIX}tar -t: $entries entries"',
    ])
    return ["sh", "-c", script]


# Where the base backup's tars are unpacked for pg_verifybackup: inside the container, gone with it.
BASE_BACKUP_CHECK_DIR = "/tmp/base_backup_check"


def pg_basebackup_script(partial_name: str, label: str) -> list[str]:
    """pg_basebackup of the whole cluster to the directory ``/backup/<partial_name>`` (tar, gzip, the WAL streamed
    beside it, a backup_manifest with SHA256 checksums), then ``pg_verifybackup`` of it.

    pg_verifybackup 15 reads plain-format backups only: the tars are unpacked into a scratch directory of the
    container (base.tar.gz, and pg_wal.tar.gz into its pg_wal/), where it checks every file against backup_manifest
    and parses the WAL the backup needs with pg_waldump. The connection comes from the PG* environment.
    """
    partial, check = f"{BACKUP_MOUNT}/{partial_name}", BASE_BACKUP_CHECK_DIR
    backup = ["pg_basebackup", f"--pgdata={partial}", "--format=tar", "--gzip", "--wal-method=stream",
              "--manifest-checksums=SHA256", "--checkpoint=fast", f"--label={label}", "--no-password"]
    script = "\n".join([
        "set -eu",
        f"trap 'rc=$?; rm -rf {check}; [ $rc -eq 0 ] || rm -rf {shlex.quote(partial)}; exit $rc' EXIT",
        shlex.join(backup),
        f"mkdir -p {check}/pg_wal",
        f"tar -xzf {shlex.quote(partial + '/base.tar.gz')} -C {check}",
        f"tar -xzf {shlex.quote(partial + '/pg_wal.tar.gz')} -C {check}/pg_wal",
        f"result=$(pg_verifybackup --manifest-path={shlex.quote(partial + '/backup_manifest')} {check})",
        f'echo "{VERIFIED_PREFIX}pg_verifybackup of the unpacked tars: $result"',
    ])
    return ["sh", "-c", script]


def base_backup_fix(error: str, role: str) -> str | None:
    """What to change on the server for a pg_basebackup error that names a server setting, else None."""
    if "pg_hba.conf entry for replication connection" in error:
        return (f"allow replication connections of role {role} in the server's pg_hba.conf (a line "
                f"'host replication {role} <address range of docker_network> scram-sha-256') and reload it "
                "(SELECT pg_reload_conf())")
    if "max_wal_senders" in error:
        return ("raise max_wal_senders on the server (pg_basebackup --wal-method=stream takes 2 WAL senders while it "
                "runs) and restart it")
    return None


def pg_restore_script(dump_name: str, *, clean: bool = False, single_transaction: bool = False) -> list[str]:
    """Serial pg_restore of ``/backup/<dump_name>`` into PGDATABASE (parallel restore breaks TimescaleDB).

    ``clean``: drop each object of the dump before re-creating it (``--clean --if-exists``, restore over an existing
    database); ``single_transaction``: all or nothing (not for TimescaleDB dumps: one lock per chunk).
    """
    dump = shlex.quote(f"{BACKUP_MOUNT}/{dump_name}")
    options = " --clean --if-exists" * clean + " --single-transaction" * single_transaction
    return ["sh", "-c", f'set -eu\npg_restore --exit-on-error{options} --no-password --dbname="$PGDATABASE" {dump}']


def models_restore_script(archive_name: str, *, clear: bool) -> list[str]:
    """The guide's restore (``cd /models && tar xzf /backup/models_<date>.tar.gz``), optionally emptying the models
    mount first; prints the entries extracted."""
    archive = shlex.quote(f"{BACKUP_MOUNT}/{archive_name}")
    lines = ["set -eu"]
    if clear:  # every entry, dot-files included; a pattern that matches nothing stays literal and rm -f ignores it
        lines.append(f"rm -rf {MODELS_MOUNT}/* {MODELS_MOUNT}/.[!.]* {MODELS_MOUNT}/..?*")
    lines += [
        f"tar -xzf {archive} -C {MODELS_MOUNT}",
        f"entries=$(tar -tzf {archive} | wc -l)",
        f'echo "{VERIFIED_PREFIX}tar -x: $entries entries"',
    ]
    return ["sh", "-c", "\n".join(lines)]


def parse_output(lines: list[str]) -> dict[str, str]:
    """``key: value`` lines printed by the scripts (the verification and source size)."""
    found = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if sep and key in ("verified", "source_bytes"):
            found[key] = value.strip()
    if "verified" not in found:
        raise RuntimeError("the backup container ended without printing its verification line")
    return found
