"""A recovered copy of the database: a TimescaleDB container (the production image) on the recovered data, with no
network, queried with ``psql`` inside it through the Docker engine. Used by the weekly verification (a throwaway
copy) and by the point-in-time restore (the copy the operator switches the stack over to)."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from typing import Any

from docker.errors import APIError, NotFound
from docker.types import Mount

from tsdb_ops.files import read_sql
from tsdb_ops.pitr.recovery import DATA_DIR

_PSQL = 'printf "%s" "$PITR_SQL" | psql -XAtq -v ON_ERROR_STOP=1 -U "$PITR_USER" -d "$PITR_DB"'


class RecoveredCopy:
    """The container ``name`` on ``volume``; ``login``: (user, password, database) of the production connection."""

    def __init__(self, api: Any, name: str, volume: str, login: tuple[str, str, str]) -> None:
        self.api, self.name, self.volume = api, name, volume
        self.user, self.password, self.database = login

    def start(self, image: str, command: list[str], labels: dict[str, str]) -> None:
        self.api.create_container(
            image, command=command, name=self.name, labels=labels,
            host_config=self.api.create_host_config(network_mode="none",
                                                    mounts=[Mount(target=DATA_DIR, source=self.volume, type="volume")]),
        )
        self.api.start(self.name)

    def psql(self, sql: str, variables: dict[str, str] | None = None) -> tuple[int, str]:
        """Exit code and output of ``sql`` run by psql in the copy (``:'name'`` psql variables from ``variables``)."""
        command = _PSQL + "".join(f" -v {shlex.quote(f'{k}={v}')}" for k, v in (variables or {}).items())
        exec_id = self.api.exec_create(self.name, ["sh", "-c", command], user="postgres", environment={
            "PITR_SQL": sql, "PITR_USER": self.user, "PITR_DB": self.database, "PGPASSWORD": self.password})
        output = self.api.exec_start(exec_id).decode(errors="replace")
        return self.api.exec_inspect(exec_id)["ExitCode"], output.strip()

    def logs_tail(self, lines: int = 5) -> str:
        return " | ".join(self.api.logs(self.name, tail=lines).decode(errors="replace").strip().splitlines())

    def wait_until_promoted(self, timeout_seconds: float, *, clock: Callable[[], float] = time.monotonic,
                            sleep: Callable[[float], None] = time.sleep) -> float:
        """Seconds until the copy replayed the WAL to its target and promoted; a copy that stopped (e.g. the target
        lies beyond the archived WAL) or did not get there in time fails with its last log lines."""
        started = clock()
        while clock() - started < timeout_seconds:
            if not self.api.inspect_container(self.name)["State"]["Running"]:
                raise RuntimeError(f"recovered copy {self.name} stopped during recovery: {self.logs_tail()}")
            code, output = self.psql("SELECT pg_is_in_recovery()")
            if code == 0 and output == "f":
                return clock() - started
            sleep(2)
        raise RuntimeError(f"recovered copy {self.name} did not reach its target within {timeout_seconds:.0f} s "
                           f"(pitr_recovery_timeout_seconds): {self.logs_tail()}")

    def facts(self, hypertable: tuple[str, str], time_column: str, markers: tuple[int, int] = (0, 0)) -> dict[str, Any]:
        """Rows, time range, chunks, compressed chunks and jobs of the hypertable, TimescaleDB's version and whether
        the verification markers with these ids are present (``pitr/recovered_copy_facts.sql``)."""
        code, output = self.psql(read_sql("pitr/recovered_copy_facts.sql"), {
            "schema": hypertable[0], "table": hypertable[1], "time_column": time_column, "marker_before": str(markers[0]),
            "marker_after": str(markers[1])})
        if code != 0:
            raise RuntimeError(f"reading the recovered copy {self.name} failed: {output[-500:]}")
        return json.loads(output.splitlines()[-1])

    def remove(self, *, volume: bool) -> None:
        """Remove the container (and its volume); what is already gone is fine."""
        try:
            self.api.remove_container(self.name, force=True)
        except NotFound:
            pass
        if volume:
            try:
                self.api.remove_volume(self.volume, force=True)
            except NotFound:
                pass
            except APIError as error:
                raise RuntimeError(f"volume {self.volume} of the recovered copy could not be removed: {error}") from None
