"""tsdb-ops: operations of a self-hosted TimescaleDB market-data store, as Airflow DAGs."""
