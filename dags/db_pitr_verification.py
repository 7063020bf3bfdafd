"""# db_pitr_verification

**Weekly** (Sunday 05:30, configured time zone). Proves that point-in-time recovery works: a recovery to a time
between two marker rows, in a throwaway copy of the database.

1. `write_markers`: a row in `tsdb_ops_pitr_markers`, 2 s later another; each with the hypertable's rows, chunks,
   compressed chunks and jobs of its transaction. The target time lies between them.
2. `recover_to_target`: archives the WAL (`switch-wal`), then `barman recover --target-time` of the newest base
   backup into a new Docker volume.
3. `check_recovered_copy`: a container of `pitr_restore_image` (the production TimescaleDB image, no network,
   TimescaleDB jobs off) replays the WAL to the target and promotes; the marker before must be there, the one after
   must not, and rows, chunks, compressed chunks and jobs must lie between the markers' counts. Result in backup.log.
4. `remove_recovered_copy`: the container and its volume, also when a step failed (teardown).
"""

from __future__ import annotations

from airflow.sdk import DAG, chain, task

from tsdb_ops.dag_defaults import dag_kwargs, heavy_pool
from tsdb_ops.tasks import db_pitr_verification as tasks
from tsdb_ops.tasks.containers import RecoverToTimeOperator

with DAG(**dag_kwargs("db_pitr_verification", description="Weekly point-in-time recovery into a throwaway copy",
                      tags=["backup", "pitr"], doc_md=__doc__)):
    markers = task(tasks.write_markers)()
    recovered = RecoverToTimeOperator(task_id="recover_to_target", upstream=markers, pool=heavy_pool())
    checked = task(tasks.check_recovered_copy)(recovered.output)
    removed = task(tasks.remove_recovered_copy)(markers).as_teardown(setups=recovered)

    chain(markers, recovered, checked, removed)
