"""The ops page in the Airflow UI: a FastAPI app (in tsdb_ops.ui) mounted under /tsdb-ops, a nav entry, a run tab."""

from airflow.plugins_manager import AirflowPlugin

from tsdb_ops.ui.app import URL_PREFIX, app


class TsdbOpsUiPlugin(AirflowPlugin):
    name = "tsdb_ops_ui"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "tsdb-ops ops page"}]
    external_views = [
        {"name": "Ops page", "href": "tsdb-ops/", "url_route": "tsdb-ops", "destination": "nav", "nav_top_level": True},
        {"name": "Ops page", "href": "tsdb-ops/run?dag_id={DAG_ID}&run_id={RUN_ID}", "url_route": "tsdb-ops-run",
         "destination": "dag_run"},
    ]
