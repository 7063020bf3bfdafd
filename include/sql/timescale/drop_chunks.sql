-- Drop the chunks of one hypertable that lie entirely before now() minus N days.
-- Guide sections: "Weekly Tasks: Cleanup of chunks older than 5 years", "Emergency Space Recovery, Step 3".
-- The guide passed cascade => true, an argument drop_chunks does not have.
-- Parameters: hypertable (regclass text), days (number).
-- Safe to re-run: yes; a second run finds nothing left to drop.
SELECT drop_chunks(%(hypertable)s::regclass, older_than => make_interval(secs => %(days)s::float8 * 86400))
