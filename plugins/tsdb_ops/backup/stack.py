"""The trading stack's application containers around a full restore: which to stop, stopping and starting them.

Guide: Recovery Procedures, "Full Database Restore" runs ``docker-compose stop`` (every service, the database
included), then ``docker exec mt5_db pg_restore`` (which cannot run in a stopped container), then
``docker-compose up -d``. Here only the writers stop: the containers chosen by ``stack_containers`` (the compose
project label) that are running, **never the database container** (named ``db_host_in_docker``, or a name or
compose service in ``stack_keep_running``) and never the container this task runs in; the restore then runs
against the live database server, and exactly the containers that were stopped are started again, also when the
restore fails.

The selection is pure (:func:`plan_stack_stop` on the engine's container list); stopping and starting take the
Docker low-level API client (``tsdb_ops.docker.docker_api``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

SERVICE_LABEL = "com.docker.compose.service"


@dataclass(frozen=True)
class StackContainer:
    id: str
    name: str
    service: str | None        # compose service, from its label
    state: str                 # running, exited, paused, restarting, created, dead

    @classmethod
    def from_listing(cls, item: Mapping[str, Any]) -> StackContainer:
        """One entry of the engine's container list (``APIClient.containers(all=True)``)."""
        names = [n.lstrip("/") for n in item.get("Names") or []]
        return cls(item["Id"], names[0] if names else item["Id"][:12], (item.get("Labels") or {}).get(SERVICE_LABEL),
                   item.get("State") or "unknown")


@dataclass
class StackPlan:
    selector: str
    to_stop: list[StackContainer] = field(default_factory=list)
    kept: list[tuple[StackContainer, str]] = field(default_factory=list)   # (container, why it keeps running)
    not_running: list[StackContainer] = field(default_factory=list)

    def lines(self) -> list[str]:
        stop = ", ".join(c.name for c in self.to_stop) or "none (no running container matches)"
        lines = [f"Stop the trading stack's application containers ({self.selector}) before the safety dump: {stop}"]
        for container, why in self.kept:
            lines.append(f"Keep {container.name} running: {why}")
        if self.not_running:
            lines.append("Not running, left alone (not started afterwards): "
                         + ", ".join(f"{c.name} ({c.state})" for c in self.not_running))
        if self.to_stop:
            lines.append("After the restore, also when it fails: start " + ", ".join(c.name for c in self.to_stop)
                         + " again")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"selector": self.selector, "to_stop": [asdict(c) for c in self.to_stop],
                "kept": [{**asdict(c), "why": why} for c, why in self.kept],
                "not_running": [asdict(c) for c in self.not_running], "lines": self.lines()}


def selector_filters(selector: str) -> tuple[dict[str, str], str | None]:
    """Docker list filters and the name prefix for a validated ``label:k=v`` or ``name:prefix`` selector."""
    kind, _, value = selector.partition(":")
    if kind == "label":
        return {"label": value}, None
    return {"name": value}, value  # Docker's name filter matches anywhere: the prefix is checked afterwards


def keep_reason(container: StackContainer, database_host: str, keep_running: Iterable[str],
                own_hostname: str | None) -> str | None:
    """Why a container of the selection must not be stopped, or None (pure)."""
    if database_host in (container.name, container.service):
        return f"the database container (db_host_in_docker={database_host})"
    keep = set(keep_running)
    if container.name in keep or (container.service and container.service in keep):
        return "named in stack_keep_running"
    if own_hostname and len(own_hostname) >= 12 and container.id.startswith(own_hostname):
        return "this task runs in it"
    return None


def plan_stack_stop(listed: Sequence[Mapping[str, Any]], selector: str, *, database_host: str,
                    keep_running: Iterable[str], own_hostname: str | None = None) -> StackPlan:
    """Which of the listed containers to stop: the running ones of the selection that are not kept (pure)."""
    _, prefix = selector_filters(selector)
    plan = StackPlan(selector)
    containers = sorted((StackContainer.from_listing(item) for item in listed), key=lambda c: c.name)
    for container in containers:
        if prefix and not container.name.startswith(prefix):
            continue
        why = keep_reason(container, database_host, keep_running, own_hostname)
        if why:
            plan.kept.append((container, why))
        elif container.state in ("running", "restarting", "paused"):
            plan.to_stop.append(container)
        else:
            plan.not_running.append(container)
    return plan


def list_stack(api_client: Any, selector: str, *, database_host: str, keep_running: Iterable[str],
               own_hostname: str | None = None) -> StackPlan:
    filters, _ = selector_filters(selector)
    return plan_stack_stop(api_client.containers(all=True, filters=filters), selector, database_host=database_host,
                           keep_running=keep_running, own_hostname=own_hostname)


def stop_containers(api_client: Any, plan: StackPlan, timeout_seconds: int, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Stop the plan's containers one by one; when one cannot be stopped, start again those already stopped and
    raise (a half-stopped stack is never left behind). Returns the stopped containers."""
    stopped: list[StackContainer] = []
    for container in plan.to_stop:
        try:
            say(f"Stopping container {container.name} (service {container.service or '-'}, up to {timeout_seconds} s)")
            api_client.stop(container.id, timeout=timeout_seconds)
        except Exception as exc:
            say(f"Could not stop {container.name}: {exc}; starting the {len(stopped)} stopped before it again")
            start_containers(api_client, [asdict(c) for c in stopped], say)
            raise RuntimeError(f"Could not stop container {container.name} of the stack: {exc}; nothing was restored, "
                               "the containers stopped before it run again") from None
        stopped.append(container)
    return [asdict(c) for c in stopped]


def start_containers(api_client: Any, stopped: Sequence[Mapping[str, Any]], say: Callable[[str], None]) -> list[str]:
    """Start each stopped container that is not running (all are tried); raise naming those that did not start."""
    started, failed = [], []
    for container in stopped:
        try:
            state = (api_client.inspect_container(container["id"]).get("State") or {})
            if state.get("Running"):
                say(f"Container {container['name']} is running already")
                continue
            api_client.start(container["id"])
            say(f"Started container {container['name']}")
            started.append(container["name"])
        except Exception as exc:
            say(f"Could not start container {container['name']}: {exc}")
            failed.append(f"{container['name']} ({exc})")
    if failed:
        raise RuntimeError(f"Containers of the stack did not start: {'; '.join(failed)}. Start them with docker start "
                           "or docker compose up -d")
    return started
