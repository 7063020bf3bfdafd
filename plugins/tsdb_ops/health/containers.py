"""Containers of the trading stack that are unhealthy or restarting, through the Docker API.

Replaces the guide's scripts/health_unhealthy_check.sh (`docker ps --filter health=unhealthy`): the containers
are chosen by the compose project label or a name prefix (setting health_containers), and a container stuck
in a restart loop is reported too (a crash-looping container has no health status to be "unhealthy" with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult

CHECK = "containers"
TITLE = "Containers of the stack"


@dataclass(frozen=True)
class ContainerState:
    name: str
    image: str
    status: str                # created, running, restarting, exited, paused, dead
    health: str | None         # healthy, unhealthy, starting; None without a HEALTHCHECK
    restart_count: int
    last_health_output: str    # output of the newest health probe, for the alert


def selector_filters(selector: str) -> tuple[dict[str, str], str | None]:
    """Docker list filters and the name prefix for a validated ``label:k=v`` or ``name:prefix`` selector."""
    kind, _, value = selector.partition(":")
    if kind == "label":
        return {"label": value}, None
    return {"name": value}, value  # Docker's name filter matches anywhere: the prefix is checked afterwards


def container_state(inspected: dict[str, Any]) -> ContainerState:
    """The fields that matter from ``docker inspect``."""
    state = inspected.get("State") or {}
    health = state.get("Health") or {}
    probes = health.get("Log") or []
    return ContainerState(
        name=inspected.get("Name", "").lstrip("/"),
        image=(inspected.get("Config") or {}).get("Image", ""),
        status="restarting" if state.get("Restarting") else state.get("Status", "unknown"),
        health=health.get("Status"),
        restart_count=int(inspected.get("RestartCount") or 0),
        last_health_output=" ".join(str(probes[-1].get("Output", "")).split())[:200] if probes else "",
    )


def container_findings(containers: Sequence[ContainerState]) -> list[Finding]:
    """Critical for each unhealthy or restarting container of the stack."""
    findings = []
    for c in containers:
        facts = {"container": c.name, "image": c.image, "status": c.status, "health": c.health,
                 "restart_count": c.restart_count}
        if c.status == "restarting":
            findings.append(Finding(f"health.containers.restarting.{c.name}", "critical",
                                    f"Container {c.name} is restarting (restarted {c.restart_count} times): "
                                    f"see `docker logs {c.name}`", facts))
        elif c.health == "unhealthy":
            findings.append(Finding(f"health.containers.unhealthy.{c.name}", "critical",
                                    f"Container {c.name} is unhealthy: {c.last_health_output or 'no probe output'}",
                                    facts))
    return findings


def check_containers(api_client: Any, selector: str) -> CheckResult:
    """List the stack's containers (all states) with the Docker low-level API client and judge them."""
    filters, prefix = selector_filters(selector)
    listed = api_client.containers(all=True, filters=filters)
    states = []
    for item in listed:
        names = [n.lstrip("/") for n in item.get("Names") or []]
        if prefix and not any(n.startswith(prefix) for n in names):
            continue
        states.append(container_state(api_client.inspect_container(item["Id"])))
    states.sort(key=lambda c: c.name)
    result = CheckResult(CHECK, TITLE, columns=["container", "image", "status", "health", "restarts"])
    result.findings = container_findings(states)
    result.rows = [[c.name, c.image, c.status, c.health or "-", c.restart_count] for c in states]
    if not states:
        result.notes.append(f"No container matches {selector}: check the setting health_containers.")
    return result
