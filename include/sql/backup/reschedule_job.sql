-- Put one restored job back on its schedule, after the restore was verified: scheduled again, first start at the
-- moment the restore chose (as recorded at backup time, or a later slot: never all jobs due at once).
-- Guide: Full Database Restore (missing there).
-- Parameters: job_id (integer, a job of the restored database matched to the manifest's record), next_start
-- (timestamptz as ISO 8601 text, or 'infinity'). alter_job refuses -infinity; the caller never passes it.
-- Safe to re-run: yes (sets the same state again).
SELECT job_id, scheduled FROM alter_job(%(job_id)s::int, scheduled => true, next_start => %(next_start)s::timestamptz)
