"""The health checks' decisions as pure functions: tables of rows in, findings, estimates and Markdown out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tsdb_ops.config import ConfigError, OpsConfig
from tsdb_ops.findings import Finding
from tsdb_ops.health import bloat, compression, containers, indexes, locks, queries
from tsdb_ops.health.report import health_report_path, render_health_report
from tsdb_ops.health.result import CheckResult, mask_literals
from tsdb_ops.timescale.jobs import NO_RUNS_NOTE, job_findings, job_notes

OK_JOB = {"job_id": 1000, "procedure": "_timescaledb_functions.policy_compression", "last_run_status": "Success",
          "total_runs": 5, "total_failures": 0, "last_run_started_at": "2026-03-01"}
FAILED_JOB = {**OK_JOB, "job_id": 1001, "last_run_status": "Failed", "total_failures": 2}
NEVER_RUN = {**OK_JOB, "job_id": 1002, "last_run_status": None, "total_runs": 0, "last_run_started_at": None}
ERR = {"job_id": 1000, "procedure": "p.x", "sqlerrcode": "40P01", "message": "deadlock detected"}
STARVED = {"job_id": 1003, "procedure": "p.y", "sqlerrcode": None,
           "message": "failed to start job 1003: Out of background workers"}


@pytest.mark.parametrize(("job_rows", "errors", "expected"), [
    ([OK_JOB], [], {}),
    ([FAILED_JOB], [], {"health.jobs.failing.1001": "warning"}),
    ([OK_JOB], [ERR], {"health.jobs.failing.1000": "warning"}),                       # errors although last run ok
    ([], [{**ERR, "job_id": 7}], {"health.jobs.failing.7": "warning"}),               # errors of a deleted job
    ([OK_JOB], [STARVED], {"health.jobs.out_of_background_workers": "critical"}),
    ([FAILED_JOB], [STARVED, STARVED],
     {"health.jobs.failing.1001": "warning", "health.jobs.out_of_background_workers": "critical"}),
])
def test_job_findings_from_last_status_and_errors(job_rows, errors, expected):
    found = job_findings(job_rows, errors, 24)
    assert {f.key: f.severity for f in found} == expected


def test_job_finding_names_the_last_error_and_never_reads_error_status():
    (finding,) = job_findings([{**OK_JOB, "last_run_status": "ERROR"}], [ERR], 24)
    assert "[40P01] deadlock detected" in finding.message and "logged 1 error(s) in 24 h" in finding.message


@pytest.mark.parametrize(("job_rows", "noted"), [([NEVER_RUN], True), ([NEVER_RUN, OK_JOB], False), ([], False)])
def test_no_runs_note_when_job_stats_holds_no_run(job_rows, noted):
    assert (NO_RUNS_NOTE in job_notes(job_rows)) is noted


def _pair(blocked: int, blocking: int, seconds: float) -> dict:
    return {"blocked_pid": blocked, "blocking_pid": blocking, "waiting_seconds": seconds}


@pytest.mark.parametrize(("pairs", "severity", "roots"), [
    ([], None, None),
    ([_pair(2, 1, 30)], None, None),                                   # below the warning limit
    ([_pair(2, 1, 61)], "warning", [1]),
    ([_pair(2, 1, 700)], "critical", [1]),
    ([_pair(2, 1, 90), _pair(3, 2, 80), _pair(3, 1, 80)], "warning", [1]),   # a queue: 1 is the root blocker
])
def test_lock_findings_by_wait_time_and_root_blockers(pairs, severity, roots):
    found = locks.lock_findings(pairs, 60, 600)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if roots:
        assert found[0].key == "health.locks.blocked" and found[0].facts["root_blocking_pids"] == roots


@pytest.mark.parametrize(("live", "dead", "min_count", "expected_percent", "finding"), [
    (1000, 0, 1, 0.0, False),
    (800, 200, 1, 20.0, False),        # at the limit: not above it
    (700, 300, 1, 30.0, True),
    (700, 300, 1000, 30.0, False),     # too few dead tuples to matter
    (0, 500, 1, 100.0, True),          # every row deleted: the guide's dead/live divided by zero
])
def test_dead_tuple_percentage_is_of_all_tuples_summed_over_chunks(live, dead, min_count, expected_percent, finding):
    rows = [{"live_tuples": live // 2, "dead_tuples": dead // 2},
            {"live_tuples": live - live // 2, "dead_tuples": dead - dead // 2}]
    summed = bloat.dead_tuples("public.market_data", rows)
    assert (summed.live, summed.dead, summed.relations, summed.percent) == (live, dead, 2, expected_percent)
    assert bool(bloat.dead_tuple_findings(summed, 20, min_count)) is finding


def _heap(heap_bytes: int, rows: int, width: int | None) -> dict:
    return {"heap_bytes": heap_bytes, "planner_rows": rows, "row_width_bytes": width, "block_size": 8192}


@pytest.mark.parametrize(("chunks", "percent", "not_estimated"), [
    ([_heap(8192 * 100, 100 * 8168 // 92, 64)], 0.0, 0),           # exactly full pages: no bloat
    ([_heap(8192 * 200, 100 * 8168 // 92, 64)], 50.0, 0),          # twice the pages the rows need
    ([_heap(8192 * 200, 100 * 8168 // 92, 64), _heap(8192 * 50, 0, None)], 50.0, 1),  # unanalyzed chunk left out
    ([_heap(0, 0, 64)], 0.0, 0),                                    # compressed chunk: empty heap
])
def test_table_bloat_estimate_from_rows_and_width(chunks, percent, not_estimated):
    estimate = bloat.table_bloat("public.market_data", chunks)
    assert estimate.percent == pytest.approx(percent, abs=1) and estimate.not_estimated == not_estimated


def _index(parent: str, index_bytes: int, rows: int, width: int | None, am: str = "btree", expressions: bool = False) -> dict:
    return {"parent_index": parent, "index_bytes": index_bytes, "planner_rows": rows, "key_width_bytes": width,
            "access_method": am, "has_expressions": expressions, "block_size": 8192}


def test_index_bloat_is_summed_per_parent_index_and_skips_what_cannot_be_estimated():
    needed = bloat.expected_btree_bytes(10_000, 20, 8192)
    rows = [_index("s.ux", needed, 10_000, 20), _index("s.ux", needed * 3, 10_000, 20),
            _index("s.expr", needed, 10_000, None, expressions=True), _index("s.brin", 8192, 10_000, 8, am="brin")]
    by_name = {e.name: e for e in bloat.index_bloat(rows)}
    assert set(by_name) == {"s.ux", "s.expr"}
    assert by_name["s.ux"].percent == pytest.approx(50, abs=1) and by_name["s.ux"].relations == 2
    assert by_name["s.expr"].not_estimated == 1 and by_name["s.expr"].actual_bytes == 0
    found = bloat.bloat_findings(list(by_name.values()), 40, 0)
    assert [f.key for f in found] == ["health.bloat.index.s.ux"]
    assert bloat.bloat_findings(list(by_name.values()), 40, needed * 5) == []   # below the size floor


def _usage_row(parent: str, scans: int, size: int, unique: bool = False) -> dict:
    return {"parent_index": parent, "is_unique": unique, "is_primary": False, "scans": scans, "tuples_read": scans * 10,
            "index_bytes": size}


@pytest.mark.parametrize(("rows", "unused"), [
    ([_usage_row("s.ix", 0, 100), _usage_row("s.ix", 0, 100)], ["health.indexes.unused.s.ix"]),
    ([_usage_row("s.ix", 0, 100), _usage_row("s.ix", 3, 100)], []),           # scanned on another chunk
    ([_usage_row("s.ux", 0, 100, unique=True)], []),                           # enforces a key
    ([_usage_row("s.ix", 0, 10)], []),                                         # too small to matter
])
def test_unused_indexes_are_judged_on_the_sum_over_chunks(rows, unused):
    usage = indexes.index_usage(rows)
    assert [f.key for f in indexes.unused_index_findings(usage, 0, 150)] == unused
    assert sum(u.chunk_indexes for u in usage) == len(rows)


@pytest.mark.parametrize(("schema", "loaded", "needs"), [
    ("public", True, None),
    (None, True, ["CREATE EXTENSION"]),
    ("public", False, ["shared_preload_libraries"]),
    (None, False, ["shared_preload_libraries", "CREATE EXTENSION"]),
])
def test_pg_stat_statements_note_says_what_is_missing(schema, loaded, needs):
    note = queries.pg_stat_statements_note(schema, loaded, "mt5_trading")
    assert (note is None) is (needs is None)
    for step in needs or []:
        assert step in note


def test_slow_query_finding_names_the_slowest_statement_with_literals_masked():
    rows = [{"queryid": 1, "calls": 10, "mean_ms": 1500.0, "query_preview": "SELECT * FROM market_data WHERE symbol = $1"},
            {"queryid": 2, "calls": 3, "mean_ms": 4000.0, "query_preview": "ALTER ROLE trader PASSWORD 'hunter2'"},
            {"queryid": 3, "calls": 99, "mean_ms": 10.0, "query_preview": "SELECT 1"}]
    (finding,) = queries.slow_query_findings(rows, 1000)
    assert finding.facts == {"statements": 2, "slowest_mean_ms": 4000.0, "slowest_queryid": 2}
    assert "hunter2" not in finding.message
    assert queries.slow_query_findings(rows[2:], 1000) == []


@pytest.mark.parametrize(("statement", "masked"), [
    ("SELECT 1", "SELECT 1"),
    ("ALTER ROLE x PASSWORD 'it''s secret'", "ALTER ROLE x PASSWORD '?'"),
    ("SELECT E'a\\nb', $tag$body$tag$\n  FROM t", "SELECT '?', '?' FROM t"),
    (None, ""),
])
def test_mask_literals_hides_string_constants(statement, masked):
    assert mask_literals(statement) == masked


def test_overdue_compression_finding_counts_chunks_bytes_and_names_the_age_source():
    chunks = [{"chunk": "_timescaledb_internal._hyper_1_1_chunk", "total_bytes": 100},
              {"chunk": "_timescaledb_internal._hyper_1_2_chunk", "total_bytes": None}]
    (finding,) = compression.overdue_findings("public.market_data", chunks, 7, 1005)
    assert finding.facts["chunks"] == 2 and finding.facts["bytes"] == 100 and "job 1005" in finding.message
    assert compression.overdue_findings("public.market_data", [], 7, None) == []


def _inspected(name: str, *, status: str = "running", restarting: bool = False, health: str | None = None,
               restarts: int = 0) -> dict:
    state = {"Status": status, "Restarting": restarting}
    if health:
        state["Health"] = {"Status": health, "Log": [{"Output": "pg_isready: no response\n"}]}
    return {"Name": f"/{name}", "Config": {"Image": "timescale/timescaledb"}, "State": state, "RestartCount": restarts}


@pytest.mark.parametrize(("inspected", "key"), [
    (_inspected("mt5_db", health="healthy"), None),
    (_inspected("mt5_db"), None),                                                   # no HEALTHCHECK
    (_inspected("mt5_db", health="starting"), None),
    (_inspected("mt5_db", health="unhealthy"), "health.containers.unhealthy.mt5_db"),
    (_inspected("mt5_api", restarting=True, restarts=7), "health.containers.restarting.mt5_api"),
    (_inspected("mt5_api", status="restarting", health="unhealthy"), "health.containers.restarting.mt5_api"),
])
def test_container_findings_for_unhealthy_or_restarting(inspected, key):
    found = containers.container_findings([containers.container_state(inspected)])
    assert [f.key for f in found] == ([key] if key else [])
    assert all(f.severity == "critical" for f in found)


@pytest.mark.parametrize(("selector", "filters", "prefix"), [
    ("label:com.docker.compose.project=mt5-trading-db", {"label": "com.docker.compose.project=mt5-trading-db"}, None),
    ("name:mt5_", {"name": "mt5_"}, "mt5_"),
])
def test_container_selector_becomes_docker_filters(selector, filters, prefix):
    assert containers.selector_filters(selector) == (filters, prefix)


@pytest.mark.parametrize("bad", ["mt5_", "label:", "name:", "name:a b", "label:x=1 y"])
def test_container_selector_setting_is_validated(bad):
    with pytest.raises(ConfigError, match="health_containers"):
        OpsConfig.from_mapping({"health_containers": bad})


def test_report_lists_critical_first_names_checks_that_did_not_run_and_escapes_cells():
    results = [
        CheckResult("locks", "Blocked and blocking sessions", [Finding("health.locks.blocked", "warning", "1 | blocked")],
                    ["a note"], ["pid", "statement"], [[12, "SELECT a | b"]]),
        CheckResult("containers", "Containers of the stack", [Finding("health.containers.unhealthy.db", "critical", "db sick")]),
        CheckResult("queries", "Slow queries"),
    ]
    results = [CheckResult.from_dict(r.as_dict()) for r in results]   # as they come back from XCom
    markdown = render_health_report(results, ["check_index_usage"], title="public.market_data",
                                    taken_at=datetime(2026, 3, 1, 6, 30, tzinfo=UTC))
    assert "Verdict: **CRITICAL (incomplete)**: 1 critical, 1 warning, 3 of 4 checks ran" in markdown
    assert markdown.index("health.containers.unhealthy.db") < markdown.index("health.locks.blocked")
    assert "- check_index_usage" in markdown and "| 12 | SELECT a \\| b |" in markdown and "1 \\| blocked" in markdown
    assert "## Slow queries\n\nNothing to report." in markdown
    assert render_health_report([CheckResult("x", "X")], [], title="t", taken_at=datetime(2026, 3, 1, tzinfo=UTC)).count(
        "**OK**") == 1
    assert health_report_path("/r", datetime(2026, 3, 1, 6, 30, tzinfo=UTC)).as_posix() == "/r/health/health_20260301T063000.md"
