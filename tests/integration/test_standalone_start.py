"""SLOW, opt-in (TSDB_STANDALONE_TEST=1; 1-4 minutes, bounded at 6): the `make standalone` launcher really starts
`airflow standalone` from a plain shell's PATH (no activated venv) on a PostgreSQL metadata database, its api-server
answers healthy, the generated admin login works, and everything it started stops again."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from harness.ports import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import demo_airflow

PLAIN_SHELL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = [
    pytest.mark.skipif(os.environ.get("TSDB_STANDALONE_TEST") != "1",
                       reason="slow (1-4 min): a real `airflow standalone` start; set TSDB_STANDALONE_TEST=1"),
    pytest.mark.timeout(420),
]


def test_standalone_starts_from_a_plain_shell_and_serves_the_login(pg15, tmp_path):
    pg15.create_database("airflow_standalone_test")
    home, dags = tmp_path / "airflow", tmp_path / "dags"
    dags.mkdir()
    port = free_port()
    env = {
        "PATH": PLAIN_SHELL_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8",
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **demo_airflow.metadata_db_env(pg15.user, pg15.password, pg15.port, "airflow_standalone_test"),
        **demo_airflow.api_env(port),
    }
    url = f"http://localhost:{port}"
    with open(tmp_path / "standalone.log", "wb") as log:
        proc = demo_airflow.start_standalone(env, stdout=log, stderr=log)
        try:
            up = demo_airflow.wait_until_up(url, proc, timeout=300)
            login = demo_airflow.read_login(home)
            token = None
            if login:
                request = urllib.request.Request(
                    url + "/auth/token", data=json.dumps({"username": login[0], "password": login[1]}).encode(),
                    headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=60) as response:
                    token = json.load(response).get("access_token")
        finally:
            demo_airflow.stop_standalone(proc)
    output = (tmp_path / "standalone.log").read_text(errors="replace")
    assert "FileNotFoundError" not in output
    assert up, output[-3000:]
    assert login is not None and login[0] == "admin"
    assert token
    assert proc.returncode is not None
