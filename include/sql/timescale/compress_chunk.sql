-- Compress one chunk, skipping it when it is already compressed.
-- Guide sections: "Weekly Tasks: Compression of chunks older than 30 days", "Emergency Space Recovery". The
-- guide compressed every chunk in one statement (one long transaction holding every chunk's lock, all work lost
-- on a failure) and passed unqualified chunk names; here the caller runs one chunk per transaction.
-- Parameters: chunk (schema-qualified regclass text).
-- Safe to re-run: yes (if_not_compressed).
SELECT compress_chunk(%(chunk)s::regclass, if_not_compressed => true)
