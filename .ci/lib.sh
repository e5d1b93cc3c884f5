# Shared by the .ci/lane-*.sh scripts (sourced, not run).
#
# Lane venvs live OUTSIDE the clone, in $ERRORGUARD_LANES_DIR (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/errorguard-lanes), keyed by lane + a hash of what decides their
# contents, so a second CI run on the same machine reuses them; packages come from uv's own cache
# ($UV_CACHE_DIR, uv's default when unset), so even a new venv installs without downloads.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANES_DIR=${ERRORGUARD_LANES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/errorguard-lanes}
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# Bytecode is cached (see .ci/run); lane venvs are compiled once when built (--compile-bytecode).
unset PYTHONDONTWRITEBYTECODE

# uv as `make venv` finds it: on PATH, else as a module of python3 (installed from PyPI if missing).
if command -v uv >/dev/null 2>&1; then
    UV=(uv)
else
    python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install uv
    UV=(python3 -m uv)
fi

# The test tools: the PEP 735 group `dev` when pyproject.toml has one, else the `test` extra.
# TEST_DEPS is the uv option for them; TARGET is our package with the extra when that is the way.
if python3 -c "import sys, tomllib; sys.exit('dev' not in tomllib.load(open(sys.argv[1], 'rb')).get('dependency-groups', {}))" "$ROOT/pyproject.toml"; then
    TEST_DEPS=(--group dev)
    TARGET="$ROOT"
else
    TEST_DEPS=(--extra test)
    TARGET="$ROOT[test]"
fi

# lane_key FILE...: a short hash of the given files' contents.
lane_key() {
    cat "$@" | sha256sum | cut -c1-12
}

# lane_venv NAME KEY: prints the venv path for NAME keyed by KEY (the caller builds it when its
# .complete stamp is missing).  Removes a half-built one of that key, and NAME's venvs of other
# keys unused for 2 days (several clones of different pyproject.toml may share the cache dir).
lane_venv() {
    local name=$1 key=$2 dir
    mkdir -p "$LANES_DIR"
    dir="$LANES_DIR/$name-$key"
    if [ -d "$dir" ] && [ ! -f "$dir/.complete" ]; then rm -rf "$dir"; fi
    [ ! -f "$dir/.complete" ] || touch "$dir/.complete"
    local other
    for other in "$LANES_DIR/$name"-*; do
        [ -d "$other" ] && [ "$other" != "$dir" ] || continue
        if [ -f "$other/.complete" ]; then
            [ -n "$(find "$other/.complete" -newermt '-2 days')" ] || rm -rf "$other"
        elif [ -z "$(find "$other" -maxdepth 0 -newermt '-2 hours')" ]; then
            rm -rf "$other"  # left half-built long ago
        fi
    done
    echo "$dir"
}

# What the compat lanes (af-*, latest) run besides the unit tier: the dag.test() paths of issue 14's
# "done means", on the session's SQLite metadata DB (marker `airflow`, not `postgres`).  Chosen so a
# lane takes ~8-10 min on the 2-core CI machine beside `main`: every example DAG, and per path the
# tests that go through Airflow's task runner (dag.test()) -- those are what differ between Airflow
# versions.  `main` runs these and every other test on Airflow 3.3.
DAG_TEST_PATHS=(
    tests/integration/test_examples.py          # every example DAG imports; zero-rewrite, decisions, shared circuit
    tests/guard/test_example_dag.py             # orders_guarded: quarantine, resume after an outage
    tests/alerts/test_example.py                # alerting_callbacks: classified alert through the callback
    tests/guard/test_guarded_airflow.py         # guarded path: end to end, error budget fails on try 1
    tests/circuit/test_circuit_airflow.py       # circuit path: deferrable sensor, reschedule while open, soft fail
    # ... but not its classic-sensor trip (~90 s): the shared-circuit example test above covers it.
    --deselect "tests/circuit/test_circuit_airflow.py::test_dead_dependency_trips_and_sensor_holds_downstream[sqlite]"
    tests/alerts/test_alert_airflow.py          # alert path: a burst alerts once, through SMTP and webhook
)
DAG_TEST_MARKERS="airflow and not unit and not postgres and not slow and not browser and not corpus"

# lane_pytest ARGS...: pytest in the lane venv from the clone's root.  A non-zero exit, 5 (nothing
# collected) included, is remembered in LANE_FAILED and the lane goes on with its next step;
# lane_exit ends the lane with 1 if any step failed.
LANE_FAILED=0
lane_pytest() {
    local rc=0
    (cd "$ROOT" && "$VENV/bin/python" -m pytest -p no:cacheprovider --durations=15 "$@") || rc=$?
    if [ "$rc" -eq 5 ]; then echo "lane: pytest collected no test for: $*" >&2; fi
    if [ "$rc" -ne 0 ]; then echo "lane: pytest exited $rc for: $*" >&2; LANE_FAILED=1; fi
    return 0
}
lane_exit() {
    exit "$LANE_FAILED"
}

# lane_editable: (re)points the venv's editable install of airflow-errorguard at this clone
# (the venv outlives clones; CI clones into a new folder every run).
lane_editable() {
    "${UV[@]}" pip install --quiet --python "$VENV/bin/python" --no-deps -e "$ROOT"
}
