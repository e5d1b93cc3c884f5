# airflow-errorguard developer entry points.  `make test` is what CI runs (see .ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := test

# Airflow loads its example DAGs by default; never let any target (or its subprocesses) do that.
export AIRFLOW__CORE__LOAD_EXAMPLES := False

VENV := .venv
PY := $(VENV)/bin/python
# Lint only the paths that exist (dags_examples/, benchmarks/, scripts/ may not exist yet).
LINT_PATHS := $(wildcard airflow_errorguard tests dags_examples benchmarks scripts)
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-m 'not slow'"`.
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (each with its own Airflow home and databases, a test file
# whole on one worker: tests/conftest.py); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2

.PHONY: venv lint typecheck browser-deps monitoring-deps test docs demo ui bench clean lanes

# Create .venv with uv when it is missing (installing uv from PyPI when it is not on PATH), then
# always install exactly what uv.lock pins, with the `dev` group uv syncs by default (a no-op when
# already in sync).
venv:
	@set -euo pipefail; \
	if command -v uv >/dev/null 2>&1; then UV=uv; \
	else \
		if ! python3 -m uv --version >/dev/null 2>&1; then python3 -m pip install uv; fi; \
		UV="python3 -m uv"; \
	fi; \
	if [ ! -x "$(PY)" ]; then $$UV venv --python 3.11 "$(VENV)"; fi; \
	$$UV sync --frozen

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(VENV)/bin/mypy

# The whole suite, every tier (unit, airflow, postgres, slow, browser).  pytest's exit code is
# propagated unchanged: exit 5 ("no tests collected") fails this target.
test: venv lint typecheck browser-deps monitoring-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The CI lanes beside `make test` (older Airflow releases, newest dependencies; .ci/lanes.sh),
# one after the other, with a table of their times.  LANES picks some, e.g. LANES=af-3.1.8.
LANES ?= af-3.1.8 af-3.2.2 latest $(if $(wildcard .ci/lane-wheel.sh),wheel)
lanes:
	bash .ci/lanes.sh $(LANES)

# Browser tests drive Debian's chromium (never a downloaded browser); install it when missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then apt-get update && apt-get install -y chromium chromium-driver; fi

# `promtool check rules` validates the shipped Prometheus rules (tests/docs/test_monitoring.py):
# Debian's prometheus package, installed when missing.
monitoring-deps:
	@if ! command -v promtool >/dev/null 2>&1; then apt-get update && apt-get install -y prometheus; fi

# The documentation site (mkdocs.yml); --strict turns every warning, broken link or anchor into an error.
docs: venv
	$(VENV)/bin/mkdocs build --strict --site-dir build/docs

demo: venv
	$(PY) scripts/demo.py

# The Airflow UI (with the errorguard view) on the demo's home, until Ctrl-C: http://127.0.0.1:8080
ui: venv
	$(PY) scripts/ui.py

# Every benchmarks/bench_*.py; the figures are written to docs/benchmarks.md.
bench: venv
	$(PY) benchmarks/run_all.py $(BENCH)

# Removes build output and tool caches; keeps .venv (delete it by hand to rebuild from scratch).
clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .airflow-demo
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 \
		| xargs -0 rm -rf
