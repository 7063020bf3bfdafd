"""The recovery DAGs' param checks: clean values through, typos and injection attempts out with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsdb_ops.params import (
    ParamError,
    TimeRange,
    check_database_name,
    check_export_path,
    check_set_id,
    check_table_names,
    optional_symbol,
    parse_time_range,
)

INJECTION = "x'; DROP TABLE market_data;--"


@pytest.mark.parametrize(("value", "expected"), [("", None), (None, None), ("20260302", "20260302"), (" 20260302 ", "20260302")])
def test_set_id_is_a_date_or_empty_for_the_newest(value, expected):
    assert check_set_id(value) == expected


@pytest.mark.parametrize("value", [INJECTION, "2026-03-02", "202603021", 20260302, "../20260302"])
def test_set_id_rejects_anything_but_yyyymmdd(value):
    with pytest.raises(ParamError, match="is not a backup set id"):
        check_set_id(value)


@pytest.mark.parametrize("value", ["mt5_trading", "mt5_trading_restored", "_x1"])
def test_database_name_accepts_identifiers(value):
    assert check_database_name(value, "target_database") == value


@pytest.mark.parametrize(("value", "message"), [
    ("postgres; drop", "is not a database name"), (INJECTION, "is not a database name"), ("", "is not a database name"),
    ("a" * 64, "is not a database name"), ('"mt5"', "is not a database name"), (None, "is not a database name"),
    ("template1", "template database"), ("template0", "template database"),
])
def test_database_name_rejects_non_identifiers_and_templates(value, message):
    with pytest.raises(ParamError, match=message):
        check_database_name(value, "target_database")


def test_table_names_are_identifiers_listed_once():
    assert check_table_names(["market_data", "public.ml_predictions"], "tables") == ["market_data", "public.ml_predictions"]
    for bad, message in ([[], "non-empty list"], ["market_data", "must be a non-empty list"],
                         [["market_data; drop"], "is not a table name"], [["a.b.c"], "is not a table name"],
                         [["market_data", "market_data"], "twice"]):
        with pytest.raises(ParamError, match=message):
            check_table_names(bad, "tables")


def test_symbol_is_optional_but_never_sql():
    assert optional_symbol("") is None and optional_symbol("EURUSD.m") == "EURUSD.m"
    with pytest.raises(ParamError, match="is not a symbol name"):
        optional_symbol(INJECTION)


END = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("", "", TimeRange(END - timedelta(days=30), END)),
    ("2026-03-01", "", TimeRange(datetime(2026, 3, 1, tzinfo=UTC), END)),
    ("2026-03-01T06:00:00+02:00", "2026-03-02", TimeRange(datetime(2026, 3, 1, 4, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))),
    ("2026-02-01 00:00", "2026-02-02T00:00:00Z", TimeRange(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))),
])
def test_time_range_defaults_to_the_guides_last_30_days_and_reads_iso_8601(start, end, expected):
    assert parse_time_range(start, end, "UTC", default_end=END, default_days=30) == expected


def test_time_without_offset_is_taken_in_the_configured_time_zone():
    got = parse_time_range("2026-03-01", "2026-03-02", "Europe/Berlin")
    assert got.start.utcoffset() == timedelta(hours=1)
    assert got.start.astimezone(UTC) == datetime(2026, 2, 28, 23, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-03-02", "2026-03-01", "give an empty range"), ("2026-03-01", "2026-03-01", "give an empty range"),
    ("now() - interval '1 day'", "2026-03-01", "is not a time"), ("2026-03-01", INJECTION, "is not a time"),
    ("2026-13-01", "2026-03-02", "is not a time"), ("2026-03-01", "", "give both start and end"),
    ("", "2026-03-01", "give both start and end"), (20260301, "2026-03-02", "is not a time"),
])
def test_time_range_rejects_bad_or_empty_ranges(start, end, message):
    with pytest.raises(ParamError, match=message):
        parse_time_range(start, end, "UTC")


def test_time_range_without_defaults_may_be_absent():
    assert parse_time_range("", "", "UTC") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("", None), ("selective/public.market_data_20260302T120000.json", "selective/public.market_data_20260302T120000.json"),
])
def test_export_path_is_a_manifest_under_selective(value, expected):
    assert check_export_path(value) == expected


@pytest.mark.parametrize("value", [
    "../../etc/passwd", "/backups/mt5/selective/x.json", "selective/../manifests/backup_20260302.json",
    "selective/x.csv.gz", "db/x.json", "selective/sub/x.json", f"selective/{INJECTION}.json", 42,
])
def test_export_path_rejects_anything_outside_selective(value):
    with pytest.raises(ParamError, match="is not an export manifest"):
        check_export_path(value)
