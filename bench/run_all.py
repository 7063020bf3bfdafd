"""Runs every benchmark and prints one table of ratios measured side by side in this run.

Each bench script prints its own details and one or more machine-readable lines
``RESULT {"bench": ..., "measure": ..., "ratio": ..., "target": ...}``; this collects them.

    .venv/bin/python bench/run_all.py            # full sizes (minutes to tens of minutes)
    .venv/bin/python bench/run_all.py --smoke    # tiny sizes, to check the scripts run
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# script, arguments at full size, arguments for a smoke run
BENCHES = [
    ("bench_dag_parse.py", ["--repeat", "5"], ["--repeat", "1"]),
    ("bench_monitor.py", [], ["--smoke"]),
    ("bench_compression_report.py", [], ["--smoke"]),
    ("bench_distribution.py", [], ["--smoke"]),
    ("bench_backup_dump.py", [], ["--smoke"]),
    ("bench_insert_stall.py", [], ["--smoke"]),
    ("bench_ops_page.py", [], ["--smoke"]),
    ("bench_pitr.py", [], ["--smoke"]),
]


def machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    memory = Path("/proc/meminfo").read_text().split()[1]
    return f"{platform.machine()}, {cores} cores, {int(memory) // 1024 // 1024} GiB, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", nargs="*", help="script names to run")
    args = parser.parse_args()
    results, failures = [], []
    for script, full, smoke in BENCHES:
        if args.only and script not in args.only:
            continue
        print(f"\n### {script}", flush=True)
        proc = subprocess.run([sys.executable, str(ROOT / script), *(smoke if args.smoke else full)], text=True,
                              capture_output=True)
        print(proc.stdout + proc.stderr[-3000:], flush=True)
        if proc.returncode:
            failures.append(script)
        results += [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    print(f"\n## Benchmarks ({'smoke' if args.smoke else 'full'} size) on {machine()}\n")
    print(f"| {'benchmark':28} | {'measure':52} | {'ratio':>8} | {'target':18} |")
    print(f"|{'-' * 30}|{'-' * 54}|{'-' * 10}|{'-' * 20}|")
    for result in results:
        print(f"| {result['bench']:28} | {result.get('measure', ''):52} | {result.get('ratio', ''):>8} "
              f"| {result.get('target', ''):18} |")
    if failures:
        print(f"\nfailed: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
