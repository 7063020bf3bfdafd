"""Policy setup (guide: TimescaleDB Policies): read the actual settings, plan the changes, apply them on request.

The actual state is read by three SQL files (compression settings, unique indexes, policy jobs), run as the DAG's
SQL steps, and the plan is a pure function of the desired and the actual state, so a dry run shows exactly what
apply does.
A missing policy (retention can delete the reorder job with the chunks it processed) is planned as an add.
Every policy that is added or rescheduled gets a staggered first start (``staggered_starts``): background jobs
that start at the same moment can deadlock each other (40P01) and leave chunks uncompressed, and ``alter_job``
without ``next_start`` leaves a never-run job at ``-infinity`` (due at once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.timescale.chunks import database_now
from tsdb_ops.timescale.jobs import POLICY_JOBS_SQL, policy_job_params, policy_kind
from tsdb_ops.timescale.table import Table, quote_identifier

# Actions the plan may contain, in the order apply runs them (compression must be enabled before its policy).
ACTIONS = ("set_compression", "remove_compression_policy", "add_compression_policy", "remove_retention_policy",
           "add_retention_policy", "remove_reorder_policy", "add_reorder_policy", "set_schedule")
REMOVE_POLICY_SQL = {"remove_compression_policy": "maintenance/remove_compression_policy.sql",
                     "remove_retention_policy": "maintenance/remove_retention_policy.sql",
                     "remove_reorder_policy": "maintenance/remove_reorder_policy.sql"}


@dataclass(frozen=True)
class DesiredPolicies:
    segmentby: tuple[str, ...]
    orderby: tuple[str, ...]
    compress_after_days: float
    compression_schedule_hours: float
    retention_days: float
    retention_schedule_hours: float
    reorder_index: str
    reorder_schedule_hours: float

    @classmethod
    def from_config(cls, config: OpsConfig) -> DesiredPolicies:
        return cls((config.symbol_column,), (config.time_column,), config.compress_after_days,
                   config.policy_schedule_hours, config.retention_days, config.retention_schedule_hours,
                   config.reorder_index, config.policy_schedule_hours)


@dataclass(frozen=True)
class ActualJob:
    job_id: int
    schedule_hours: float
    age_days: float | None        # compress_after / drop_after in days
    index_name: str | None        # reorder policies


@dataclass(frozen=True)
class ActualPolicies:
    compression_enabled: bool
    segmentby: tuple[str, ...]
    orderby: tuple[str, ...]
    jobs: dict[str, ActualJob]    # kind -> job
    unique_index_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyChange:
    action: str
    description: str
    current: str
    desired: str
    job_id: int | None = None
    hours: float | None = None
    kind: str | None = None       # the policy kind an add or set_schedule starts ("compression", ...)

    def line(self) -> str:
        return f"{self.action}: {self.description} (now: {self.current}; configured: {self.desired})"


def _hours(value: float) -> str:
    return f"{value:g} h"


def plan_policy_changes(desired: DesiredPolicies, actual: ActualPolicies) -> list[PolicyChange]:
    """The changes that make ``actual`` match ``desired``, in apply order. Empty: no drift."""
    changes: list[PolicyChange] = []
    settings_now = f"segmentby {list(actual.segmentby)}, orderby {list(actual.orderby)}" if actual.compression_enabled \
        else "compression not enabled"
    settings_wanted = f"segmentby {list(desired.segmentby)}, orderby {list(desired.orderby)}"
    if not actual.compression_enabled or (actual.segmentby, actual.orderby) != (desired.segmentby, desired.orderby):
        changes.append(PolicyChange("set_compression", "compression settings", settings_now, settings_wanted))
    for kind, age, schedule in (("compression", desired.compress_after_days, desired.compression_schedule_hours),
                                ("retention", desired.retention_days, desired.retention_schedule_hours)):
        job = actual.jobs.get(kind)
        if job is None:
            changes.append(PolicyChange(f"add_{kind}_policy", f"{kind} policy missing", "none",
                                        f"after {age:g} days, every {_hours(schedule)}", hours=schedule, kind=kind))
        elif job.age_days is None or abs(job.age_days - age) > 1e-6:
            changes.append(PolicyChange(f"remove_{kind}_policy", f"{kind} policy age differs", f"{job.age_days} days",
                                        f"{age:g} days", job_id=job.job_id))
            changes.append(PolicyChange(f"add_{kind}_policy", f"{kind} policy re-added with the configured age",
                                        f"job {job.job_id}", f"after {age:g} days, every {_hours(schedule)}", hours=schedule,
                                        kind=kind))
        elif abs(job.schedule_hours - schedule) > 1e-6:
            changes.append(PolicyChange("set_schedule", f"{kind} policy schedule", _hours(job.schedule_hours),
                                        _hours(schedule), job_id=job.job_id, hours=schedule, kind=kind))
    reorder = actual.jobs.get("reorder")
    if reorder is None:
        changes.append(PolicyChange("add_reorder_policy", "reorder policy missing", "none",
                                    f"index {desired.reorder_index}, every {_hours(desired.reorder_schedule_hours)}",
                                    hours=desired.reorder_schedule_hours, kind="reorder"))
    elif reorder.index_name != desired.reorder_index:
        changes.append(PolicyChange("remove_reorder_policy", "reorder policy index differs", str(reorder.index_name),
                                    desired.reorder_index, job_id=reorder.job_id))
        changes.append(PolicyChange("add_reorder_policy", "reorder policy re-added on the configured index",
                                    f"job {reorder.job_id}", desired.reorder_index, hours=desired.reorder_schedule_hours,
                                    kind="reorder"))
    elif abs(reorder.schedule_hours - desired.reorder_schedule_hours) > 1e-6:
        changes.append(PolicyChange("set_schedule", "reorder policy schedule", _hours(reorder.schedule_hours),
                                    _hours(desired.reorder_schedule_hours), job_id=reorder.job_id,
                                    hours=desired.reorder_schedule_hours, kind="reorder"))
    return sorted(changes, key=lambda c: ACTIONS.index(c.action))


# The order in which a set-up's policies first run, one stagger step apart.
STAGGER_ORDER = ("compression", "reorder", "retention")


def staggered_starts(now: datetime, desired: DesiredPolicies) -> dict[str, datetime]:
    """First start of each policy kind: a quarter of the shortest schedule apart, the first one quarter from now.

    With TimescaleDB's fixed schedules each job then recurs at its own offset: with the guide's 12 h, 12 h and
    24 h, compression runs at +3 h, reorder at +6 h and retention at +9 h of every 12 h, never together."""
    step = timedelta(hours=min(desired.compression_schedule_hours, desired.reorder_schedule_hours,
                               desired.retention_schedule_hours) / 4)
    return {kind: now + step * (position + 1) for position, kind in enumerate(STAGGER_ORDER)}


def compression_advice(desired: DesiredPolicies, unique_index_columns: dict[str, tuple[str, ...]]) -> list[str]:
    """TimescaleDB warns when a unique index column is neither segmented nor ordered by: report it, change nothing."""
    covered = set(desired.segmentby) | set(desired.orderby)
    advice = []
    for index, columns in sorted(unique_index_columns.items()):
        missing = [c for c in columns if c not in covered]
        if missing:
            advice.append(
                f"column(s) {missing} of unique index {index} are neither segmentby nor orderby: TimescaleDB advises "
                f"adding them (e.g. segmentby {list(desired.segmentby) + missing}) for faster inserts/upserts into "
                "compressed chunks. Not changed automatically: changing a live table's compression settings affects "
                "how every chunk is compressed; set it deliberately."
            )
    return advice


# The actual state, read by the DAG's SQL steps (bind parameters: POLICY_JOBS_SQL's, policy_job_params).
COMPRESSION_SETTINGS_SQL = "maintenance/compression_settings.sql"
UNIQUE_INDEX_COLUMNS_SQL = "maintenance/unique_index_columns.sql"
STATE_SQL = (COMPRESSION_SETTINGS_SQL, UNIQUE_INDEX_COLUMNS_SQL, POLICY_JOBS_SQL)


def actual_policies_from_rows(settings: Sequence[Mapping[str, Any]], indexes: Sequence[Mapping[str, Any]],
                              jobs: Sequence[Mapping[str, Any]]) -> ActualPolicies:
    """The actual state from the rows of the STATE_SQL files, read by column name; the oldest job of a kind counts
    (the server converted each job's schedule to hours and its age to days)."""
    setting = settings[0]
    found: dict[str, ActualJob] = {}
    for job in jobs:
        found.setdefault(policy_kind(job["proc_name"]) or job["proc_name"],
                         ActualJob(job["job_id"], job["schedule_hours"] or 0.0, job["age_days"], job["index_name"]))
    return ActualPolicies(bool(setting["compression_enabled"]), tuple(setting["segmentby"] or ()),
                          tuple(setting["orderby"] or ()), found,
                          {row["index_name"]: tuple(row["columns"]) for row in indexes})


def read_actual_policies(conn: psycopg.Connection, hypertable: Table) -> ActualPolicies:
    """The STATE_SQL files in one transaction (after apply, to verify what it did)."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        rows = [cur.execute(read_sql(name), policy_job_params(hypertable)).fetchall() for name in STATE_SQL]
    return actual_policies_from_rows(*rows)


@dataclass(frozen=True)
class PolicyDrift:
    """The changes that make the database match the configuration, and TimescaleDB's advice (never applied)."""

    hypertable: str
    changes: list[PolicyChange]
    advice: list[str]

    def lines(self) -> list[str]:
        head = f"Policy drift of {self.hypertable}: {len(self.changes)} change(s)" + (":" if self.changes else " (none)")
        return [head, *(f"  {c.line()}" for c in self.changes), *(f"Advice: {line}" for line in self.advice)]

    def dry_run_line(self) -> str:
        return "Dry run: nothing changed (trigger with apply=true to apply)" if self.changes else "Nothing to change"

    def as_dict(self) -> dict[str, Any]:
        return {"hypertable": self.hypertable, "drift": [c.line() for c in self.changes], "advice": self.advice,
                "changes": [asdict(c) for c in self.changes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyDrift:
        return cls(data["hypertable"], [PolicyChange(**c) for c in data["changes"]], list(data["advice"]))


def policy_drift(config: OpsConfig, actual: ActualPolicies, hypertable: str) -> PolicyDrift:
    desired = DesiredPolicies.from_config(config)
    return PolicyDrift(hypertable, plan_policy_changes(desired, actual), compression_advice(desired, actual.unique_index_columns))


def apply_change(conn: psycopg.Connection, hypertable: Table, desired: DesiredPolicies, change: PolicyChange,
                 starts: dict[str, datetime], notices: Callable[[str], None]) -> None:
    """Run one planned change in its own transaction. Add/remove use if_not_exists/if_exists: safe to repeat.
    Adds and schedule changes start the job at its staggered time (``starts``, see ``staggered_starts``)."""
    params: dict[str, Any] = {**hypertable.params, "hours": change.hours,
                              "start": starts[change.kind] if change.kind else None}
    with conn.transaction():
        if change.action == "set_compression":
            def handler(diagnostic: psycopg.errors.Diagnostic) -> None:
                if diagnostic.severity_nonlocalized == "WARNING":
                    notices(f"TimescaleDB WARNING: {diagnostic.message_primary}")

            conn.add_notice_handler(handler)
            try:
                conn.execute(sql.SQL(read_sql("maintenance/set_compression.sql")).format(
                    table=hypertable.identifier,
                    segmentby=sql.Literal(", ".join(map(quote_identifier, desired.segmentby))),
                    orderby=sql.Literal(", ".join(map(quote_identifier, desired.orderby))),
                ))
            finally:
                conn.remove_notice_handler(handler)
        elif change.action == "add_compression_policy":
            conn.execute(read_sql("maintenance/add_compression_policy.sql"), {**params, "days": desired.compress_after_days})
        elif change.action == "add_retention_policy":
            conn.execute(read_sql("maintenance/add_retention_policy.sql"), {**params, "days": desired.retention_days})
        elif change.action == "add_reorder_policy":
            conn.execute(read_sql("maintenance/add_reorder_policy.sql"), {**params, "index_name": desired.reorder_index})
        elif change.action in REMOVE_POLICY_SQL:
            conn.execute(read_sql(REMOVE_POLICY_SQL[change.action]), params)
        elif change.action == "set_schedule":
            conn.execute(read_sql("maintenance/set_job_schedule.sql"), {"job_id": change.job_id, "hours": change.hours,
                                                                     "start": params["start"]})
        else:
            raise ValueError(f"unknown policy action {change.action!r}")


def apply_policy_changes(conn: psycopg.Connection, hypertable: Table, config: OpsConfig,
                         changes: Sequence[PolicyChange], progress: Callable[[str], None]) -> dict[str, Any]:
    """Apply the planned changes, each in its own transaction, then read the state again and apply what still
    drifts (a newly added reorder policy gets its schedule in the second pass, by alter_job); fail if drift is
    left. Returns the changes applied and TimescaleDB's warnings."""
    desired = DesiredPolicies.from_config(config)
    result: dict[str, Any] = {"applied": [], "notices": []}
    starts = staggered_starts(database_now(conn), desired)
    for _ in range(2):
        for change in changes:
            apply_change(conn, hypertable, desired, change, starts, result["notices"].append)
            result["applied"].append(change.line())
            first_run = f"; first run {starts[change.kind]:%Y-%m-%d %H:%M %Z}" if change.kind else ""
            progress(f"Applied {change.line()}{first_run}")
        changes = plan_policy_changes(desired, read_actual_policies(conn, hypertable))
        if not changes:
            break
    for notice in result["notices"]:
        progress(notice)
    if changes:
        raise RuntimeError(f"policies of {hypertable} still drift after apply: {[c.line() for c in changes]}")
    progress(f"Policies of {hypertable} match the configuration")
    return result

