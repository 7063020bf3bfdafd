"""How the demo runs Airflow: the environment of its commands (the venv's bin first on PATH, the metadata database,
the alert connections with demo secrets), the `airflow standalone` launcher and its login.

`airflow standalone` starts the scheduler, dag-processor, triggerer and api-server as subprocesses named by the
bare word `airflow`, so the venv's bin directory must come first on PATH even when nobody activated the venv.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

VENV_BIN = Path(sys.executable).parent  # make runs the scripts with .venv/bin/python
ADMIN_USER = "admin"  # standalone's SimpleAuthManager user (`[core] simple_auth_manager_users` = admin:admin)
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
HEALTH_PATH = "/api/v2/monitor/health"


def airflow_bin(bin_dir: Path = VENV_BIN) -> str:
    return str(bin_dir / "airflow")


def launcher_env(env: dict[str, str], bin_dir: Path = VENV_BIN) -> dict[str, str]:
    """``env`` with ``bin_dir`` first on PATH (and as the active virtualenv), so `airflow` finds `airflow`."""
    rest = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and Path(p) != bin_dir]
    return {**env, "PATH": os.pathsep.join([str(bin_dir), *rest]), "VIRTUAL_ENV": str(bin_dir.parent)}


def new_secrets() -> dict[str, str]:
    """The demo's secrets: long and random, so masking them in alerts and logs never hides ordinary words."""
    alnum = string.ascii_letters + string.digits
    return {
        "pg_password": secrets.token_urlsafe(24),
        "discord_id": str(secrets.randbelow(9 * 10**17) + 10**17),  # Discord ids are 18-19 digit snowflakes
        "discord_token": secrets.token_urlsafe(48),
        "slack_team": "T" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10)),
        "slack_bot": "B" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10)),
        "slack_token": "".join(secrets.choice(alnum) for _ in range(24)),
        "pitr_password": secrets.token_urlsafe(24),  # Barman's replication role (db_pitr_setup creates it)
    }


def discord_connection(base_url: str, demo: dict[str, str]) -> dict[str, object]:
    """The demo's Discord connection: the provider accepts only ``webhooks/<digits>/<token>`` as endpoint."""
    return {"conn_type": "discord", "host": base_url,
            "extra": {"webhook_endpoint": f"webhooks/{demo['discord_id']}/{demo['discord_token']}"}}


def slack_connection(base_url: str, demo: dict[str, str]) -> dict[str, object]:
    """The demo's Slack incoming-webhook connection, shaped like ``hooks.slack.com/services/T.../B.../<token>``."""
    path = f"services/{demo['slack_team']}/{demo['slack_bot']}/{demo['slack_token']}"
    return {"conn_type": "slackwebhook", "password": f"{base_url.rstrip('/')}/{path}"}


def alert_connections_env(smtp_uri: str, webhook_base: Callable[[str], str], demo: dict[str, str]) -> dict[str, str]:
    """AIRFLOW_CONN_* of the three alert channels, pointing at the demo's receivers."""
    return {
        "AIRFLOW_CONN_TSDB_SMTP": smtp_uri,
        "AIRFLOW_CONN_TSDB_DISCORD": json.dumps(discord_connection(webhook_base("/discord"), demo)),
        "AIRFLOW_CONN_TSDB_SLACK": json.dumps(slack_connection(webhook_base("/slack"), demo)),
    }


def metadata_db_env(user: str, password: str, port: int, dbname: str = "airflow") -> dict[str, str]:
    """Airflow's metadata database on the demo's PostgreSQL cluster (no SQLite: it locks under standalone)."""
    return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{user}:{password}@127.0.0.1:{port}/{dbname}"}


def api_env(port: int) -> dict[str, str]:
    """Where the api-server listens, and where tasks reach its execution API. On a busy laptop the api-server can
    take longer than the default 5 s to answer a task's first call; a task whose start times out fails before it
    runs (and its retried call is then refused), so the demo gives it a minute."""
    return {
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
    }


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def read_login(airflow_home: Path, user: str = ADMIN_USER) -> tuple[str, str] | None:
    """(user, password) from the auth manager's generated password file, None while it does not exist."""
    path = Path(os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE") or airflow_home / PASSWORD_FILE)
    try:
        passwords = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return None
    return (user, passwords[user]) if user in passwords else None


def api_healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + HEALTH_PATH, timeout=5) as response:
            health = json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return health.get("metadatabase", {}).get("status") == "healthy" and \
        health.get("scheduler", {}).get("status") == "healthy"


def wait_until_up(base_url: str, proc: subprocess.Popen, timeout: float) -> bool:
    """Poll the api-server's health endpoint until it answers healthy, the process ends, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if api_healthy(base_url):
            return True
        time.sleep(2)
    return False


def start_standalone(env: dict[str, str], **popen: object) -> subprocess.Popen:
    """`airflow standalone` with the venv's bin first on PATH (its components are started as `airflow ...`), in a
    process group of its own, so :func:`stop_standalone` stops every component it started."""
    return subprocess.Popen(  # type: ignore[call-overload]
        [airflow_bin(), "standalone"], env={**launcher_env(env), "PYTHONUNBUFFERED": "1"}, start_new_session=True,
        **popen)


def stop_standalone(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Ctrl-C to standalone's process group (it stops its components on it), then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # standalone is gone; components it failed to stop get the same signal once more
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        break
    proc.poll()
