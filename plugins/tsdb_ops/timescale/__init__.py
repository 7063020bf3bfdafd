"""Reusable TimescaleDB operations on a psycopg 3 connection: chunks, compression, policy jobs, statistics.

Every function takes an open connection and leaves it without an open transaction; SQL comes from
``include/sql``; identifiers are validated and passed as regclass text or composed with ``psycopg.sql``.
"""
