"""Recovering to a point in time: the restore's params and plan, the recovery script, how a recovered copy is
started, and how the weekly verification judges it (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.params import ParamError, parse_time, text_param
from tsdb_ops.pitr.barman import RECOVERY_MOUNT, BarmanStep

DATA_DIR = RECOVERY_MOUNT   # PGDATA of the TimescaleDB images
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# Settings of the production server a recovered copy takes over (the WAL records some of them; the data
# directory's postgresql.conf may not hold them when they are given on the server's command line).
COPIED_SETTINGS = ("shared_preload_libraries", "max_connections", "max_worker_processes", "max_locks_per_transaction",
                   "max_prepared_transactions")


def volume_for(container: str) -> str:
    return f"{container}_pgdata"


def recover_steps(server: str, target_time: datetime) -> list[BarmanStep]:
    """Archive what the receiver has (tolerated: the database may be down), then recover the newest base backup
    before the target with the WAL up to it; ``--partial-wal`` takes the segment still being streamed too, so a
    target seconds before a crash is reachable. The copy promotes itself when it reaches the target."""
    return [
        BarmanStep(("switch-wal", "--force", "--archive", "--archive-timeout", "120", server), "switch_wal"),
        BarmanStep(("recover", "--target-time", target_time.isoformat(), "--target-action", "promote",
                    "--partial-wal", server, "latest", RECOVERY_MOUNT)),
    ]


# Run as root before Barman: the target must be empty (never overwrite), and Barman's user must own it.
PREPARE_TARGET = [
    f'[ -z "$(ls -A {RECOVERY_MOUNT})" ] || {{ echo "recovery target is not empty: refusing to overwrite it" >&2; exit 3; }}',
    f"chown barman:barman {RECOVERY_MOUNT}",
]


def copy_command(settings: dict[str, Any], *, run_jobs: bool) -> list[str]:
    """``postgres -c ...`` of a recovered copy: the production settings it needs, no hot standby (nothing reads it
    before it is promoted at the target), no WAL archiving, and TimescaleDB's jobs only when ``run_jobs``."""
    options = ["postgres", "-c", "hot_standby=off", "-c", "archive_mode=off"]
    for name in COPIED_SETTINGS:
        if settings.get(name) not in (None, ""):
            options += ["-c", f"{name}={settings[name]}"]
    if not run_jobs:
        options += ["-c", "timescaledb.max_background_workers=0"]
    return options


@dataclass(frozen=True)
class RestoreRequest:
    target_time: datetime
    container: str | None
    directory: str | None
    dry_run: bool

    @property
    def target(self) -> str:
        return self.container or self.directory or ""

    def as_dict(self) -> dict[str, Any]:
        return {"target_time": self.target_time.isoformat(), "container": self.container, "directory": self.directory,
                "volume": volume_for(self.container) if self.container else None, "dry_run": self.dry_run}


def check_restore_params(params: dict[str, Any], config: OpsConfig, now: datetime) -> RestoreRequest:
    """The restore's params: a target time in the past, exactly one of a new container name and a host directory,
    and (for a real run) both confirmations repeating the target."""
    target_time = parse_time(params.get("target_time"), "target_time", config.timezone)
    if target_time >= now:
        raise ParamError(f"param target_time={params.get('target_time')!r} is not in the past ({now.isoformat()} now): "
                         "the WAL archive holds only what was written")
    container, directory = text_param(params, "new_container") or None, text_param(params, "target_directory") or None
    if (container is None) == (directory is None):
        raise ParamError("give exactly one of the params new_container (a container started on a new volume) and "
                         "target_directory (an empty host directory for the data files)")
    if container is not None and (not _CONTAINER_NAME.match(container) or container == config.db_host_in_docker):
        raise ParamError(f"param new_container={container!r} must be a new container name (letters, digits, _ . -), "
                         f"not the running database's ({config.db_host_in_docker})")
    if directory is not None:
        path = PurePosixPath(directory)
        if not path.is_absolute() or ".." in path.parts or len(path.parts) < 3:
            raise ParamError(f"param target_directory={directory!r} must be an absolute host path at least two levels "
                             "deep, without '..', e.g. /srv/pitr/mt5_20260302")
    dry_run = params.get("dry_run", True) is not False
    request = RestoreRequest(target_time, container, directory, dry_run)
    if not dry_run:
        for name in ("confirm", "confirm_again"):
            if text_param(params, name) != request.target:
                raise ParamError(f"a point-in-time restore writes a whole database: set both confirm and confirm_again "
                                 f"to the target ({request.target!r}), after reading the dry run's plan; got "
                                 f"{name}={params.get(name)!r}")
    return request


def restore_plan(request: RestoreRequest, config: OpsConfig) -> list[str]:
    """What a confirmed run does, in the order it does it."""
    where = (f"a new Docker volume {volume_for(request.container)}" if request.container
             else f"the empty host directory {request.directory}")
    lines = [
        "1. archive the WAL the barman service has streamed (switch-wal; skipped when the database is down)",
        f"2. barman recover of server {config.pitr_server_name}: the newest base backup before "
        f"{request.target_time.isoformat()} and the WAL up to it into {where}; a non-empty target is refused",
    ]
    if request.container:
        lines.append(f"3. start container {request.container} ({config.pitr_restore_image}, no network, TimescaleDB jobs "
                     "off) on it, wait until it reaches the target and promotes, and report its rows, chunks and jobs")
    lines.append("The running database is never touched: switching the stack over is the manual step the run prints.")
    return lines


def switch_over_steps(request: RestoreRequest, config: OpsConfig) -> list[str]:
    """The operator's steps from the recovered copy to the stack's database, in order."""
    db = config.db_host_in_docker
    source = (f"volume {volume_for(request.container)}" if request.container else f"directory {request.directory}")
    steps = []
    if request.container:
        steps.append(f"Inspect the copy: docker exec -it {request.container} psql -U <user> <database> "
                     "(it has no network; TimescaleDB jobs are off in it). Then: docker rm -f " + request.container)
    steps += [
        "Stop the stack's writers (db_restore with stop_stack, or docker compose stop of the application services).",
        f"Stop the database container: docker stop {db}. Keep its data volume: it is the state before the restore.",
        f"In the stack's docker-compose.yml, mount the recovered {source} as the database service's data directory "
        f"({DATA_DIR}; a volume as `external: true`), then docker compose up -d for the database service.",
        "Check the data (rows, newest bar), start the writers again, then run db_pitr_setup and db_base_backup: the "
        "recovered database is on a new timeline, and Barman needs a new base backup of it.",
    ]
    return steps


def check_copy(facts: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What is wrong with a copy recovered to a time between two markers: the marker written before must be there,
    the one written after must not, and rows, chunks, compressed chunks and jobs must lie between the counts taken
    with each marker (other writers may commit in between; with none, both bounds are equal)."""
    problems = []
    if not facts.get("marker_before"):
        problems.append(f"marker {before['id']} written before the target time is missing")
    if facts.get("marker_after"):
        problems.append(f"marker {after['id']} written after the target time is present")
    for name in ("rows", "chunks", "compressed_chunks", "jobs"):
        low, high = sorted((before[name], after[name]))
        if not low <= facts[name] <= high:
            problems.append(f"{name}: {facts[name]} in the copy, expected between {low} and {high}")
    return problems
