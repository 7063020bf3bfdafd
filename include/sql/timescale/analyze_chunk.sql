-- Refresh the planner statistics of one chunk.
-- Guide section: "Weekly Tasks: Update of chunk statistics".
-- Parameters: chunk, an identifier composed by the caller with psycopg sql.Identifier (schema, chunk name).
-- Safe to re-run: yes.
ANALYZE {chunk}
