"""Shell scripts the backup containers run: write under the partial name, verify, print the verification.

The scripts never see the password (libpq reads PGPASSWORD from the container's private environment) and
remove their partial file when a step fails. The last output line is ``verified: <what proved it readable>``.
"""

from __future__ import annotations

import shlex

VERIFIED_PREFIX = "verified: "
BACKUP_MOUNT = "/backup"
MODELS_MOUNT = "/models"


def _on_failure_remove(partial: str) -> str:
    return f"trap 'rc=$?; [ $rc -eq 0 ] || rm -f {shlex.quote(partial)}' EXIT"


def pg_dump_script(partial_name: str, compression: str, snapshot: str | None) -> list[str]:
    """pg_dump in custom format to ``/backup/<partial_name>``, then ``pg_restore -l`` of it (TOC readable).

    Connection settings come from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD in the environment.
    """
    partial = f"{BACKUP_MOUNT}/{partial_name}"
    dump = ["pg_dump", "--format=custom", f"--compress={compression}", "--no-password", f"--file={partial}"]
    if snapshot:
        dump.append(f"--snapshot={snapshot}")
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


def pg_restore_script(dump_name: str) -> list[str]:
    """Serial pg_restore of ``/backup/<dump_name>`` into PGDATABASE (parallel restore breaks TimescaleDB)."""
    dump = shlex.quote(f"{BACKUP_MOUNT}/{dump_name}")
    return ["sh", "-c", f'set -eu\npg_restore --exit-on-error --no-password --dbname="$PGDATABASE" {dump}']


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
