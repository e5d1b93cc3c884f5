#!/usr/bin/env bash
# Usage: .ci/lane-latest.sh
#
# errorguard with the NEWEST versions of its dependencies that pyproject.toml allows (not uv.lock):
# what a user gets from a fresh `pip install airflow-errorguard` today.  Every run resolves anew
# (`uv pip compile --resolution highest` of pyproject.toml with the test tools) and syncs the
# lane's venv (outside the clone, see lib.sh) to exactly that set, so the venv is reused and only
# what changed upstream is reinstalled.
#
# Runs (~8-10 min beside `main`; docs/ci.md has the measured figures) the three tiers issue 14
# names, each trimmed like the af-* lanes' (lane-airflow.sh):
#   1. the unit tier (marker `unit`, not slow/browser/corpus);
#   2. the storage tier: tests/storage not already run (PostgreSQL and MariaDB: the SQLAlchemy
#      version matters most there);
#   3. the dag.test() paths of DAG_TEST_PATHS (lib.sh) on SQLite: example DAGs, guarded, circuit
#      and alert paths.
# LANE_BUILD_ONLY=1: sync and stop.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV=$(lane_venv latest "$(lane_key "$0" "$ROOT/.ci/lib.sh")")
if [ ! -f "$VENV/.complete" ]; then
    "${UV[@]}" venv --quiet --python 3.11 "$VENV"
    touch "$VENV/.complete"
fi
RESOLVED="$VENV/resolved.txt"
(cd "$ROOT" && "${UV[@]}" pip compile --quiet --python "$VENV/bin/python" --resolution highest \
    "${TEST_DEPS[@]}" --no-header --output-file "$RESOLVED" pyproject.toml)
"${UV[@]}" pip sync --quiet --compile-bytecode --python "$VENV/bin/python" "$RESOLVED"
lane_editable
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version

names = ["apache-airflow", "apache-airflow-task-sdk", "sqlalchemy", "alembic", "pendulum", "tenacity",
         "pyyaml", "apache-airflow-providers-common-sql", "pydantic", "fastapi"]
print("lane latest: " + ", ".join(f"{n} {version(n)}" for n in names))
PY

[ -z "${LANE_BUILD_ONLY:-}" ] || exit 0  # only resolve and sync the venv
lane_pytest -m "unit and not slow and not browser and not corpus"
lane_pytest tests/storage -m "not unit and not airflow and not slow and not browser and not corpus"
lane_pytest -m "$DAG_TEST_MARKERS" "${DAG_TEST_PATHS[@]}"
lane_exit
