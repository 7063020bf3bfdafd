"""Policy setup (guide: TimescaleDB Policies): read the actual settings, plan the changes, apply them on request.

The plan is a pure function of the desired and the actual state, so a dry run shows exactly what apply does.
A missing policy (retention can delete the reorder job with the chunks it processed) is planned as an add.
Every policy that is added or rescheduled gets a staggered first start (``staggered_starts``): background jobs
that start at the same moment can deadlock each other (40P01) and leave chunks uncompressed, and ``alter_job``
without ``next_start`` leaves a never-run job at ``-infinity`` (due at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from tsdb_ops.config import OpsConfig
from tsdb_ops.files import read_sql
from tsdb_ops.timescale.chunks import database_now
from tsdb_ops.timescale.jobs import find_policy_jobs
from tsdb_ops.timescale.table import Table, quote_identifier

# Actions the plan may contain, in the order apply runs them (compression must be enabled before its policy).
ACTIONS = ("set_compression", "remove_compression_policy", "add_compression_policy", "remove_retention_policy",
           "add_retention_policy", "remove_reorder_policy", "add_reorder_policy", "set_schedule")


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


def read_actual_policies(conn: psycopg.Connection, hypertable: Table) -> ActualPolicies:
    with conn.transaction():
        enabled, segmentby, orderby = conn.execute(
            read_sql("maintenance/compression_settings.sql"), hypertable.params).fetchone()
        index_rows = conn.execute(read_sql("maintenance/unique_index_columns.sql"), hypertable.params).fetchall()
        jobs: dict[str, ActualJob] = {}
        for job in find_policy_jobs(conn, hypertable):
            age = job.config.get("compress_after", job.config.get("drop_after"))
            age_days = None
            if isinstance(age, str):
                age_days = float(conn.execute(read_sql("maintenance/interval_days.sql"), {"interval": age}).fetchone()[0])
            schedule = (job.schedule_interval or timedelta()).total_seconds() / 3600
            jobs.setdefault(job.kind, ActualJob(job.job_id, schedule, age_days, job.config.get("index_name")))
    return ActualPolicies(bool(enabled), tuple(segmentby or ()), tuple(orderby or ()), jobs,
                          {name: tuple(columns) for name, columns in index_rows})


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
        elif change.action.startswith("remove_"):
            kind = change.action.removeprefix("remove_").removesuffix("_policy")
            conn.execute(read_sql(f"maintenance/remove_{kind}_policy.sql"), params)
        elif change.action == "set_schedule":
            conn.execute(read_sql("maintenance/set_job_schedule.sql"), {"job_id": change.job_id, "hours": change.hours,
                                                                     "start": params["start"]})
        else:
            raise ValueError(f"unknown policy action {change.action!r}")


def ensure_policies(conn: psycopg.Connection, hypertable: Table, config: OpsConfig, *, apply: bool,
                    progress: Callable[[str], None]) -> dict[str, Any]:
    """Show the drift; with ``apply`` make the database match the config and verify that no drift is left."""
    desired = DesiredPolicies.from_config(config)
    actual = read_actual_policies(conn, hypertable)
    changes = plan_policy_changes(desired, actual)
    advice = compression_advice(desired, actual.unique_index_columns)
    progress(f"Policy drift of {hypertable}: {len(changes)} change(s)" + (":" if changes else " (none)"))
    for change in changes:
        progress(f"  {change.line()}")
    for line in advice:
        progress(f"Advice: {line}")
    result: dict[str, Any] = {"hypertable": str(hypertable), "drift": [c.line() for c in changes], "advice": advice,
                              "applied": [], "notices": []}
    if not apply:
        progress("Dry run: nothing changed (trigger with apply=true to apply)" if changes else "Nothing to change")
        return result
    starts = staggered_starts(database_now(conn), desired)
    for _ in range(2):  # a newly added reorder policy gets its schedule in the second pass (alter_job)
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
