# tsdb-ops: `make demo` runs policy setup and the six scheduled DAGs once on a throwaway database; `make test` runs the tests.
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

# `airflow standalone` on the demo setup (UI, login and state in demo-output/standalone/, kept between starts).
standalone: setup
	$(PY) scripts/demo.py --standalone

# Deletes demo-output/: the next `make standalone` starts from scratch.
.PHONY: demo-reset
demo-reset:
	$(PY) scripts/demo.py --reset

lock:
	$(VENV)/bin/pip freeze | grep -v '^-e' > requirements.lock

# The deployment brought up for real (docker-compose.airflow.yml, Celery worker, backup restored); needs TSDB_SOURCE_TARBALL.
.PHONY: test-deploy
test-deploy: setup
	bash scripts/deploy_test_setup.sh
	TSDB_DEPLOY_TEST=1 $(VENV)/bin/pytest tests/deploy
