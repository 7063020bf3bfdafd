"""Cluster policy of the tsdb-ops Docker deployment: the backup's containers run as the Airflow user, umask 027.

Without it the pg_dump and tar containers run as their image's user (root) with umask 022, so every dump and
models archive landed on the host owned by root and readable by every user, although it holds the whole
database. With it, the containers that read or write ``backup_root`` run as the uid:gid of the task process (the
Airflow user) and create files without any permission for others, like the manifests (0640) and config archives
(0600) that the Python tasks write. Restoring the models volume keeps its image's user: it writes into the trading
stack's volume, whose files must keep their owners.

Airflow imports this module (``$AIRFLOW_HOME/config`` is on its path) in every process, and applies
:func:`task_policy` wherever a DAG file is parsed, the Celery worker's task runner included.
"""

from __future__ import annotations

import os
from typing import Any

# DockerOperator tasks of tsdb_ops.backup.containers and tsdb_ops.recovery.containers, by class name, so that
# importing this module (every Airflow process does) imports neither the Docker provider nor the package.
RUN_AS_AIRFLOW_USER = frozenset({
    "DumpDatabaseOperator", "ArchiveModelsVolumeOperator", "RestoreDumpOperator",
    "WriteSafetyDumpOperator", "RestoreBackupOperator", "DumpTablesOperator", "TakeBaseBackupOperator",
    "ListDumpsOperator",
})
KEEP_IMAGE_USER = frozenset({
    "RestoreModelsVolumeOperator",
    # Barman's containers start as root and Barman drops to its own user, the owner of its catalogue (a volume)
    "ConfigureBarmanOperator", "CheckBarmanOperator", "BarmanBackupOperator", "RecoverToTimeOperator",
})
# sh -c 'umask 027 && exec "$@"' NAME COMMAND...: the operator's command runs unchanged under the umask
UMASK_ENTRYPOINT = ["sh", "-c", 'umask 027 && exec "$@"', "umask-027"]


def task_policy(task: Any) -> None:
    cls = type(task)
    if cls.__module__.startswith("tsdb_ops.") and cls.__name__ in RUN_AS_AIRFLOW_USER:
        task.user = f"{os.getuid()}:{os.getgid()}"
        task.entrypoint = list(UMASK_ENTRYPOINT)
