"""What Barman and the database say about the point-in-time recovery, read into findings (pure functions).

Inputs are Barman's JSON (``barman -f json check`` and ``list-backups``) and rows of ``pitr/slot_state.sql``; the
outputs are findings with stable keys, so the monitor alerts once per problem and resolves it when it is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.pitr.barman import DF_PREFIX, JsonResult

# Fixed by the first base backup: before it, the pre-backup check must not refuse the backup that fixes it (the
# monitor reports a missing backup as its own finding).
BEFORE_FIRST_BACKUP = frozenset({"minimum_redundancy_requirements"})
# What the next successful base backup fixes: the pre-backup check lets the backup run (the monitor keeps alerting on
# them until it has succeeded; the backup step then deletes the failed ones).
FIXED_BY_A_BACKUP = BEFORE_FIRST_BACKUP | {"failed_backups"}


# Barman's checks that repeat what the WAL stream finding says: one alert for one cause.
STREAM_CHECKS = frozenset({"receive_wal_running", "replication_slot"})


def failed_checks(check_json: Any, server: str) -> dict[str, str]:
    """``barman check``'s failed checks of ``server``: name -> hint. A server missing from the output is a failure."""
    checks = (check_json or {}).get(server) if isinstance(check_json, dict) else None
    if not isinstance(checks, dict):
        return {"barman": f"barman check printed nothing for server {server!r} (see barman.log in the catalogue)"}
    return {name: str(result.get("hint") or "") for name, result in sorted(checks.items())
            if isinstance(result, dict) and result.get("status") != "OK"}


def check_findings(failed: dict[str, str], *, ignore: frozenset[str] = BEFORE_FIRST_BACKUP) -> list[Finding]:
    return [Finding(f"pitr.barman_check.{name}", "critical",
                    f"Barman check {name} FAILED" + (f": {hint}" if hint else ""), {"check": name, "hint": hint})
            for name, hint in failed.items() if name not in ignore]


@dataclass(frozen=True)
class BaseBackup:
    backup_id: str
    status: str
    end_time: datetime | None
    size_bytes: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"backup_id": self.backup_id, "status": self.status, "size_bytes": self.size_bytes,
                "end_time": self.end_time.isoformat() if self.end_time else None}


def base_backups(list_json: Any, server: str) -> list[BaseBackup]:
    """``barman list-backups`` of ``server``, oldest first."""
    rows = (list_json or {}).get(server) if isinstance(list_json, dict) else None
    backups = []
    for row in rows or []:
        stamp = row.get("end_time_timestamp")
        end = datetime.fromtimestamp(float(stamp), UTC) if stamp not in (None, "", "None") else None
        backups.append(BaseBackup(str(row["backup_id"]), str(row.get("status")), end, row.get("size_bytes")))
    return sorted(backups, key=lambda b: b.backup_id)


def newest_done(backups: list[BaseBackup]) -> BaseBackup | None:
    done = [b for b in backups if b.status == "DONE" and b.end_time is not None]
    return done[-1] if done else None


def listed_base_backups(result: JsonResult, server: str) -> list[BaseBackup] | None:
    """The base backups a ``list-backups`` step listed, or None when it failed (a non-zero exit, or no JSON for
    ``server``: with its catalogue full Barman may print nothing). None is "unknown", never "no backup"."""
    if result.exit_code or not isinstance(result.data, dict) or server not in result.data:
        return None
    return base_backups(result.data, server)


def base_backup_findings(backups: list[BaseBackup] | None, now: datetime, config: OpsConfig) -> list[Finding]:
    """Critical when no base backup completed, or the newest completed one is older than the limit; a warning when
    Barman could not list them (``backups`` None): their age is unknown, and no page claims they are gone."""
    if backups is None:
        return [Finding("pitr.base_backup_age", "warning",
                        f"Barman could not list the base backups of server {config.pitr_server_name}: their age is "
                        "unknown this run (see the check_pitr task log and the other PITR findings)", {})]
    newest = newest_done(backups)
    limit = config.pitr_max_base_backup_age_days
    if newest is None:
        return [Finding("pitr.base_backup_age", "critical",
                        f"No completed Barman base backup of server {config.pitr_server_name}: point-in-time recovery "
                        "is impossible until db_base_backup succeeds", {"backups": [b.as_dict() for b in backups]})]
    assert newest.end_time is not None
    age_days = (now - newest.end_time).total_seconds() / 86400
    if age_days <= limit:
        return []
    return [Finding("pitr.base_backup_age", "critical",
                    f"Newest Barman base backup {newest.backup_id} is {age_days:.1f} days old (limit {limit:g} days)",
                    {"backup": newest.as_dict(), "age_days": round(age_days, 2)})]


def stream_problem(sample: dict[str, Any] | None, max_lag_seconds: float) -> str | None:
    """Why the WAL stream (one row of ``pitr/slot_state.sql``) is not healthy now, or None."""
    if sample is None or sample.get("slot_name") is None:
        return "the replication slot does not exist"
    if sample.get("wal_status") == "lost":
        return "the replication slot lost WAL the receiver had not streamed yet (wal_status lost)"
    if not sample.get("active") or sample.get("state") != "streaming":
        return "no WAL receiver is streaming from the replication slot"
    lag = sample.get("write_lag_seconds") or 0.0
    if lag > max_lag_seconds:
        return f"the receiver's write lag is {lag:.0f} s"
    return None


def watch_wal_stream(sample: Callable[[], dict[str, Any] | None], config: OpsConfig, *,
                     clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                     ) -> tuple[list[Finding], dict[str, Any] | None]:
    """Critical when the stream stays unhealthy for ``max_wal_lag_seconds``: a receiver that restarts within it (the
    barman service's cron loop brings a dead one back within a minute) is not an alert. The findings and last sample."""
    limit = config.max_wal_lag_seconds
    deadline = clock() + limit
    while True:
        current = sample()
        problem = stream_problem(current, limit)
        if problem is None:
            return [], current
        if clock() >= deadline:
            break
        sleep(min(5.0, max(deadline - clock(), 0.1)))
    slot = config.pitr_slot_name
    key = "pitr.replication_slot" if current is None or current.get("slot_name") is None else "pitr.wal_stream"
    message = (f"WAL stream to Barman broken for at least {limit:g} s: {problem} (slot {slot}); committed data since "
               "then is not in the WAL archive")
    if key == "pitr.replication_slot":
        message += ": recreate it with db_pitr_setup (dry_run=false), then take a base backup with db_base_backup"
    return [Finding(key, "critical", message, {"slot": slot, "sample": current})], current


def slot_retention_findings(retained_bytes: int | None, free_bytes: int | None, config: OpsConfig) -> list[Finding]:
    """Critical when the slot holds back more WAL than ``pitr_max_slot_retained_wal_percent`` of the database disk's
    free space: a receiver that stays down fills the disk and stops the database."""
    if retained_bytes is None or free_bytes is None or free_bytes <= 0:
        return []
    percent = 100.0 * retained_bytes / free_bytes
    if percent <= config.pitr_max_slot_retained_wal_percent:
        return []
    return [Finding("pitr.slot_retained_wal", "critical",
                    f"Replication slot {config.pitr_slot_name} holds back {retained_bytes / 1e9:.2f} GB of WAL, {percent:.0f}% "
                    f"of the {free_bytes / 1e9:.2f} GB free on the database's disk (limit "
                    f"{config.pitr_max_slot_retained_wal_percent:g}%): is the barman service streaming?",
                    {"retained_bytes": retained_bytes, "free_bytes": free_bytes})]



@dataclass(frozen=True)
class DiskSpace:
    used_bytes: int
    available_bytes: int

    @property
    def used_percent(self) -> float:
        total = self.used_bytes + self.available_bytes
        return 100.0 * self.used_bytes / total if total else 100.0


def parse_df(output: str) -> DiskSpace | None:
    """The last line of ``df -Pk`` (filesystem, 1024-blocks, used, available, ...), None when unreadable."""
    lines = output.strip().splitlines()
    fields = lines[-1].split() if lines else []
    if len(fields) < 4 or not (fields[2].isdigit() and fields[3].isdigit()):
        return None
    return DiskSpace(int(fields[2]) * 1024, int(fields[3]) * 1024)


def catalogue_space(lines: list[str]) -> DiskSpace | None:
    """The catalogue's disk space, as every Barman container prints it before it starts."""
    found = [line[len(DF_PREFIX):] for line in lines if line.startswith(DF_PREFIX)]
    return parse_df(found[-1]) if found else None


def catalogue_findings(space: DiskSpace | None, config: OpsConfig) -> list[Finding]:
    """Critical when Barman's catalogue is fuller than ``disk_usage_threshold_percent``: a full catalogue fails the
    base backups and stops the WAL stream (the slot then holds the WAL back on the database's disk)."""
    if space is None or space.used_percent <= config.disk_usage_threshold_percent:
        return []
    return [Finding("pitr.catalogue_disk", "critical",
                    f"Barman's catalogue {config.pitr_catalogue} is {space.used_percent:.0f}% full "
                    f"({space.available_bytes / 1e9:.2f} GB free, limit {config.disk_usage_threshold_percent:g}%): base "
                    "backups and the WAL stream fail when it is full",
                    {"used_bytes": space.used_bytes, "available_bytes": space.available_bytes})]
