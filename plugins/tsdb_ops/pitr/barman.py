"""Barman's configuration and the shell script every Barman container runs, and the reading of its JSON output.

Barman runs in streaming mode (``backup_method = postgres``, ``streaming_archiver = on``): ``pg_basebackup`` takes
the base backups and ``pg_receivewal`` streams the WAL through a replication slot, both over a normal PostgreSQL
connection, so the database needs only a replication role and a ``pg_hba`` line. The configuration and the
``.pgpass`` live in the catalogue (``barman_home``, a volume shared with the compose service that keeps the WAL
receiver running): each container writes both before it runs Barman, so the service always has the current ones.
The password reaches the container only as its private ``PGPASSWORD`` and lands in the 0600 ``.pgpass``; the
configuration holds none.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.config import OpsConfig

CATALOGUE = "/var/lib/barman"
CONF = f"{CATALOGUE}/barman.conf"
PGPASS = f"{CATALOGUE}/.pgpass"
# Where a recovery writes: the data directory of the TimescaleDB images, because Barman writes its restore_command
# with this path and the recovered copy replays from it.
RECOVERY_MOUNT = "/var/lib/postgresql/data"
PG_BIN = "/usr/lib/postgresql/15/bin"
JSON_PREFIX = "barman-json "
EXIT_PREFIX = "barman-exit "
DF_PREFIX = "catalogue-df "
_LABEL = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class BarmanServer:
    """What Barman's configuration says about the one database server it backs up."""

    name: str
    host: str
    port: int
    role: str
    database: str
    slot: str
    recovery_window_days: int
    max_rate_kbps: int = 0

    @classmethod
    def from_config(cls, config: OpsConfig, database: str) -> BarmanServer:
        return cls(config.pitr_server_name, config.db_host_in_docker, config.db_port_in_docker,
                   config.pitr_replication_role, database, config.pitr_slot_name, config.pitr_recovery_window_days,
                   config.pitr_base_backup_max_rate_kbps)

    def environment(self) -> dict[str, str]:
        """The container's (public) environment: the configuration and what the .pgpass line matches."""
        return {"BARMAN_CONF": render_conf(self), "BARMAN_DB_HOST": self.host, "BARMAN_DB_PORT": str(self.port),
                "BARMAN_ROLE": self.role}


def _conninfo(**values: str | int) -> str:
    """A libpq connection string; every value single-quoted with ' and \\ escaped."""
    def quote(value: str | int) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return " ".join(f"{key}={quote(value)}" for key, value in values.items())


def render_conf(server: BarmanServer) -> str:
    """barman.conf: global section and the server's streaming setup. The slot is created by db_pitr_setup, never by
    Barman (create_slot = manual): a lost slot is a finding, not something silently re-created with a WAL gap."""
    conninfo = _conninfo(host=server.host, port=server.port, user=server.role, dbname=server.database,
                         application_name="barman")
    streaming = _conninfo(host=server.host, port=server.port, user=server.role, application_name="barman_streaming")
    return "\n".join([
        "; written by tsdb-ops before each Barman step (db_pitr_setup, db_base_backup, ...): edit the settings instead",
        "[barman]",
        f"barman_home = {CATALOGUE}",
        "barman_user = barman",
        f"log_file = {CATALOGUE}/barman.log",
        "log_level = INFO",
        "",
        f"[{server.name}]",
        "description = TimescaleDB market data (tsdb-ops)",
        f"conninfo = {conninfo}",
        f"streaming_conninfo = {streaming}",
        "backup_method = postgres",
        "streaming_archiver = on",
        "archiver = off",
        f"slot_name = {server.slot}",
        "create_slot = manual",
        f"path_prefix = {PG_BIN}",
        f"retention_policy = RECOVERY WINDOW OF {server.recovery_window_days} DAYS",
        "retention_policy_mode = auto",
        "wal_retention_policy = main",
        "minimum_redundancy = 1",
        *([f"bandwidth_limit = {server.max_rate_kbps}"] if server.max_rate_kbps else []),
        "",
    ])


@dataclass(frozen=True)
class BarmanStep:
    """One Barman command of a container script. ``label``: its JSON output is printed on a ``barman-json <label>``
    line (and its exit status on ``barman-exit <label>``, without ending the script); no label: a failure ends it."""

    args: tuple[str, ...]
    label: str | None = None

    def __post_init__(self) -> None:
        if self.label is not None and not _LABEL.match(self.label):
            raise ValueError(f"step label {self.label!r} must be lower-case letters and _")


# A full catalogue takes no new configuration: Barman then runs with the one it holds (and says why it fails).
_PREPARE = f"""set -eu
umask 077
chown barman:barman {CATALOGUE}
echo "{DF_PREFIX}$(df -Pk {CATALOGUE} | tail -n 1)"
escaped=$(printf '%s' "$PGPASSWORD" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/:/\\\\:/g')
if printf '%s\\n' "$BARMAN_CONF" > {CONF}.new \\
    && printf '%s:%s:*:%s:%s\\n' "$BARMAN_DB_HOST" "$BARMAN_DB_PORT" "$BARMAN_ROLE" "$escaped" > {PGPASS}.new; then
  chown barman:barman {CONF}.new {PGPASS}.new
  mv {CONF}.new {CONF}
  mv {PGPASS}.new {PGPASS}
else
  rm -f {CONF}.new {PGPASS}.new
  echo "the catalogue took no new configuration (full?): Barman runs with the one it holds" >&2
  {{ [ -s {CONF} ] && [ -s {PGPASS} ]; }} || exit 1
fi
unset PGPASSWORD escaped"""


def barman_script(steps: Sequence[BarmanStep], *, before: Sequence[str] = ()) -> list[str]:
    """``sh -c`` of a Barman container: configuration and .pgpass into the catalogue, ``before`` (shell lines run as
    root, e.g. preparing a recovery target), then each step (Barman drops to its own user)."""
    lines = [_PREPARE, *before]
    for step in steps:
        command = shlex.join(["barman", "-c", CONF, *(["-f", "json"] if step.label else []), *step.args])
        if step.label:
            lines += [f"printf '{JSON_PREFIX}{step.label} '", f"rc=0; {command} || rc=$?",
                      f"echo; echo \"{EXIT_PREFIX}{step.label} $rc\""]
        else:
            lines.append(command)
    return ["sh", "-c", "\n".join(lines)]


@dataclass(frozen=True)
class JsonResult:
    """A labelled step's output: its JSON (None when Barman printed none) and its exit status."""

    data: Any
    exit_code: int


def parse_json_steps(lines: Sequence[str]) -> dict[str, JsonResult]:
    """The labelled steps' results from a container's output lines (stdout and stderr interleaved)."""
    data: dict[str, Any] = {}
    codes: dict[str, int] = {}
    for line in lines:
        if line.startswith(JSON_PREFIX):
            label, _, text = line[len(JSON_PREFIX):].partition(" ")
            try:
                data[label] = json.loads(text) if text.strip() else None
            except json.JSONDecodeError:
                data[label] = None
        elif line.startswith(EXIT_PREFIX):
            label, _, code = line[len(EXIT_PREFIX):].partition(" ")
            codes[label] = int(code)
    return {label: JsonResult(data.get(label), code) for label, code in codes.items()}
