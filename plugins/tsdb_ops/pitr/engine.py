"""Running Barman: the catalogue's mount, and one Barman container run through the Docker engine for the checks
that are not DAG steps of their own (the hourly monitor's). The DAG steps are DockerOperators on the same script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docker.types import Mount

from tsdb_ops.config import OpsConfig
from tsdb_ops.pitr.barman import CATALOGUE, BarmanServer, BarmanStep, JsonResult, barman_script, parse_json_steps


def catalogue_mount(config: OpsConfig) -> Mount:
    """Barman's home: a named volume (shared with the compose service ``barman``), or a host directory."""
    kind = "bind" if config.pitr_catalogue.startswith("/") else "volume"
    return Mount(target=CATALOGUE, source=config.pitr_catalogue, type=kind)


def run_barman_steps(api: Any, config: OpsConfig, database: str, password: str, steps: Sequence[BarmanStep],
                     labels: dict[str, str], *, before: Sequence[str] = (), mounts: Sequence[Mount] = (),
                     timeout_seconds: int = 600) -> tuple[dict[str, JsonResult], list[str]]:
    """The labelled steps' results and all output lines of one Barman container on the database's network (removed
    afterwards); ``before`` and ``mounts`` as for :func:`barman_script` and a recovery target."""
    server = BarmanServer.from_config(config, database)
    container = api.create_container(
        config.barman_image, command=barman_script(steps, before=before), labels=labels,
        environment={**server.environment(), "PGPASSWORD": password},
        host_config=api.create_host_config(network_mode=config.docker_network,
                                           mounts=[catalogue_mount(config), *mounts]),
    )
    try:
        api.start(container)
        exit_code = api.wait(container, timeout=timeout_seconds)["StatusCode"]
        output = api.logs(container, stdout=True, stderr=True).decode(errors="replace").splitlines()
    finally:
        api.remove_container(container, force=True)
    if exit_code:
        raise RuntimeError(f"Barman container ({config.barman_image}) exited {exit_code}: {' | '.join(output[-3:])}")
    return parse_json_steps(output), output
