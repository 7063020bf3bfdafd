-- Insert the rows of one symbol and time range from the recovery table that the target lacks, and count them:
-- the export's rows in the range and those inserted (the rest were present), in one statement and snapshot.
-- Guide: Selective Data Recovery. The guide's plain `INSERT ... SELECT * ... BETWEEN` fails on the first row
-- that still exists (unique index ux_market_data_sym_tf_ts) and counts a row at the end of the range twice
-- with the next range; here: ON CONFLICT DO NOTHING (a unique index was checked to exist) and start <= time < end.
-- The recovery table is LIKE the target (same columns in the same order, checked against the export), so its
-- rows insert position for position.
-- Placeholders: {table}, {recovery_table}, {time_column}, {symbol_column}, composed with psycopg's
-- sql.Identifier. Parameters: symbol, start, end. Safe to re-run (a second run inserts 0 rows).
WITH offered AS (
    SELECT * FROM {recovery_table}
    WHERE {symbol_column} = %(symbol)s AND {time_column} >= %(start)s AND {time_column} < %(end)s
), inserted AS (
    INSERT INTO {table}
    SELECT * FROM offered
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM offered) AS rows_in_export_range, (SELECT count(*) FROM inserted) AS inserted
