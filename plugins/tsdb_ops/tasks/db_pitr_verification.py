"""db_pitr_verification's task bodies: markers around a target time, the recovered copy started and judged, the
copy removed."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

from tsdb_ops.config import OpsConfig, load_config

if TYPE_CHECKING:
    from tsdb_ops.pitr.recovered_copy import RecoveredCopy

log = logging.getLogger(__name__)
MARKER_GAP_SECONDS = 2.0


def hypertable_parts(config: OpsConfig) -> tuple[str, str]:
    schema, _, name = config.hypertable.rpartition(".")
    return schema or "public", name


def production_settings(config: OpsConfig) -> dict[str, Any]:
    """The running server's settings a recovered copy takes over; none when the database is down (the recovered
    data directory's postgresql.conf then holds what the production image set)."""
    from tsdb_ops.db import db_session
    from tsdb_ops.pitr.database import server_settings

    try:
        with db_session(config.postgres_conn_id) as conn:
            return server_settings(conn, config.pitr_replication_role, config.pitr_slot_name)
    except psycopg.OperationalError as error:
        log.warning("the database does not answer (%s): the recovered copy starts with its own postgresql.conf",
                    str(error).strip().splitlines()[0])
        return {}


def write_markers(dag_run: Any = None) -> dict[str, Any]:
    """A marker before and one after the target time (MARKER_GAP_SECONDS apart, the target in the middle), each
    with the counts of its transaction; the names of the copy's container and volume."""
    from tsdb_ops.db import db_session
    from tsdb_ops.pitr.database import write_marker

    config = load_config()
    schema, name = hypertable_parts(config)
    run_id = dag_run.run_id if dag_run is not None else "manual"
    markers = {}
    with db_session(config.postgres_conn_id) as conn:
        for kind in ("before", "after"):
            if kind == "after":
                time.sleep(MARKER_GAP_SECONDS)
            markers[kind] = write_marker(conn, kind, run_id, (schema, name))
    before, after = (datetime.fromisoformat(markers[k]["written_at"]) for k in ("before", "after"))
    target = before + (after - before) / 2
    stamp = (dag_run.run_after if dag_run is not None else target).strftime("%Y%m%dT%H%M%S")
    copy = f"tsdb_ops_pitr_check_{stamp}"
    log.info("markers %s (before) and %s (after); recovering to %s", markers["before"]["id"], markers["after"]["id"],
             target.isoformat())
    return {**markers, "target_time": target.isoformat(), "container": copy, "volume": copy, "dry_run": False}


def _copy(config: OpsConfig, recovered: dict[str, Any]) -> RecoveredCopy:
    from tsdb_ops.db import database_login
    from tsdb_ops.docker import docker_api
    from tsdb_ops.pitr.recovered_copy import RecoveredCopy

    login = database_login(config.postgres_conn_id)
    return RecoveredCopy(docker_api(config), recovered["container"], recovered["volume"],
                         (login.user, login.password, login.dbname))


def start_copy(config: OpsConfig, recovered: dict[str, Any], dag_id: str) -> tuple[RecoveredCopy, float]:
    """The copy started on the recovered data (production image and settings, no network, no TimescaleDB jobs) and
    replayed to its target; the seconds that took."""
    from tsdb_ops.pitr.recovery import copy_command

    copy = _copy(config, recovered)
    copy.start(config.pitr_restore_image, copy_command(production_settings(config), run_jobs=False),
               {"tsdb_ops.task": f"{dag_id}.recovered_copy"})
    return copy, copy.wait_until_promoted(config.pitr_recovery_timeout_seconds)


def check_recovered_copy(recovered: dict[str, Any]) -> dict[str, Any]:
    """The copy has the marker written before the target, not the one after, and counts between the two markers'."""
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line
    from tsdb_ops.pitr.recovery import check_copy

    config = load_config()
    copy, seconds = start_copy(config, recovered, "db_pitr_verification")
    facts = copy.facts(hypertable_parts(config), config.time_column,
                       (recovered["before"]["id"], recovered["after"]["id"]))
    problems = check_copy(facts, recovered["before"], recovered["after"])
    summary = (f"PITR verification to {recovered['target_time']}: recovered in {recovered['recover_seconds']:.0f} s, "
               f"replayed in {seconds:.0f} s; {facts['rows']} rows, {facts['chunks']} chunks "
               f"({facts['compressed_chunks']} compressed), {facts['jobs']} jobs")
    if problems:
        append_log_line(config, BACKUP_LOG, f"ERROR: {summary}: " + "; ".join(problems))
        raise RuntimeError(f"{summary}. Wrong: " + "; ".join(problems))
    append_log_line(config, BACKUP_LOG, f"{summary}: markers as expected")
    log.info("%s: markers as expected", summary)
    return {"facts": facts, "replay_seconds": round(seconds, 1)}


def remove_recovered_copy(recovered: dict[str, Any]) -> None:
    """The copy's container and volume, also after a failure (teardown)."""
    config = load_config()
    _copy(config, recovered).remove(volume=True)
    log.info("recovered copy %s and its volume removed", recovered["container"])
