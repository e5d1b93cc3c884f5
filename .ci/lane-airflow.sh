#!/usr/bin/env bash
# Usage: .ci/lane-airflow.sh VERSION   (3.1.8 or 3.2.2)
#
# errorguard on an older Airflow 3 release, installed as its users install it: apache-airflow==VERSION
# with the versions Airflow's published constraints for VERSION pin.  Those constraint files live
# outside PyPI (the only registry CI reaches), so unless one is vendored as
# .ci/constraints/constraints-VERSION-3.11.txt, the lane resolves every package as of VERSION's
# release day (`uv --exclude-newer`), which is how Airflow generates its constraints in the first
# place (`uv pip install --resolution highest` at release time).  Our package is installed editable
# with its test tools into a venv outside the clone (see lib.sh), reused while pyproject.toml,
# this script and the constraints stay the same.
#
# Runs (~8-10 min beside `main` on the 2-core CI machine; docs/ci.md has the measured figures):
#   1. the unit tier (marker `unit`, not slow/browser/corpus): pure logic and storage on SQLite,
#      cheap (~3.5 min wall, ~1.5 min CPU) and it imports every module against this Airflow;
#   2. the dag.test() paths of DAG_TEST_PATHS (lib.sh) on SQLite: every example DAG and the guarded,
#      circuit and alert paths through Airflow's own task runner -- what differs between versions;
#   3. one real-scheduler smoke run (a guarded task SIGKILLed mid-batch resumes from its checkpoint
#      under a real scheduler, on SQLite).
# Not here (main runs them on 3.3): the rest of the `airflow` tier (CLI, UI, policy, storage through
# Airflow, ~30 min more wall here), PostgreSQL variants, slow/browser/corpus.  Tests that need the
# native retry policy carry `airflow33`: the conftest deselects them below 3.3 and prints how many
# ("errorguard: deselected for the Airflow version"), so they are counted, never silently skipped.
# LANE_BUILD_ONLY=1: build the venv and stop.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=${1:?usage: .ci/lane-airflow.sh VERSION}
# Upload time of apache-airflow==VERSION on PyPI (the wheel), plus a day for its same-day providers.
case "$VERSION" in
    3.1.8) RELEASED=2026-03-12T00:00:00Z ;;
    3.2.2) RELEASED=2026-05-30T00:00:00Z ;;
    *) echo "lane-airflow: no release date known for Airflow $VERSION (add it to $0)" >&2; exit 2 ;;
esac
CONSTRAINTS="$ROOT/.ci/constraints/constraints-$VERSION-3.11.txt"
if [ -f "$CONSTRAINTS" ]; then
    PIN=(--constraint "$CONSTRAINTS")
    KEY=$(lane_key "$ROOT/pyproject.toml" "$0" "$ROOT/.ci/lib.sh" "$CONSTRAINTS")
else
    PIN=(--exclude-newer "$RELEASED")
    KEY=$(lane_key "$ROOT/pyproject.toml" "$0" "$ROOT/.ci/lib.sh")
fi
VENV=$(lane_venv "af-$VERSION" "$KEY")

if [ ! -f "$VENV/.complete" ]; then
    echo "lane af-$VERSION: building $VENV (${PIN[*]})"
    "${UV[@]}" venv --quiet --python 3.11 "$VENV"
    extra=()
    if [ "${TEST_DEPS[0]}" = --group ]; then extra=("${TEST_DEPS[@]}"); fi
    (cd "$ROOT" && "${UV[@]}" pip install --quiet --compile-bytecode --python "$VENV/bin/python" "${PIN[@]}" \
        "apache-airflow==$VERSION" -e "$TARGET" "${extra[@]}")
    touch "$VENV/.complete"
fi
lane_editable
"$VENV/bin/python" - "$VERSION" <<'PY'
import sys
from importlib.metadata import version

import sqlalchemy

assert version("apache-airflow") == sys.argv[1], version("apache-airflow")
print(f"lane af-{sys.argv[1]}: apache-airflow {version('apache-airflow')}, "
      f"apache-airflow-core {version('apache-airflow-core')}, SQLAlchemy {sqlalchemy.__version__}")
PY

[ -z "${LANE_BUILD_ONLY:-}" ] || exit 0  # only build/refresh the venv (e.g. to warm caches)
lane_pytest -m "unit and not slow and not browser and not corpus"
lane_pytest -m "$DAG_TEST_MARKERS" "${DAG_TEST_PATHS[@]}"
lane_pytest tests/guard/test_guarded_real_scheduler.py -k sqlite
lane_exit
