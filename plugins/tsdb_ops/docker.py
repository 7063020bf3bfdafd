"""The one way to the Docker engine: the docker provider's hook on the configured ``docker_url``."""

from __future__ import annotations

from typing import Any

from tsdb_ops.config import OpsConfig


def docker_api(config: OpsConfig) -> Any:
    """The low-level API client (``docker.APIClient``) of the engine at ``docker_url``."""
    from airflow.providers.docker.hooks.docker import DockerHook

    return DockerHook(docker_conn_id=None, base_url=config.docker_url, version="auto").api_client
