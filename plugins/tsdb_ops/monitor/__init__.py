"""Hourly backup monitoring: checks over the backup dir, manifests, backup.log and run history."""
