"""Manual operations triggered from the Airflow UI: params validation, dry-run plans and their exact execution.

Every manual DAG validates its params first (identifiers against the catalog, ages parsed, symbols passed as
bind parameters), then plans and logs what it would do, and only acts when the run's params say so.
"""
