-- Enable compression on the hypertable with the configured segmentby and orderby columns.
-- Guide section: "TimescaleDB Policies: Compression settings (segment by symbol, order by timestamp)".
-- DDL takes no bind parameters: the caller composes the table with sql.Identifier and the column lists with
-- sql.Literal (validated identifiers, quoted).
-- Parameters: table (identifier), segmentby, orderby (literals).
-- Safe to re-run: yes (same settings again); changing them on a table with compressed chunks may be refused.
ALTER TABLE {table} SET (timescaledb.compress, timescaledb.compress_segmentby = {segmentby},
                         timescaledb.compress_orderby = {orderby})
