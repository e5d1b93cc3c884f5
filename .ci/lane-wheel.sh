#!/usr/bin/env bash
# Wheel lane: the package as users install it. Builds the wheel, installs it (not editable) into a
# fresh venv with the Airflow of uv.lock (every dependency pinned to uv.lock as a constraint, so the
# wheel's own metadata decides what gets installed), then, on a throwaway AIRFLOW_HOME (SQLite, no
# example DAGs): `airflow db migrate` (errorguard's tables must exist afterwards), `airflow
# providers list` and `airflow plugins` (errorguard listed in both) and `airflow dags test` of
# dags_examples/orders_guarded.py (must succeed and quarantine its 20 malformed orders).
# Prints each step's wall time; exits non-zero on any failure. Usage: .ci/lane-wheel.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LANE_START=$SECONDS

if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=(python3 -m uv); fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/errorguard-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"  # never the source tree: only the installed package may be importable

STEP_START=$SECONDS
step() { echo "==> $* ($((SECONDS - LANE_START)) s)"; STEP_START=$SECONDS; }
done_step() { echo "    ok in $((SECONDS - STEP_START)) s"; }
fail() { echo "lane-wheel: FAILED: $*" >&2; exit 1; }

step "build the wheel"
"${UV[@]}" build --wheel --out-dir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "uv build"; }
WHEEL="$(ls "$WORK"/dist/airflow_errorguard-*.whl)"
CONTENTS="$(python3 -m zipfile -l "$WHEEL")"
for member in airflow_errorguard/py.typed airflow_errorguard/storage/alembic.ini \
    airflow_errorguard/storage/migrations/env.py .dist-info/licenses/LICENSE; do
    grep -q -- "$member" <<<"$CONTENTS" || fail "$member is not in $(basename "$WHEEL")"
done
echo "    $(basename "$WHEEL"): py.typed, LICENSE and the migrations are in it"
done_step

step "install it into a fresh venv"
"${UV[@]}" export --project "$ROOT" --frozen --no-dev --no-emit-project --no-hashes --quiet \
    -o "$WORK/constraints.txt"
AIRFLOW_VERSION="$(sed -n 's/^apache-airflow==\([^ ;]*\).*/\1/p' "$WORK/constraints.txt")"
[ -n "$AIRFLOW_VERSION" ] || fail "no apache-airflow pin in uv.lock"
"${UV[@]}" venv --quiet --python 3.11 "$WORK/venv"
PY="$WORK/venv/bin/python"
"${UV[@]}" pip install --quiet --python "$PY" -c "$WORK/constraints.txt" "$WHEEL" "apache-airflow==$AIRFLOW_VERSION"
"$PY" - <<'EOF' || fail "the installed package is not the wheel's"
import importlib.metadata as md, airflow_errorguard
where = airflow_errorguard.__file__
assert "/site-packages/" in where, f"airflow_errorguard imported from {where}, not the venv"
direct = md.distribution("airflow-errorguard").read_text("direct_url.json") or ""
assert '"editable": true' not in direct, "installed editable"
print(f"    airflow_errorguard {airflow_errorguard.__version__} from {where}")
EOF
echo "    apache-airflow $("$PY" -c 'import importlib.metadata as m; print(m.version("apache-airflow"))')"
done_step

# Airflow runs with nothing from the caller's environment but PATH, HOME and the locale.
HOME_DIR="$WORK/airflow-home"
mkdir -p "$HOME_DIR" "$WORK/dags"
cp "$ROOT/dags_examples/orders_guarded.py" "$WORK/dags/"
DB_URL="sqlite:///$HOME_DIR/airflow.db"
airflow_env=(
    env -i "PATH=$WORK/venv/bin:/usr/bin:/bin" "HOME=${HOME:-$WORK}" "LANG=C.UTF-8"
    "AIRFLOW_HOME=$HOME_DIR" "AIRFLOW__CORE__LOAD_EXAMPLES=False"
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$DB_URL" "AIRFLOW__CORE__DAGS_FOLDER=$WORK/dags"
    "AIRFLOW__CORE__PARALLELISM=4" "AIRFLOW_CONN_ERRORGUARD_DEFAULT=$DB_URL"
    "ORDERS_SINK_DB=$WORK/orders.db"
)

step "airflow db migrate"
"${airflow_env[@]}" airflow db migrate >"$WORK/migrate.log" 2>&1 || { tail -50 "$WORK/migrate.log"; fail "airflow db migrate"; }
"${airflow_env[@]}" python - <<'EOF' || fail "errorguard's tables are missing after airflow db migrate"
import os, sqlalchemy as sa
from airflow_errorguard.storage.db_manager import ErrorGuardDBManager
from airflow_errorguard.storage.tables import errorguard_metadata
have = set(sa.inspect(sa.create_engine(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])).get_table_names())
want = set(errorguard_metadata.tables) | {ErrorGuardDBManager.version_table_name}
missing = sorted(want - have)
assert not missing, f"missing: {missing}"
print(f"    {len(want)} errorguard tables present")
EOF
done_step

step "airflow providers list"
"${airflow_env[@]}" airflow providers list -o plain >"$WORK/providers.txt" 2>&1 || { cat "$WORK/providers.txt"; fail "airflow providers list"; }
grep -E "^airflow-errorguard[[:space:]]" "$WORK/providers.txt" || { cat "$WORK/providers.txt"; fail "airflow-errorguard is not listed"; }
done_step

step "airflow plugins"
"${airflow_env[@]}" airflow plugins -o plain >"$WORK/plugins.txt" 2>&1 || { cat "$WORK/plugins.txt"; fail "airflow plugins"; }
grep -E "^errorguard[[:space:]]" "$WORK/plugins.txt" | cut -c1-150 || { cat "$WORK/plugins.txt"; fail "the errorguard plugin is not listed"; }
done_step

step "airflow dags test errorguard_orders_guarded"
"${airflow_env[@]}" airflow dags test errorguard_orders_guarded >"$WORK/dags-test.log" 2>&1 || { tail -80 "$WORK/dags-test.log"; fail "airflow dags test"; }
"${airflow_env[@]}" python - <<'EOF' || { tail -80 "$WORK/dags-test.log"; fail "the example DAG did not end as documented"; }
import os, sqlalchemy as sa
engine = sa.create_engine(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
with engine.connect() as db:
    states = db.execute(sa.text("SELECT state FROM dag_run WHERE dag_id = 'errorguard_orders_guarded'")).scalars().all()
    quarantined = db.execute(sa.text("SELECT count(*) FROM errorguard_quarantine")).scalar()
assert states == ["success"], f"dag run states: {states}"
assert quarantined == 20, f"{quarantined} quarantined records, expected 20"
print(f"    run: success; {quarantined} malformed orders quarantined")
EOF
echo "    dags test wall time: $((SECONDS - STEP_START)) s"
done_step

echo "lane-wheel: OK in $((SECONDS - LANE_START)) s"
