# tsdb-ops: `make demo` runs every DAG once on throwaway databases; `make test` runs the test suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench standalone lock

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) scripts/demo.py

test: setup
	$(VENV)/bin/ruff check dags plugins tests bench scripts
	$(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check dags plugins tests bench scripts

bench: setup
	$(PY) bench/run_all.py

standalone: setup
	$(PY) scripts/demo.py --standalone

lock:
	$(VENV)/bin/pip freeze | grep -v '^-e' > requirements.lock
