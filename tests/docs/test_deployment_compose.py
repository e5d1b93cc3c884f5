"""
docker-compose.airflow.yml is a valid Compose file and wires what docs/deployment.md says.

There is no Docker engine on the CI machines: the file is validated against the Compose
Specification's JSON schema (vendored in deploy/, see deploy/compose-spec.SOURCE.md), and its role
script is run against a real PostgreSQL database.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from pathlib import Path
from typing import Any

import jsonschema
import psycopg2
import pytest
import yaml
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.harness.postgres import admin_url, airflow_url, create_database, drop_database, unreachable

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.airflow.yml"
SCHEMA = ROOT / "deploy" / "compose-spec.json"
ROLE_SQL = ROOT / "deploy" / "init-errorguard-role.sql"
DOC = ROOT / "docs" / "deployment.md"
STORAGE_DOC = ROOT / "docs" / "storage.md"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker-1",
    "airflow-worker-2",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"} | {"postgres", "redis"}

# Compose's own formats (Go-style durations, port and expose strings), not JSON Schema's ISO ones.
COMPOSE_FORMATS = jsonschema.FormatChecker(formats=())
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_PORTS = re.compile(r"^((\[?[\w.:]+\]?:)?\d+(-\d+)?:)?\d+(-\d+)?(/(tcp|udp|sctp))?$")


@COMPOSE_FORMATS.checks("duration")
def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or bool(_DURATION.match(value))


@COMPOSE_FORMATS.checks("ports")
@COMPOSE_FORMATS.checks("expose")
def _is_port(value: object) -> bool:
    return not isinstance(value, str) or bool(_PORTS.match(value))


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema, format_checker=COMPOSE_FORMATS)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


# -- the Compose Specification ---------------------------------------------------------------------


@pytest.mark.unit
def test_vendored_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    assert schema["title"] == "Compose Specification"


@pytest.mark.unit
def test_compose_file_validates_against_the_compose_specification() -> None:
    assert _errors(_compose()) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("services", "redis", "helthcheck"), {"test": ["CMD", "true"]}, "helthcheck"),
        (("services", "redis", "healthcheck", "interval"), "10 seconds", "10 seconds"),
        (("services", "airflow-init", "depends_on", "postgres", "condition"), "service_up", "service_up"),
        (("services", "airflow-apiserver", "ports"), ["8080:http"], "8080:http"),
        (("services", "airflow-scheduler", "restart"), ["always"], "always"),
    ],
)
def test_schema_validation_rejects_a_broken_file(path: tuple[str, ...], value: object, expected: str) -> None:
    broken = copy.deepcopy(_compose())
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    errors = _errors(broken)
    assert errors and any(expected in e for e in errors), errors


# -- what the file wires ---------------------------------------------------------------------------


@pytest.mark.unit
def test_services_are_the_documented_topology() -> None:
    services = _compose()["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis", "errorguard-role"}
    block = re.search(r"<!-- \[START services\] -->(.*?)<!-- \[END services\] -->", DOC.read_text(), re.S)
    assert block, "docs/deployment.md lost its services table"
    documented = set(re.findall(r"^\| `([\w-]+)` \|", block.group(1), re.M))
    assert documented == set(services), "docs/deployment.md's service table and the compose file differ"


@pytest.mark.unit
def test_airflow_runs_celery_on_postgres_and_redis() -> None:
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert make_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).host == "postgres"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert services["airflow-apiserver"]["command"] == ["api-server"]
    assert services["airflow-scheduler"]["command"] == ["scheduler"]
    assert services["airflow-dag-processor"]["command"] == ["dag-processor"]
    assert services["airflow-triggerer"]["command"] == ["triggerer"]


@pytest.mark.unit
def test_two_celery_workers_with_distinct_hostnames() -> None:
    services = _compose()["services"]
    workers = [s for s in services.values() if s.get("command", [None])[:2] == ["celery", "worker"]]
    assert len(workers) == 2
    assert len({w["hostname"] for w in workers}) == 2


@pytest.mark.unit
def test_init_service_migrates_and_everything_waits_for_it() -> None:
    services = _compose()["services"]
    assert services["airflow-init"]["command"] == ["db", "migrate"]
    role = services["errorguard-role"]
    assert role["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert "/deploy/init-errorguard-role.sql" in role["command"]
    assert "./deploy/init-errorguard-role.sql:/deploy/init-errorguard-role.sql:ro" in role["volumes"]
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends = services[name]["depends_on"]
        assert depends["errorguard-role"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


@pytest.mark.unit
def test_every_long_running_service_has_a_health_check() -> None:
    services = _compose()["services"]
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check["test"][0] in {"CMD", "CMD-SHELL"}, name
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


@pytest.mark.unit
def test_errorguard_connection_uses_the_least_privilege_role() -> None:
    services = _compose()["services"]
    role = re.search(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']+)'", ROLE_SQL.read_text())
    assert role
    for name in AIRFLOW_SERVICES:
        url = make_url(services[name]["environment"]["AIRFLOW_CONN_ERRORGUARD_DEFAULT"])
        expected = (role[1], role[2], "postgres", "airflow")
        assert (url.username, url.password, url.host, url.database) == expected, name


@pytest.mark.unit
def test_role_script_grants_exactly_what_the_docs_document() -> None:
    documented = re.search(
        r"<!-- \[START least_privilege_role\] -->\n```sql\n(.*?)```", STORAGE_DOC.read_text(), re.S
    )
    assert documented
    grants = documented.group(1).split("\n", 1)[1]  # everything after CREATE ROLE
    assert grants in ROLE_SQL.read_text()


@pytest.mark.unit
def test_provider_is_installed_from_the_repository_and_examples_are_mounted() -> None:
    compose = _compose()
    services = compose["services"]
    dockerfile = (ROOT / services["airflow-apiserver"]["build"]["dockerfile"]).read_text()
    assert "COPY --chown=airflow:root airflow_errorguard /opt/errorguard/airflow_errorguard" in dockerfile
    assert re.search(r'pip install .*"apache-airflow==\$\{AIRFLOW_VERSION\}" /opt/errorguard', dockerfile)
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}", dockerfile, re.M)
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.\d+$", dockerfile, re.M)
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"]["context"] == "."
        assert "./dags_examples:/opt/airflow/dags:ro" in services[name]["volumes"]
        assert services[name]["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    assert (ROOT / "dags_examples" / "orders_guarded.py").is_file()
    for name in AIRFLOW_SERVICES:
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            assert not source.startswith("./") or (ROOT / source).exists(), volume


# -- the role script on a real PostgreSQL ----------------------------------------------------------


@pytest.mark.postgres
def test_role_script_runs_twice_and_the_role_can_use_errorguard_only() -> None:
    server = admin_url()
    try:
        database = create_database(server, prefix="errorguard_deploy_")
    except psycopg2.OperationalError as err:
        unreachable(err, server)
    role = f"errorguard_worker_{secrets.token_hex(4)}"
    owner_url = airflow_url(server, database)
    script = (
        ROLE_SQL.read_text()
        .replace("errorguard_worker", role)
        .replace("ON DATABASE airflow", f'ON DATABASE "{database}"')
    )
    owner = create_storage_engine(make_url(owner_url), pooled=False)
    worker_url = make_url(owner_url).set(username=role, password="errorguard")
    worker = create_storage_engine(worker_url, pooled=False)
    try:
        upgrade(owner_url)
        with owner.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE connection (conn_id text, password text)")
        for _ in range(2):  # idempotent: the errorguard-role service may run on every `up`
            with owner.begin() as conn:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(script)  # as psql runs it
                cursor.close()
        repo = QuarantineRepository(Database(worker, conn_id="errorguard_default"))
        result = repo.add(TaskIdentity("orders", "clean", "manual__1"), [QuarantineItem("k1", {"id": 1})])
        assert result.inserted == 1
        with worker.connect() as conn, pytest.raises(sa_exc.ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT * FROM connection"))
    finally:
        worker.dispose()
        owner.dispose()
        drop_database(server, database)
        with create_storage_engine(make_url(airflow_url(server, "postgres")), pooled=False).begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
