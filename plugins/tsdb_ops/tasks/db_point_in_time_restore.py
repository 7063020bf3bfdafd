"""db_point_in_time_restore's task bodies: validate and plan, start the recovered database, say how to switch."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from tsdb_ops.config import load_config
from tsdb_ops.params import ParamError
from tsdb_ops.tasks.db_pitr_verification import hypertable_parts, start_copy
from tsdb_ops.tasks.manual_runs import fail_fast_on_bad_params, skip_if_dry_run

log = logging.getLogger(__name__)


@fail_fast_on_bad_params
def validate_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The params checked (a new container and volume must not exist yet); the plan logged."""
    from docker.errors import NotFound

    from tsdb_ops.docker import docker_api
    from tsdb_ops.pitr.recovery import check_restore_params, restore_plan, volume_for

    config = load_config()
    request = check_restore_params(params or {}, config, datetime.now(UTC))
    if request.container:
        api = docker_api(config)
        for kind, name, inspect in (("container", request.container, api.inspect_container),
                                    ("volume", volume_for(request.container), api.inspect_volume)):
            try:
                inspect(name)
            except NotFound:
                continue
            raise ParamError(f"param new_container={request.container!r}: the {kind} {name} exists already; choose a "
                             "new name (a restore never writes into an existing one)")
    for line in restore_plan(request, config):
        log.info("%s", line)
    if request.dry_run:
        log.info("Dry run: nothing changed. Trigger again with dry_run=false and confirm = confirm_again = %r",
                 request.target)
    return request.as_dict()


def start_recovered_database(recovered: dict[str, Any]) -> dict[str, Any] | None:
    """Start the recovered copy in its container (no network, jobs off), wait until it reached the target, report
    what it holds, and log the steps of the switch-over."""
    from tsdb_ops.pitr.recovery import RestoreRequest, switch_over_steps

    skip_if_dry_run(recovered, log.info, "recover")
    config = load_config()
    request = RestoreRequest(datetime.fromisoformat(recovered["target_time"]), recovered["container"],
                             recovered["directory"], False)
    facts = None
    if request.container:
        copy, seconds = start_copy(config, recovered, "db_point_in_time_restore")
        facts = copy.facts(hypertable_parts(config), config.time_column)
        log.info("Container %s reached %s and promoted after %.0f s: %s rows (newest %s), %s chunks (%s compressed), "
                 "%s jobs, TimescaleDB %s", request.container, request.target_time.isoformat(), seconds, facts["rows"],
                 facts["newest"], facts["chunks"], facts["compressed_chunks"], facts["jobs"], facts["timescaledb"])
    steps = switch_over_steps(request, config)
    log.info("To switch the stack over to the recovered database:\n%s",
             "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)))
    return {"facts": facts, "switch_over": steps}
