"""The ops page in a real Airflow API server, through its login, in headless Chromium.

One API server per module (SimpleAuthManager with a known admin password, the session's migrated metadata DB,
the DAGs serialized into it), one prepared backup root, report folder and monitor log, one open alert in its
Variable. Screenshots go to test-artifacts/ops-page/; the README's picture to docs/ops-page.png.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from ui.ops_data import now_utc, open_alert_state, write_reports, write_resolved_line, write_sets

from harness.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ops-page"
README_PICTURE = ROOT / "docs" / "ops-page.png"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
USER, PASSWORD = "admin", "ops-page-test-password"
ALERT_SCOPE = "backup_monitor.backup_age"
SETS = 45


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _request(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict, bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def ops_server(airflow_home, tmp_path_factory):
    from airflow.models import Variable

    data = tmp_path_factory.mktemp("ops-page")
    now = now_utc()
    manifests = write_sets(data / "backups", SETS, now - timedelta(hours=5), problem_set=SETS - 3)
    reports = write_reports(data / "reports", now - timedelta(hours=3))
    write_resolved_line(data / "logs", now - timedelta(hours=2), "backup_monitor.disk_space", "backup.disk.free",
                        "Backup disk 92% full")
    Variable.set("tsdb_ops_config", json.dumps({"backup_root": str(data / "backups"),
                                                "report_dir": str(data / "reports"), "log_dir": str(data / "logs")}))
    Variable.set(f"tsdb_ops_alert_state.{ALERT_SCOPE}", json.dumps(open_alert_state(now - timedelta(hours=7))))

    airflow = str(Path(sys.executable).parent / "airflow")
    passwords = data / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False", "AIRFLOW__API__WORKERS": "1"}
    subprocess.run([airflow, "dags", "reserialize"], check=True, capture_output=True, env=env)
    port = free_port()
    log = open(data / "api-server.log", "w")
    server = subprocess.Popen([airflow, "api-server", "--port", str(port), "--host", "127.0.0.1"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=120)
        deadline = time.monotonic() + 60
        while _request(f"{base}/api/v2/monitor/health")[0] != 200:
            assert time.monotonic() < deadline, (data / "api-server.log").read_text()[-3000:]
            time.sleep(0.5)
        yield {"base": base, "manifests": manifests, "reports": reports, "log": data / "api-server.log"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _token(base: str) -> str:
    status, _, body = _request(f"{base}/auth/token", {"Content-Type": "application/json"},
                               json.dumps({"username": USER, "password": PASSWORD}).encode())
    assert status == 201, body
    return json.loads(body)["access_token"]


def test_anonymous_requests_are_refused_and_a_logged_in_user_is_served(ops_server):
    base = ops_server["base"]
    for path in ("/tsdb-ops/", "/tsdb-ops/run?dag_id=db_nightly_backup&run_id=x"):
        status, _, _ = _request(base + path, {"Accept": "application/json"})
        assert status == 401, path
        status, headers, _ = _request(base + path, {"Accept": "text/html"})
        assert status == 303 and "/auth/login?next=" in headers["location"], (status, headers)
    status, _, _ = _request(f"{base}/tsdb-ops/", {"Authorization": "Bearer not-a-token"})
    assert status in (401, 403)

    status, _, body = _request(f"{base}/tsdb-ops/", {"Authorization": f"Bearer {_token(base)}"})
    page = body.decode()
    assert status == 200
    newest = ops_server["manifests"][-1]
    assert newest.run_id in page and f"{SETS}</div>" in page
    assert "Newest verified backup is 31.0 hours old" in page and "Backup disk 92% full" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # report text is escaped


def _browser(user_data_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--user-data-dir={user_data_dir}", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_browser_logs_in_opens_the_ops_page_from_the_nav_and_triggers_db_policy_setup(ops_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base = ops_server["base"]
    before = {r["dag_run_id"] for r in _policy_setup_runs(base)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ops-page-chromium-") as profile:
        driver = _browser(profile)
        wait = WebDriverWait(driver, 60)
        try:
            driver.get(base + "/")
            wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys(USER)
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)
            driver.save_screenshot(str(ARTIFACTS / "1-login.png"))
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(lambda d: "/auth/login" not in d.current_url)

            wait.until(ec.element_to_be_clickable((By.XPATH, "//nav//*[normalize-space()='Ops page'] | "
                                                             "//*[normalize-space()='Ops page']"))).click()
            wait.until(lambda d: "/plugin/tsdb-ops" in d.current_url)
            wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
            wait.until(ec.presence_of_element_located((By.ID, "backups")))
            text = driver.find_element(By.TAG_NAME, "body").text
            driver.switch_to.default_content()
            driver.save_screenshot(str(ARTIFACTS / "2-ops-page-in-the-airflow-ui.png"))

            newest = ops_server["manifests"][-1]
            assert "Newest verified backup is 31.0 hours old" in text and ALERT_SCOPE in text
            assert "Backup disk 92% full" in text
            assert newest.run_id in text and "problem" in text and "verified" in text
            assert "Health check of mt5_trading" in text and "WARNING" in text
            assert "public_market_data" in text

            driver.get(base + "/tsdb-ops/")
            wait.until(ec.presence_of_element_located((By.ID, "backups")))
            links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "table.sets a")]
            assert f"{base}/dags/db_nightly_backup/runs/{newest.run_id.replace(':', '%3A').replace('+', '%2B')}" in links
            assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart polyline")) >= 4
            driver.set_window_size(1280, 1500)
            driver.save_screenshot(str(ARTIFACTS / "3-ops-page.png"))
            _save_readme_picture(driver)

            driver.set_window_size(1400, 1000)
            driver.get(base + "/dags/db_policy_setup")
            wait.until(ec.element_to_be_clickable((By.XPATH, "//button[@aria-label='Trigger Dag']"))).click()
            submit = wait.until(ec.element_to_be_clickable(
                (By.XPATH, "//*[@role='dialog']//button[normalize-space()='Trigger']")))
            driver.save_screenshot(str(ARTIFACTS / "4-trigger-form.png"))
            submit.click()  # the form's defaults: a single run, logical date now, the DAG's default params
            deadline = time.monotonic() + 30
            while not (new := [r for r in _policy_setup_runs(base) if r["dag_run_id"] not in before]):
                assert time.monotonic() < deadline, "no db_policy_setup run 30 s after the trigger form was sent"
                time.sleep(0.5)
            driver.save_screenshot(str(ARTIFACTS / "5-after-trigger.png"))
        except Exception:
            driver.save_screenshot(str(ARTIFACTS / "failure.png"))
            (ARTIFACTS / "failure.html").write_text(f"<!-- {driver.current_url} -->\n" + driver.page_source)
            raise
        finally:
            driver.quit()

    assert len(new) == 1, new
    assert new[0]["run_type"] == "manual" and new[0]["state"] in ("queued", "running", "success"), new


def _policy_setup_runs(base: str) -> list[dict]:
    status, _, body = _request(f"{base}/api/v2/dags/db_policy_setup/dagRuns",
                               {"Authorization": f"Bearer {_token(base)}"})
    assert status == 200, body
    return json.loads(body)["dag_runs"]


def _save_readme_picture(driver) -> None:
    """The page's top as a PNG for the README, commit-sized (< 200 KB)."""
    driver.set_window_size(1280, 1000)
    driver.save_screenshot(str(ARTIFACTS / "readme-full.png"))
    README_PICTURE.parent.mkdir(exist_ok=True)
    README_PICTURE.write_bytes((ARTIFACTS / "readme-full.png").read_bytes())
    assert README_PICTURE.stat().st_size < 200_000, README_PICTURE.stat().st_size
