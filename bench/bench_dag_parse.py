"""DAG parse time per file, beyond `import airflow` (budget: 50 ms per file).

Each measurement is a fresh interpreter, as a DAG processor parses: the baseline imports airflow.sdk and the
providers the DAGs use; the measured run does the same and then parses one DAG file with DagBag. The figure is
the median difference over --repeat runs.

    .venv/bin/python bench/bench_dag_parse.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 50.0

PRELUDE = """
import time, sys
sys.path.insert(0, {plugins!r})
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
import airflow.providers.common.sql.operators.sql, airflow.providers.docker.operators.docker
import airflow.providers.standard.operators.python, airflow.providers.standard.operators.empty
import airflow.providers.postgres.hooks.postgres
"""

MEASURE = """
start = time.perf_counter()
bag = DagBag({path!r})
elapsed = time.perf_counter() - start
assert not bag.import_errors, bag.import_errors
print(elapsed)
"""


def _run(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def measure(repeat: int) -> dict[str, float]:
    env = os.environ.copy()
    env.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="tsdb-ops-bench-"))
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    prelude = PRELUDE.format(plugins=str(ROOT / "plugins"))
    results = {}
    for dag_file in sorted((ROOT / "dags").glob("*.py")):
        samples = [_run(prelude + MEASURE.format(path=str(dag_file)), env) for _ in range(repeat)]
        results[dag_file.name] = statistics.median(samples) * 1000
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.repeat)
    print(f"{'DAG file':40} {'parse ms':>9} {'of budget':>10}")
    for name, ms in results.items():
        print(f"{name:40} {ms:9.1f} {ms / BUDGET_MS:9.2f}x")
    worst = max(results.values())
    print(f"worst {worst:.1f} ms per file, budget {BUDGET_MS:.0f} ms: {'OK' if worst <= BUDGET_MS else 'OVER BUDGET'}")
    print("RESULT " + json.dumps({
        "bench": "dag_parse", "measure": f"worst DAG file {worst:.1f} ms vs 50 ms budget",
        "ratio": round(worst / BUDGET_MS, 3), "target": "<= 1.0"}))


if __name__ == "__main__":
    main()
