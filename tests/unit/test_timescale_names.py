"""Table and chunk names are validated and quoted, never formatted raw into SQL."""

from __future__ import annotations

import pytest

from tsdb_ops.timescale.chunks import Chunk
from tsdb_ops.timescale.table import Table, TableError, parse_table_name, quote_identifier


@pytest.mark.parametrize(("name", "expected"), [
    ("market_data", (None, "market_data")),
    ("trading.market_data", ("trading", "market_data")),
    ("Market$1", (None, "Market$1")),
])
def test_valid_table_names_split_into_schema_and_table(name, expected):
    assert parse_table_name(name) == expected


@pytest.mark.parametrize("name", ["market_data; DROP TABLE x", "a.b.c", "", "1abc", 'x"y', "a..b"])
def test_invalid_table_names_are_refused_with_the_setting_to_fix(name):
    with pytest.raises(TableError, match="fix the setting 'hypertable'"):
        parse_table_name(name)


def test_names_are_quoted_so_case_and_keywords_survive():
    assert quote_identifier('we"ird') == '"we""ird"'
    hypertable = Table("public", "Order")
    assert hypertable.regclass_text == '"public"."Order"'
    assert hypertable.params == {"hypertable": '"public"."Order"', "schema": "public", "table": "Order"}
    assert Chunk("_timescaledb_internal", "_hyper_1_2_chunk", None, None, False).regclass_text == (
        '"_timescaledb_internal"."_hyper_1_2_chunk"')


def test_a_sql_steps_identifiers_are_quoted_into_its_text_and_its_values_left_to_bind_parameters():
    from tsdb_ops.tasks.sql_steps import with_identifiers

    text = "SELECT 1 FROM {hypertable} WHERE {symbol_column} = %(symbol)s AND format('%%I', x) = '{{}}'"
    assert with_identifiers(text, {"hypertable": ["Trading", 'we"ird'], "symbol_column": "symbol"}) == (
        """SELECT 1 FROM "Trading"."we""ird" WHERE "symbol" = %(symbol)s AND format('%%I', x) = '{}'""")
