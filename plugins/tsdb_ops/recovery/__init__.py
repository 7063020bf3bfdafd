"""Manual recovery: full restore of a backup set, selective (table / time-range) backups and selective recovery."""
