"""Alerts: failure notifications of tasks, and monitor alerts with severity, suppression and resolution."""
