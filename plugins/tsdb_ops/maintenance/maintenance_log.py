"""Log a maintenance step to the task log and to db_maintenance.log in the guide's format."""

from __future__ import annotations

import logging

from tsdb_ops.config import OpsConfig
from tsdb_ops.logfiles import MAINTENANCE_LOG, append_log_line

log = logging.getLogger("tsdb_ops.maintenance")


def maintenance_logger(config: OpsConfig, prefix: str = ""):
    """A callable writing ``prefix + message`` to both logs (``[YYYY-MM-DD HH:MM:SS] message`` in the file)."""

    def write(message: str) -> None:
        line = f"{prefix}{message}"
        log.info("%s", line)
        append_log_line(config, MAINTENANCE_LOG, line)

    return write
