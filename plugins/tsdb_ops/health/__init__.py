"""Health checks of the database and its Docker stack (db_health_check): each check gathers catalog and
statistics rows, a pure function turns them into findings, and one task alerts and writes the report."""
