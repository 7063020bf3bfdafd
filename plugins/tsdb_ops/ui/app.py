"""The ops page's FastAPI app, mounted by the Airflow API server (plugins/tsdb_ops_ui_plugin.py), behind Airflow's login.

A plugin's endpoints are not protected by Airflow: every route here depends on :func:`current_user`, which
checks the caller's JWT exactly as Airflow's own API does (an ``Authorization: Bearer`` header, else the UI's
``_token`` cookie) and then asks the auth manager whether the user may read DAGs. An anonymous browser is sent
to the login page (and back here after it); any other anonymous request gets 401.

The page reads files (manifests, reports, log lines) and the metadata DB (the Variables of the configuration
and the open alerts; which DAG run wrote a report): never the market-data database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tsdb_ops.alerts.state_store import VARIABLE_PREFIX
from tsdb_ops.config import VARIABLE_KEY, OpsConfig
from tsdb_ops.ui.page import (
    BACKUP_DAG,
    CSS,
    REPORT_DAGS,
    PageState,
    backup_section,
    open_alerts_from_state,
    render_page,
    report_html,
)
from tsdb_ops.ui.sources import backup_sets, latest_reports

URL_PREFIX = "/tsdb-ops"
_bearer = HTTPBearer(auto_error=False)
_state = PageState()


class LoginRequiredError(Exception):
    """An anonymous browser asking for a page: answered by a redirect to the login page."""


async def current_user(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Any:
    """The authenticated user allowed to read DAGs, as Airflow's API resolves it; refuses everyone else."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import get_user

    try:
        user = await get_user(request, None, credentials)
    except HTTPException as error:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            raise LoginRequiredError from error
        raise
    if not get_auth_manager().is_authorized_dag(method="GET", user=user):
        raise HTTPException(status_code=403, detail="You may not read DAGs, so not the ops page either")
    return user


UserDep = Annotated[Any, Depends(current_user)]


def load_ops_config() -> OpsConfig:
    """The operators' configuration from the Variable ``tsdb_ops_config`` (env, secrets backend, metadata DB)."""
    from airflow.models import Variable

    text = Variable.get(VARIABLE_KEY, default_var=None)
    return OpsConfig.from_mapping(json.loads(text) if text else None)


def alert_states() -> dict[str, dict[str, Any]]:
    """Open alerts per scope, from the Variables ``tsdb_ops_alert_state.<scope>`` (unparsable ones skipped)."""
    from airflow.models import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    states: dict[str, dict[str, Any]] = {}
    with create_session() as session:
        for variable in session.scalars(select(Variable).where(Variable.key.startswith(VARIABLE_PREFIX))):
            try:
                state = json.loads(variable.val or "{}")
            except ValueError:
                continue
            if isinstance(state, dict):
                states[variable.key[len(VARIABLE_PREFIX):]] = state
    return states


def run_ids_at(wanted: dict[str, tuple[str, datetime]]) -> dict[str, str]:
    """For each name -> (dag id, run_after to the second), the run id of that DAG's run at that time, if any."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: dict[str, str] = {}
    with create_session() as session:
        for name, (dag_id, run_after) in wanted.items():
            run_id = session.scalar(select(DagRun.run_id).where(
                DagRun.dag_id == dag_id, DagRun.run_after >= run_after,
                DagRun.run_after < run_after + timedelta(seconds=1)).limit(1))
            if run_id:
                found[name] = run_id
    return found


def run_after_of(dag_id: str, run_id: str) -> datetime | None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalar(select(DagRun.run_after).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    return value.astimezone(UTC).replace(microsecond=0) if value else None


def create_app() -> FastAPI:
    app = FastAPI(title="tsdb-ops ops page", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(LoginRequiredError)
    async def _to_login(request: Request, _: LoginRequiredError) -> Response:
        from airflow.api_fastapi.app import get_auth_manager

        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def ops_page(_: UserDep, sets: str = "") -> str:
        config = load_ops_config()
        reports = latest_reports(config.report_dir, _state.files)
        runs = run_ids_at({str(r.path): (REPORT_DAGS[r.kind], r.run_after) for r in reports if r.run_after})
        alerts = open_alerts_from_state(alert_states())
        return render_page(config, _state, alerts, rows=1_000_000 if sets == "all" else 60, report_runs=runs)

    @app.get("/run", response_class=HTMLResponse)
    def run_page(_: UserDep, dag_id: str, run_id: str) -> str:
        """What one DAG run produced that the ops page shows: its backup set, its reports."""
        config = load_ops_config()
        parts = [f"<h1>{escape(dag_id)} <span class=\"muted\">{escape(run_id)}</span></h1>"]
        if dag_id == BACKUP_DAG:
            sets, _errors = backup_sets(config.backup_root, _state.files)
            mine = [s for s in sets if s.run_id == run_id]
            parts.append(backup_section(mine, [], 10) if mine else "<p class=\"muted\">This run wrote no backup set "
                         "(a failed or skipped run leaves no manifest).</p>")
        kinds = [k for k, d in REPORT_DAGS.items() if d == dag_id]
        if kinds:
            run_after = run_after_of(dag_id, run_id)
            reports = [r for r in latest_reports(config.report_dir, _state.files) if r.kind in kinds]
            mine = [r for r in reports if run_after and r.run_after == run_after]
            parts += [report_html(r, run_id, open_=True) for r in mine] or [
                "<p class=\"muted\">No report of this run among the latest reports.</p>"]
        if dag_id != BACKUP_DAG and not kinds:
            parts.append("<p class=\"muted\">This DAG writes nothing the ops page shows.</p>")
        parts.append('<p><a href="./">The whole ops page</a></p>')
        head = f'<!doctype html><html><head><meta charset="utf-8"><title>tsdb-ops run</title><style>{CSS}</style></head>'
        return f"{head}<body>{''.join(parts)}</body></html>"

    return app


app = create_app()
