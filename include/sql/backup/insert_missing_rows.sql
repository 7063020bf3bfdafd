-- Insert the rows of one symbol and time range from the recovery table that the target lacks.
-- Guide: Selective Data Recovery. The guide's plain `INSERT ... SELECT * ... BETWEEN` fails on the first row
-- that still exists (unique index ux_market_data_sym_tf_ts) and counts a row at the end of the range twice
-- with the next range; here: ON CONFLICT DO NOTHING (the caller checked a unique index exists) and start <= time
-- < end.
-- Placeholders: {table}, {recovery_table}, {columns}, {time_column}, {symbol_column}, composed with psycopg
-- sql.Identifier. Parameters: %(symbol)s, %(start)s, %(end)s. Safe to re-run (a second run inserts 0 rows).
INSERT INTO {table} ({columns})
SELECT {columns} FROM {recovery_table}
WHERE {symbol_column} = %(symbol)s AND {time_column} >= %(start)s AND {time_column} < %(end)s
ON CONFLICT DO NOTHING
