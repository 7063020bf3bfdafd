-- Drop the chunks of one hypertable that lie entirely before a cutoff time, returning their names.
-- Guide section: "Emergency Space Recovery, Step 3". The guide passed cascade => true, an argument drop_chunks
-- does not have. The cutoff is the timestamp the plan (and its dry run) computed, not now() minus an age, so the
-- chunks dropped are the ones the plan listed even when time passes between planning and dropping.
-- Parameters: hypertable (regclass text), cutoff (timestamptz; the time column must be timestamptz).
-- Safe to re-run: yes; a second run finds nothing left to drop.
SELECT drop_chunks(%(hypertable)s::regclass, older_than => %(cutoff)s::timestamptz)
