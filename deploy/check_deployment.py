"""Start-up check of the Docker deployment, run by airflow-init: the tasks' paths are the mounted host directories.

docker-compose.airflow.yml mounts BACKUP_HOST_DIR, LOG_HOST_DIR and STACK_PROJECT_HOST_DIR at the same path in
the workers and passes them here as TSDB_OPS_BACKUP_DIR, TSDB_OPS_LOG_DIR and TSDB_OPS_STACK_PROJECT_DIR. The
tasks use backup_root, log_dir, report_dir and config_project_dir of AIRFLOW_VAR_TSDB_OPS_CONFIG; when one of
them is elsewhere, backups would be written inside a container and lost, so the deployment does not start.
Exit status 0 when they agree, 1 with one line per disagreement otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import PurePosixPath

sys.path.insert(0, "/opt/tsdb-ops/plugins")  # also on PYTHONPATH; the entrypoint may run this as root

from tsdb_ops.config import ENV_VARIABLE, ConfigError, OpsConfig, parse_time_config


def is_within(path: str, directory: str) -> bool:
    return PurePosixPath(path) == PurePosixPath(directory) or PurePosixPath(directory) in PurePosixPath(path).parents


def disagreements(config: OpsConfig, env: dict[str, str]) -> list[str]:
    """What in ``config`` does not match the mounted directories of ``env``; empty when everything does."""
    backup, log, stack = env["TSDB_OPS_BACKUP_DIR"], env["TSDB_OPS_LOG_DIR"], env["TSDB_OPS_STACK_PROJECT_DIR"]
    expected = [
        ("backup_root", config.backup_root, backup, "BACKUP_HOST_DIR", config.backup_root == backup),
        ("log_dir", config.log_dir, log, "LOG_HOST_DIR", config.log_dir == log),
        ("report_dir", config.report_dir, f"{log}/...", "LOG_HOST_DIR", is_within(config.report_dir, log)),
        ("config_project_dir", config.config_project_dir, stack, "STACK_PROJECT_HOST_DIR",
         config.config_project_dir == stack),
        ("backup_host_root", config.backup_host_root, f"'' or {backup}", "BACKUP_HOST_DIR",
         config.backup_host_root in ("", backup)),
    ]
    return [
        f"{key} is {actual!r} but the mounted {variable} is {mounted!r}: set {key} from ${{{variable}}} in "
        f"{ENV_VARIABLE} (see .env.example) or leave it out"
        for key, actual, mounted, variable, agrees in expected
        if not agrees
    ]


def main() -> int:
    try:
        config = parse_time_config()
    except ConfigError as error:
        print(f"tsdb-ops deployment: {ENV_VARIABLE} is invalid: {error}", file=sys.stderr)
        return 1
    problems = disagreements(config, dict(os.environ))
    for problem in problems:
        print(f"tsdb-ops deployment: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
