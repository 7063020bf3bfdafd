"""Point-in-time recovery's pure decisions: Barman's configuration and scripts, reading its JSON, the monitor's
findings, the setup's judgement, the restore's params and the verification's comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.config import OpsConfig
from tsdb_ops.params import ParamError
from tsdb_ops.pitr import barman, recovery, setup, status
from tsdb_ops.pitr.barman import JsonResult

CONFIG = OpsConfig()
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_configuration_streams_through_the_manual_slot_with_the_recovery_window_and_no_password():
    server = barman.BarmanServer.from_config(OpsConfig.from_mapping({"db_host_in_docker": "db o'k"}), "mt5")
    conf = barman.render_conf(server)
    for line in ("backup_method = postgres", "streaming_archiver = on", "slot_name = tsdb_ops_barman",
                 "create_slot = manual", "retention_policy = RECOVERY WINDOW OF 7 DAYS", "[tsdb]"):
        assert line in conf.splitlines(), line
    assert "conninfo = host='db o\\'k' port='5432' user='tsdb_barman' dbname='mt5' application_name='barman'" in conf
    assert "password" not in conf.lower()
    assert server.environment()["BARMAN_ROLE"] == "tsdb_barman" and "PGPASSWORD" not in server.environment()


def test_the_base_backup_rate_limit_is_barmans_bandwidth_limit_only_when_set():
    assert "bandwidth_limit" not in barman.render_conf(barman.BarmanServer.from_config(CONFIG, "mt5"))
    limited = OpsConfig.from_mapping({"pitr_base_backup_max_rate_kbps": 2048})
    assert "bandwidth_limit = 2048" in barman.render_conf(barman.BarmanServer.from_config(limited, "mt5")).splitlines()
    for bad in (16, -1, 2_000_000, "fast", True):
        with pytest.raises(ValueError, match="pitr_base_backup_max_rate_kbps"):
            OpsConfig.from_mapping({"pitr_base_backup_max_rate_kbps": bad})


def test_script_writes_the_pgpass_from_the_private_password_and_labels_json_steps():
    _, _, script = barman.barman_script([barman.BarmanStep(("check", "tsdb"), "check"),
                                         barman.BarmanStep(("backup", "tsdb"))], before=["echo before"])
    assert "umask 077" in script and '"$PGPASSWORD"' in script and "unset PGPASSWORD" in script
    assert script.index("echo before") < script.index("barman -c")
    assert "barman -c /var/lib/barman/barman.conf -f json check tsdb || rc=$?" in script
    assert script.rstrip().endswith("barman -c /var/lib/barman/barman.conf backup tsdb")  # unlabelled: failure ends it
    with pytest.raises(ValueError):
        barman.BarmanStep(("check",), "Check-1")


def test_json_steps_are_read_from_interleaved_output():
    lines = ["Starting...", 'barman-json check {"tsdb": {"postgresql": {"hint": "", "status": "OK"}}}',
             "barman-exit check 0", "barman-json list_backups ", "barman-exit list_backups 1", "noise"]
    results = barman.parse_json_steps(lines)
    assert results["check"] == barman.JsonResult({"tsdb": {"postgresql": {"hint": "", "status": "OK"}}}, 0)
    assert results["list_backups"] == barman.JsonResult(None, 1)


def test_failed_checks_become_critical_findings_except_what_the_first_backup_fixes():
    output = {"tsdb": {"postgresql": {"hint": "", "status": "OK"},
                       "minimum_redundancy_requirements": {"hint": "have 0", "status": "FAILED"},
                       "wal_archive": {"hint": "please make sure WAL shipping is setup", "status": "FAILED"}}}
    failed = status.failed_checks(output, "tsdb")
    assert failed == {"minimum_redundancy_requirements": "have 0", "wal_archive": "please make sure WAL shipping is setup"}
    [finding] = status.check_findings(failed)
    assert (finding.key, finding.severity) == ("pitr.barman_check.wal_archive", "critical")
    assert finding.message == "Barman check wal_archive FAILED: please make sure WAL shipping is setup"
    assert list(status.failed_checks({}, "tsdb")) == ["barman"]  # no output for the server is a failure too


def _backups(*rows):
    return status.base_backups({"tsdb": [
        {"backup_id": backup_id, "status": state, "end_time_timestamp": str(end.timestamp()), "size_bytes": 1}
        for backup_id, state, end in rows]}, "tsdb")


@pytest.mark.parametrize(("rows", "expected"), [
    ([], "No completed Barman base backup of server tsdb"),
    ([("20260220T013000", "DONE", NOW - timedelta(days=9))], "Newest Barman base backup 20260220T013000 is 9.0 days old"),
    ([("20260220T013000", "DONE", NOW - timedelta(days=9)), ("20260301T013000", "FAILED", NOW - timedelta(days=1))],
     "Newest Barman base backup 20260220T013000 is 9.0 days old"),
    ([("20260301T013000", "DONE", NOW - timedelta(days=1))], None),
])
def test_newest_completed_base_backup_must_be_younger_than_the_limit(rows, expected):
    findings = status.base_backup_findings(_backups(*rows), NOW, CONFIG)
    assert [f.message.split(" (limit")[0].split(":")[0] for f in findings] == ([expected] if expected else [])


@pytest.mark.parametrize("result", [
    JsonResult(None, 1),  # a full catalogue: Barman printed nothing
    JsonResult({"tsdb": []}, 1),
    JsonResult({}, 0),  # no output for the server
    JsonResult({"other": []}, 0),
])
def test_a_failed_listing_is_unknown_age_not_no_backup(result):
    [finding] = status.base_backup_findings(status.listed_base_backups(result, "tsdb"), NOW, CONFIG)
    assert (finding.key, finding.severity) == ("pitr.base_backup_age", "warning")
    assert finding.message.startswith("Barman could not list the base backups of server tsdb: their age is unknown")


def test_a_successful_empty_listing_is_no_backup():
    [finding] = status.base_backup_findings(status.listed_base_backups(JsonResult({"tsdb": []}, 0), "tsdb"), NOW, CONFIG)
    assert finding.severity == "critical" and finding.message.startswith("No completed Barman base backup")


STREAMING = {"slot_name": "tsdb_ops_barman", "active": True, "state": "streaming", "write_lag_seconds": 0.2,
             "wal_status": "reserved"}


@pytest.mark.parametrize(("sample", "problem"), [
    (STREAMING, None),
    ({**STREAMING, "write_lag_seconds": None}, None),  # idle: no lag measured
    (None, "the replication slot does not exist"),
    ({**STREAMING, "slot_name": None}, "the replication slot does not exist"),
    ({**STREAMING, "active": False, "state": None}, "no WAL receiver is streaming from the replication slot"),
    ({**STREAMING, "wal_status": "lost"}, "the replication slot lost WAL the receiver had not streamed yet (wal_status lost)"),
    ({**STREAMING, "write_lag_seconds": 75.0}, "the receiver's write lag is 75 s"),
])
def test_stream_problem(sample, problem):
    assert status.stream_problem(sample, 60) == problem


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_receiver_back_within_the_lag_limit_is_no_alert_one_down_for_all_of_it_is_critical():
    clock = FakeClock()
    down = {**STREAMING, "active": False, "state": None}
    samples = iter([down, down, STREAMING])
    findings, last = status.watch_wal_stream(lambda: next(samples), CONFIG, clock=clock, sleep=clock.sleep)
    assert findings == [] and last == STREAMING and clock.now == 10
    clock = FakeClock()
    findings, _ = status.watch_wal_stream(lambda: down, CONFIG, clock=clock, sleep=clock.sleep)
    [finding] = findings
    assert clock.now == 60 and (finding.key, finding.severity) == ("pitr.wal_stream", "critical")
    assert finding.message.startswith("WAL stream to Barman broken for at least 60 s: no WAL receiver is streaming")
    clock = FakeClock()
    findings, _ = status.watch_wal_stream(lambda: None, CONFIG, clock=clock, sleep=clock.sleep)
    assert findings[0].key == "pitr.replication_slot" and "db_pitr_setup" in findings[0].message


def test_slot_retention_is_critical_over_the_share_of_free_disk():
    assert status.slot_retention_findings(4_000_000_000, 10_000_000_000, CONFIG) == []
    [finding] = status.slot_retention_findings(6_000_000_000, 10_000_000_000, CONFIG)
    assert finding.key == "pitr.slot_retained_wal" and "60% of the 10.00 GB free" in finding.message
    assert status.slot_retention_findings(6_000_000_000, None, CONFIG) == []
    df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 40 60 40% /var/lib/postgresql/data\n"
    assert status.parse_df(df) == status.DiskSpace(40 * 1024, 60 * 1024) and status.parse_df("") is None


def test_a_full_catalogue_is_critical():
    lines = ["noise", "catalogue-df tmpfs 1048576 1048000 576 100% /var/lib/barman", "barman-exit check 0"]
    space = status.catalogue_space(lines)
    assert space == status.DiskSpace(1048000 * 1024, 576 * 1024)
    [finding] = status.catalogue_findings(space, CONFIG)
    assert finding.key == "pitr.catalogue_disk" and finding.message.startswith(
        "Barman's catalogue tsdb_ops_barman is 100% full (0.00 GB free, limit 85%)")
    assert status.catalogue_findings(status.DiskSpace(50, 50), CONFIG) == []
    assert status.catalogue_space(["barman-exit check 0"]) is None


SETTINGS = {"wal_level": "replica", "max_wal_senders": 10, "wal_senders_used": 0, "max_replication_slots": 10,
            "slots_used": 0, "slot_exists": False, "role_exists": False}


@pytest.mark.parametrize(("changes", "problem"), [
    ({}, None),
    ({"wal_level": "minimal"}, "wal_level is minimal: set wal_level = replica"),
    ({"max_wal_senders": 2, "wal_senders_used": 1}, "max_wal_senders = 2 with 1 in use: Barman needs 2 free"),
    ({"max_replication_slots": 2, "slots_used": 2}, "max_replication_slots = 2, all in use"),
    ({"max_replication_slots": 2, "slots_used": 2, "slot_exists": True}, None),  # ours is one of them
])
def test_setup_refuses_settings_that_need_a_restart(changes, problem):
    problems = setup.server_problems({**SETTINGS, **changes}, CONFIG)
    assert [p[:len(problem)] for p in problems] == ([problem] if problem else [])


def test_setup_names_its_actions_the_pg_hba_lines_and_the_checks_that_still_matter():
    actions = setup.setup_actions(SETTINGS, CONFIG)
    assert actions[0].startswith("create role tsdb_barman")
    assert actions[1] == "create the physical replication slot tsdb_ops_barman"
    assert setup.pg_hba_lines(CONFIG, "mt5", "172.18.0.0/16") == [
        "host replication tsdb_barman 172.18.0.0/16 scram-sha-256", "host mt5 tsdb_barman 172.18.0.0/16 scram-sha-256"]
    assert setup.pg_hba_lines(CONFIG, "mt5", None)[0].endswith("samenet scram-sha-256")
    failed = {"receive_wal_running": "", "wal_archive": "x", "postgresql_streaming": "no pg_hba.conf entry"}
    assert setup.failures_after_setup(failed) == {"postgresql_streaming": "no pg_hba.conf entry"}


def _params(**changes):
    return {"target_time": "2026-03-02T11:00:00+00:00", "new_container": "mt5_db_restored", "dry_run": True, **changes}


def test_restore_params_dry_run_by_default_and_a_real_run_needs_both_confirmations():
    request = recovery.check_restore_params(_params(), CONFIG, NOW)
    assert request.dry_run and request.as_dict()["volume"] == "mt5_db_restored_pgdata"
    assert request.target_time == datetime(2026, 3, 2, 11, tzinfo=UTC)
    with pytest.raises(ParamError, match="confirm_again"):
        recovery.check_restore_params(_params(dry_run=False, confirm="mt5_db_restored"), CONFIG, NOW)
    confirmed = _params(dry_run=False, confirm="mt5_db_restored", confirm_again="mt5_db_restored")
    assert not recovery.check_restore_params(confirmed, CONFIG, NOW).dry_run


@pytest.mark.parametrize(("changes", "match"), [
    ({"target_time": "2026-03-02T13:00:00+00:00"}, "not in the past"),
    ({"target_time": "yesterday"}, "not a time"),
    ({"new_container": None}, "exactly one of"),
    ({"target_directory": "/srv/pitr/x"}, "exactly one of"),
    ({"new_container": "mt5_db"}, "not the running database"),
    ({"new_container": None, "target_directory": "/srv/../etc"}, "absolute host path"),
    ({"new_container": None, "target_directory": "/srv"}, "absolute host path"),
])
def test_restore_params_refused_with_a_sentence_naming_the_fix(changes, match):
    with pytest.raises(ParamError, match=match):
        recovery.check_restore_params(_params(**changes), CONFIG, NOW)


def test_recovered_copy_takes_over_the_production_settings_without_jobs_or_archiving():
    command = recovery.copy_command({"shared_preload_libraries": "timescaledb,pg_stat_statements",
                                     "max_connections": "200", "max_prepared_transactions": ""}, run_jobs=False)
    assert command[0] == "postgres" and "shared_preload_libraries=timescaledb,pg_stat_statements" in command
    assert "max_connections=200" in command and not [c for c in command if c.startswith("max_prepared")]
    assert {"hot_standby=off", "archive_mode=off", "timescaledb.max_background_workers=0"} <= set(command)
    assert "timescaledb.max_background_workers=0" not in recovery.copy_command({}, run_jobs=True)


def test_recover_refuses_a_non_empty_target_and_takes_the_partial_segment():
    steps = recovery.recover_steps("tsdb", NOW)
    assert steps[0].label == "switch_wal"  # tolerated: the database may be down
    assert steps[1].args == ("recover", "--target-time", "2026-03-02T12:00:00+00:00", "--target-action", "promote",
                             "--partial-wal", "tsdb", "latest", "/var/lib/postgresql/data")
    assert "refusing to overwrite" in recovery.PREPARE_TARGET[0]


def test_switch_over_never_touches_the_running_database_before_its_writers_stop():
    request = recovery.check_restore_params(_params(), CONFIG, NOW)
    steps = recovery.switch_over_steps(request, CONFIG)
    assert steps[0].startswith("Inspect the copy: docker exec -it mt5_db_restored")
    assert steps[1].startswith("Stop the stack's writers") and "docker stop mt5_db" in steps[2]
    assert "db_base_backup" in steps[-1]


BEFORE = {"id": 7, "rows": 100, "chunks": 4, "compressed_chunks": 2, "jobs": 1}
AFTER = {"id": 8, "rows": 103, "chunks": 4, "compressed_chunks": 2, "jobs": 1}


@pytest.mark.parametrize(("facts", "problems"), [
    ({"marker_before": True, "marker_after": False, "rows": 101, "chunks": 4, "compressed_chunks": 2, "jobs": 1}, []),
    ({"marker_before": False, "marker_after": True, "rows": 101, "chunks": 4, "compressed_chunks": 2, "jobs": 1},
     ["marker 7 written before the target time is missing", "marker 8 written after the target time is present"]),
    ({"marker_before": True, "marker_after": False, "rows": 99, "chunks": 4, "compressed_chunks": 1, "jobs": 1},
     ["rows: 99 in the copy, expected between 100 and 103", "compressed_chunks: 1 in the copy, expected between 2 and 2"]),
])
def test_verification_judges_the_copy_between_its_markers(facts, problems):
    assert recovery.check_copy(facts, BEFORE, AFTER) == problems
