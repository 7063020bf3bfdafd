"""db_base_backup's task bodies: the manifest entry of a Barman base backup."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from tsdb_ops.config import load_config

log = logging.getLogger(__name__)
MANIFEST_DIR = "pitr"


def write_manifest_entry(result: dict[str, Any]) -> str:
    """``backup_root/pitr/base_backup_<id>.json``: the backup, its WAL range and the catalogue's backups after
    retention (Barman deletes what falls out of the recovery window); one line in backup.log."""
    from tsdb_ops.files import write_atomically
    from tsdb_ops.logfiles import BACKUP_LOG, append_log_line

    config = load_config()
    backup = result["backup"]
    path = Path(config.backup_root) / MANIFEST_DIR / f"base_backup_{backup['backup_id']}.json"
    entry = {"kind": "barman_base_backup", "server": config.pitr_server_name, **result,
             "retention_policy": f"RECOVERY WINDOW OF {config.pitr_recovery_window_days} DAYS"}
    write_atomically(path, json.dumps(entry, indent=2).encode())
    size = backup["size_bytes"] or 0
    append_log_line(config, BACKUP_LOG, f"Barman base backup {backup['backup_id']} completed ({size} bytes, WAL "
                                        f"{result['begin_wal']}..{result['end_wal']}); {len(result['backups'])} in the "
                                        "catalogue")
    log.info("manifest entry written: %s", path)
    return str(path)
