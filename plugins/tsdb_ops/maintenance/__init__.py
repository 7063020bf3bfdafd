"""Daily cleanup, weekly maintenance and policy setup: the logic behind the maintenance DAGs."""
