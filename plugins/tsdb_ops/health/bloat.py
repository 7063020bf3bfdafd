"""Dead tuples and estimated bloat of the hypertable and its indexes, summed over its chunks.

The bloat estimate is statistical (no row is read): the bytes a relation's live rows need, from the planner's
row count and pg_stats' average widths, against its size on disk. It is what check_postgres and the usual
"bloat queries" estimate; pgstattuple would be exact but reads every page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tsdb_ops.config import OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health.result import CheckResult
from tsdb_ops.health.target import HealthTarget

CHECK = "bloat"
TITLE = "Dead tuples and bloat"
PAGE_HEADER_BYTES = 24
HEAP_TUPLE_HEADER_BYTES = 24      # 23 bytes, MAXALIGNed
INDEX_TUPLE_HEADER_BYTES = 8
LINE_POINTER_BYTES = 4
BTREE_SPECIAL_BYTES = 16
BTREE_FILLFACTOR = 0.9


def _maxalign(n: float) -> int:
    return int(math.ceil(n / 8) * 8)


def expected_heap_bytes(rows: int, row_width: int, block_size: int) -> int:
    """Bytes a heap holding ``rows`` rows of ``row_width`` data bytes needs, at fillfactor 100."""
    per_tuple = HEAP_TUPLE_HEADER_BYTES + _maxalign(row_width) + LINE_POINTER_BYTES
    return math.ceil(rows * per_tuple / (block_size - PAGE_HEADER_BYTES)) * block_size


def expected_btree_bytes(rows: int, key_width: int, block_size: int) -> int:
    """Bytes a btree over ``rows`` entries of ``key_width`` key bytes needs: leaf pages at fillfactor 90 + metapage."""
    per_entry = _maxalign(INDEX_TUPLE_HEADER_BYTES + key_width) + LINE_POINTER_BYTES
    usable = (block_size - PAGE_HEADER_BYTES - BTREE_SPECIAL_BYTES) * BTREE_FILLFACTOR
    return (math.ceil(rows * per_entry / usable) + 1) * block_size


@dataclass(frozen=True)
class BloatEstimate:
    name: str
    kind: str                 # "table" or "index"
    actual_bytes: int         # relations with an estimate only
    wasted_bytes: int
    relations: int
    not_estimated: int        # relations without statistics (never analyzed) or with expression keys

    @property
    def percent(self) -> float:
        return round(100 * self.wasted_bytes / self.actual_bytes, 1) if self.actual_bytes else 0.0


@dataclass(frozen=True)
class DeadTuples:
    table: str
    live: int
    dead: int
    relations: int

    @property
    def percent(self) -> float:
        """Dead share of all tuples (the guide divided by live tuples: infinite once every row is deleted)."""
        return round(100 * self.dead / (self.live + self.dead), 1) if self.dead else 0.0


def dead_tuples(table: str, rows: Sequence[Mapping[str, Any]]) -> DeadTuples:
    return DeadTuples(table, sum(r["live_tuples"] for r in rows), sum(r["dead_tuples"] for r in rows), len(rows))


def table_bloat(table: str, rows: Sequence[Mapping[str, Any]]) -> BloatEstimate:
    """Wasted heap bytes summed over the relations (chunks) that have statistics."""
    actual = wasted = missing = 0
    for row in rows:
        if row["row_width_bytes"] is None:
            missing += row["heap_bytes"] > 0
            continue
        expected = expected_heap_bytes(row["planner_rows"], row["row_width_bytes"], row["block_size"])
        actual += row["heap_bytes"]
        wasted += max(0, row["heap_bytes"] - expected)
    return BloatEstimate(table, "table", actual, wasted, len(rows), missing)


def index_bloat(rows: Sequence[Mapping[str, Any]]) -> list[BloatEstimate]:
    """Wasted bytes per parent btree index, summed over its chunk indexes that can be estimated."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["access_method"] == "btree":
            groups.setdefault(row["parent_index"], []).append(row)
    estimates = []
    for name, group in sorted(groups.items()):
        actual = wasted = missing = 0
        for row in group:
            if row["has_expressions"] or row["key_width_bytes"] is None:
                missing += row["planner_rows"] > 0
                continue
            expected = expected_btree_bytes(row["planner_rows"], row["key_width_bytes"], row["block_size"])
            actual += row["index_bytes"]
            wasted += max(0, row["index_bytes"] - expected)
        estimates.append(BloatEstimate(name, "index", actual, wasted, len(group), missing))
    return estimates


def dead_tuple_findings(dead: DeadTuples, max_percent: float, min_count: int) -> list[Finding]:
    if dead.dead < max(min_count, 1) or dead.percent <= max_percent:
        return []
    return [Finding(
        f"health.dead_tuples.{dead.table}", "warning",
        f"{dead.table} has {dead.dead} dead tuples ({dead.percent} % of its tuples, limit {max_percent:g} %): "
        "autovacuum is not keeping up; run VACUUM ANALYZE (db_weekly_maintenance) and check autovacuum settings",
        {"table": dead.table, "dead_tuples": dead.dead, "live_tuples": dead.live, "dead_percent": dead.percent},
    )]


def bloat_findings(estimates: Sequence[BloatEstimate], max_percent: float, min_bytes: int) -> list[Finding]:
    return [
        Finding(f"health.bloat.{e.kind}.{e.name}", "warning",
                f"{e.kind.capitalize()} {e.name}: about {e.percent} % bloat ({e.wasted_bytes} of {e.actual_bytes} bytes, "
                f"limit {max_percent:g} %)" + (": REINDEX it (CONCURRENTLY)" if e.kind == "index" else
                                                  ": VACUUM frees the space for reuse; compression rewrites old chunks"),
                {"relation": e.name, "kind": e.kind, "bloat_percent": e.percent, "wasted_bytes": e.wasted_bytes,
                 "actual_bytes": e.actual_bytes})
        for e in estimates
        if e.actual_bytes >= min_bytes and e.percent > max_percent
    ]


# The check's queries, SQL steps of db_health_check (parameters: HealthTarget.sql_params).
TABLE_STATS_SQL = "health/table_stats.sql"


def judge_bloat(target: HealthTarget, table_rows: Sequence[Mapping[str, Any]], index_rows: Sequence[Mapping[str, Any]],
                config: OpsConfig) -> CheckResult:
    """Dead tuples and estimated bloat of the table (summed over its chunks) and of its indexes, from the rows of
    TABLE_STATS_SQL and indexes.INDEX_STATS_SQL."""
    dead = dead_tuples(target.name, table_rows)
    estimates = [table_bloat(target.name, table_rows), *index_bloat(index_rows)]
    result = CheckResult(CHECK, TITLE, columns=["relation", "kind", "bytes", "estimated bloat", "bloat %",
                                                "relations", "not estimated"])
    result.findings = (dead_tuple_findings(dead, config.health_dead_tuple_max_percent, config.health_dead_tuple_min_count)
                       + bloat_findings(estimates, config.health_bloat_max_percent, config.health_bloat_min_bytes))
    over = f" over {dead.relations} chunk(s)" if target.table.is_hypertable else ""
    result.notes.append(f"{target.name}: {dead.live} live and {dead.dead} dead tuples{over} ({dead.percent} % dead).")
    last_vacuum = max((r["last_vacuum"] for r in table_rows if r["last_vacuum"]), default=None)
    last_analyze = min((r["last_analyze"] for r in table_rows if r["last_analyze"]), default=None)
    result.notes.append(f"Newest vacuum: {last_vacuum or 'never'}; oldest statistics: {last_analyze or 'never analyzed'}.")
    if any(e.not_estimated for e in estimates):
        result.notes.append("Relations without planner statistics are not estimated: ANALYZE them.")
    result.rows = [[e.name, e.kind, e.actual_bytes, e.wasted_bytes, e.percent, e.relations, e.not_estimated]
                   for e in estimates]
    return result
