-- Fix the text format of the values a time-range export writes and a recovery reads, for this transaction only:
-- ISO dates with offsets in UTC, and floats printed shortest-exact (so they read back bit for bit).
-- Guide: Selective Backup / Selective Data Recovery (the guide relies on whatever the session has).
-- Parameters: none. Safe to re-run; local to the transaction (is_local => true), so nothing leaks to the next
-- user of a pooled or shared server session.
SELECT set_config('DateStyle', 'ISO, YMD', true),
       set_config('TimeZone', 'UTC', true),
       set_config('extra_float_digits', '1', true)
