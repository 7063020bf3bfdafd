"""The recovery decisions: restore plans and their refusals, set selection, names, export fit, container scripts."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tsdb_ops.backup.catalog import DatabaseState
from tsdb_ops.backup.commands import models_restore_script, pg_dump_script, pg_restore_script
from tsdb_ops.backup.exports import ExportManifest
from tsdb_ops.backup.layout import parse_backup_file
from tsdb_ops.backup.manifest import Artefact, Manifest, write_manifest
from tsdb_ops.backup.restore import (
    TargetFacts,
    missing_confirmations,
    plan_restore,
    safety_dump_path,
    select_backup_set,
)
from tsdb_ops.backup.selective_recovery import choose_symbol_and_range, column_differences, recovery_table_name
from tsdb_ops.params import ParamError

BACKUP = {"set_id": "20260302", "dump_path": "db/mt5_trading_20260302.backup", "dump_bytes": 1000, "database": "mt5_trading",
          "server_version": "15.20", "timescaledb_version": "2.28.3", "models_path": "models/models_20260302.tar.gz",
          "hypertables": [{"name": "public.market_data", "rows": 10, "min_time": None, "max_time": None}],
          "jobs": [{"job_id": 1000, "proc": "_timescaledb_functions.policy_compression", "hypertable": "public.market_data",
                    "scheduled": True, "next_start": "2026-03-03T02:00:00+00:00"},
                   {"job_id": 1001, "proc": "_timescaledb_functions.policy_retention", "hypertable": "public.market_data",
                    "scheduled": False, "next_start": None}]}
LIVE = TargetFacts("mt5_trading", DatabaseState(exists=True, can_create=True, other_sessions=2), "2.28.3")
NEW = TargetFacts("mt5_restored", DatabaseState(exists=False, can_create=True, other_sessions=0), None)


def plan(backup=BACKUP, target=LIVE, **options):
    settings = {"backup_root": "/backups/mt5", "safety_dump": "db/safety_mt5_trading_20260302T130000.backup",
                "scratch_database": "tsdb_ops_restore_check", "restore_models": False, "clear_models_volume": False,
                "models_volume": "models_mt5", **options}
    return plan_restore(backup, target, **settings)


def test_restore_over_a_live_timescaledb_database_saves_it_first_and_runs_the_restore_procedure():
    result = plan()
    steps = "\n".join(result.steps)
    assert result.refusals == [] and result.confirmations == ["confirm_database=mt5_trading"]
    order = ["safety dump of mt5_trading", "timescaledb_pre_restore()", "pg_restore --clean --if-exists",
             "unschedule every job the dump restored", "timescaledb_post_restore()", "Compare the row counts",
             "Put the 2 recorded jobs back as at backup time: scheduled [1000], paused [1001]"]
    assert [steps.index(s) for s in order] == sorted(steps.index(s) for s in order)
    assert "2 other sessions are connected" in steps and "single transaction" not in steps


def test_restore_into_a_new_database_creates_it_with_the_dumps_timescaledb_version_and_needs_no_confirmation():
    result = plan(target=NEW)
    steps = "\n".join(result.steps)
    assert result.refusals == [] and result.confirmations == []
    assert "CREATE DATABASE mt5_restored" in steps and "CREATE EXTENSION timescaledb VERSION '2.28.3'" in steps
    assert "safety dump" not in steps.replace("no safety dump", "")


def test_plain_postgresql_set_is_restored_in_one_transaction_without_timescaledb_steps():
    steps = "\n".join(plan(backup={**BACKUP, "timescaledb_version": None, "jobs": []}).steps)
    assert "single transaction" in steps and "timescaledb_" not in steps and "jobs" not in steps.lower()


def test_a_format_1_set_is_planned_with_the_dumps_scheduled_flags_and_starts_one_interval_later():
    steps = "\n".join(plan(backup={**BACKUP, "jobs": None}).steps)
    assert "the manifest (format 1, written before job records) records none" in steps
    assert "first start one schedule interval after the restore" in steps


@pytest.mark.parametrize(("target", "options", "refusal"), [
    (replace(LIVE, timescaledb_version="2.27.0"), {}, "needs the same extension version"),
    (replace(LIVE, timescaledb_version=None), {}, "no TimescaleDB"),
    (replace(NEW, state=DatabaseState(False, False, 0)), {}, "may not create databases"),
    (replace(NEW, name="tsdb_ops_restore_check"), {}, "restore_scratch_database"),
    (NEW, {"clear_models_volume": True}, "needs restore_models=true"),
])
def test_restore_plan_refuses_what_cannot_work(target, options, refusal):
    assert any(refusal in r for r in plan(target=target, **options).refusals)


def test_clearing_the_models_volume_needs_its_name_repeated():
    result = plan(target=NEW, restore_models=True, clear_models_volume=True)
    assert "Clear Docker volume models_mt5: delete every file in it" in result.steps
    assert missing_confirmations(result, "", "") == ["confirm_models_volume=models_mt5"]
    assert missing_confirmations(result, "", "models_mt5") == []
    assert missing_confirmations(plan(restore_models=True), "", "") == ["confirm_database=mt5_trading"]
    assert missing_confirmations(plan(), "MT5_TRADING", "") == ["confirm_database=mt5_trading"]


def _write_set(root, set_id: str, payload: bytes) -> None:
    dump = root / "db" / f"mt5_{set_id}.backup"
    dump.parent.mkdir(parents=True, exist_ok=True)
    dump.write_bytes(payload)
    artefact = Artefact("database", f"db/mt5_{set_id}.backup", len(payload), hashlib.sha256(payload).hexdigest(), 1.0, "ok")
    write_manifest(root, Manifest(set_id, "run", "t", "t", "t", "mt5", "15.20", None, [artefact]))


def test_backup_set_selection_takes_the_newest_or_the_named_set_and_refuses_damaged_ones(tmp_path):
    _write_set(tmp_path, "20260301", b"older dump")
    _write_set(tmp_path, "20260302", b"newer dump")
    assert select_backup_set(str(tmp_path), None, False)["set_id"] == "20260302"
    assert select_backup_set(str(tmp_path), "20260301", False)["dump_path"] == "db/mt5_20260301.backup"
    with pytest.raises(ParamError, match=r"no manifest .* the verified sets are \['20260301', '20260302'\]"):
        select_backup_set(str(tmp_path), "20260228", False)
    with pytest.raises(ParamError, match="has no models artefact"):
        select_backup_set(str(tmp_path), "20260302", True)
    (tmp_path / "db" / "mt5_20260302.backup").write_bytes(b"newer dumq")
    with pytest.raises(ParamError, match="differs from its manifest"):
        select_backup_set(str(tmp_path), None, False)


def test_safety_dump_is_named_by_run_time_and_never_taken_for_a_backup_set_by_retention():
    path = safety_dump_path("mt5_trading", datetime(2026, 3, 2, 13, 5, tzinfo=UTC), "UTC")
    assert path == "db/safety_mt5_trading_20260302T130500.backup"
    assert parse_backup_file(path) is None


def test_recovery_table_name_is_unique_per_run_and_a_valid_identifier():
    name = recovery_table_name("market_data", datetime(2026, 3, 2, 13, 5, 7, tzinfo=UTC), "UTC")
    assert name == "market_data_recovery_20260302130507"
    assert len(recovery_table_name("x" * 63, datetime(2026, 3, 2, tzinfo=UTC), "UTC")) <= 63


COLUMNS = [["timestamp", "timestamp with time zone"], ["symbol", "text"], ["close", "double precision"]]


@pytest.mark.parametrize(("table", "problem"), [
    ([tuple(c) for c in COLUMNS], None),
    ([("timestamp", "timestamp with time zone"), ("symbol", "text")], "column close double precision of the export is missing"),
    ([*map(tuple, COLUMNS), ("spread", "integer")], "column spread integer of the table is not in the export"),
    ([("symbol", "text"), ("timestamp", "timestamp with time zone"), ("close", "double precision")], "different order"),
    ([("timestamp", "timestamp with time zone"), ("symbol", "text"), ("close", "numeric")], "close double precision"),
])
def test_an_export_loads_only_into_a_table_with_the_same_columns(table, problem):
    found = column_differences(COLUMNS, table)
    assert (found == []) if problem is None else any(problem in p for p in found)


def export(symbol: str | None = "EURUSD", time_range: dict | None = None) -> ExportManifest:
    time_range = time_range or {"start": "2026-02-01T00:00:00+00:00", "end": "2026-03-01T00:00:00+00:00"}
    return ExportManifest("mt5", "public.market_data", COLUMNS, "timestamp", time_range, "symbol", symbol, 10,
                          "selective/x.csv.gz", 1, "0" * 64, "t", 0.1)


def test_symbol_and_range_default_to_the_exports():
    symbol, chosen = choose_symbol_and_range(export(), None, "", "", "UTC")
    assert symbol == "EURUSD" and chosen.as_dict() == export().range
    symbol, chosen = choose_symbol_and_range(export(symbol=None), "XAUUSD", "2026-02-10", "2026-02-11", "UTC")
    assert symbol == "XAUUSD" and chosen.start == datetime(2026, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(("manifest", "symbol", "start", "end", "message"), [
    (export(symbol=None), None, "", "", "give the symbol to recover"),
    (export(), "XAUUSD", "", "", "the export holds only 'EURUSD'"),
    (export(), None, "2026-01-31", "2026-02-10", "reach outside the export's range"),
    (export(), None, "2026-02-10", "2026-03-01T00:00:01Z", "reach outside the export's range"),
    (export(), None, "2026-02-10", "2026-02-09", "give an empty range"),
])
def test_recovery_refuses_a_symbol_or_range_the_export_does_not_hold(manifest, symbol, start, end, message):
    with pytest.raises(ParamError, match=message):
        choose_symbol_and_range(manifest, symbol, start, end, "UTC")


def test_restore_script_cleans_an_existing_database_and_never_runs_in_parallel():
    script = pg_restore_script("mt5_20260302.backup", clean=True, single_transaction=True)[2]
    assert "pg_restore --exit-on-error --clean --if-exists --single-transaction --no-password" in script
    assert "--jobs" not in script and "-j" not in script.split()


def test_models_restore_clears_only_when_asked_then_untars_like_the_guide():
    plain, clearing = models_restore_script("models_20260302.tar.gz", clear=False)[2], \
        models_restore_script("models_20260302.tar.gz", clear=True)[2]
    assert "rm -rf" not in plain and "rm -rf /models/* /models/.[!.]* /models/..?*" in clearing
    assert "tar -xzf /backup/models_20260302.tar.gz -C /models" in plain
    assert clearing.index("rm -rf") < clearing.index("tar -xzf")


def test_table_dump_names_each_table_exactly_and_insists_each_exists():
    script = pg_dump_script(".tables.backup.partial", "3", None, [("public", "market_data"), ("public", "ml_predictions")])[2]
    assert "--strict-names" in script
    assert """'--table="public"."market_data"' '--table="public"."ml_predictions"'""" in script
