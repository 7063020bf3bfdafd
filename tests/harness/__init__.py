"""Real services on loopback for the tests: PostgreSQL 15, TimescaleDB, Docker, SMTP, webhooks."""
