"""Writes (or with --check, verifies) the README's configuration table from tsdb_ops.config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from tsdb_ops.config import OpsConfig  # noqa: E402

README = ROOT / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def render() -> str:
    rows = ["| key | default | description |", "|---|---|---|"]
    for name, value, description in OpsConfig().describe():
        rows.append(f"| `{name}` | `{json.dumps(value)}` | {description} |")
    return "\n".join(rows)


def updated(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's table is out of date")
    text = README.read_text()
    if parser.parse_args().check:
        if updated(text) != text:
            print("README.md configuration table is out of date: run `.venv/bin/python scripts/config_table.py`")
            return 1
        return 0
    README.write_text(updated(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
