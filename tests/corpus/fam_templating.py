"""Templates as Airflow renders them, raised live: ``render_template_fields`` of a real operator in a
real DAG (strict undefined, sandboxed Jinja2, ``template_ext`` files looked up on the DAG's search
path) -- undefined variables and attributes, syntax errors, unknown filters, missing template files,
unsafe attribute access, macros misused -- plus the date and parameter parsing templated values go
through: pendulum and dateutil parsing, unknown time zones, DAG params failing their schema, and an
invalid cron schedule."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dateutil.parser
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param
from airflow.sdk.execution_time import macros

from tests.corpus.model import C, D, Family

NEEDS_TMP = True

_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    (tmp / "export.sh").write_text("psql -c \"SELECT * FROM {{ params.table }} WHERE day = '{{ ds }}'\"\n")
    (tmp / "broken.sh").write_text("echo {{ ds }\n")
    context = {
        "ds": "2026-11-30",
        "logical_date": pendulum.datetime(2026, 11, 30, tz="UTC"),
        "macros": macros,
        "params": {"table": "orders", "days": 7},
    }

    def render(command: str, **dag_kw: Any) -> Callable[[], Any]:
        def run() -> None:
            dag_kw.setdefault("template_searchpath", [str(tmp)])
            with DAG("templated", schedule=None, start_date=_START, **dag_kw):
                task = BashOperator(task_id="run", bash_command=command)
            task.render_template_fields(dict(context))

        return run

    def params_check() -> None:
        with DAG(
            "parametrised", schedule=None, start_date=_START, params={"days": Param(7, type="string")}
        ) as dag:
            pass
        dag.params.validate()

    def bad_cron() -> None:
        DAG("scheduled", schedule="61 * * * *", start_date=_START).validate()

    for name, run, accept, why in (
        (
            "undefined-variable",
            render("echo {{ run_date }}"),
            C,
            "UndefinedError: the template names a variable",
        ),
        (
            "undefined-param",
            render("echo {{ params.region }}"),
            C,
            "UndefinedError: a param the DAG does not define",
        ),
        (
            "undefined-attribute",
            render("echo {{ ds.year }}"),
            C,
            "UndefinedError: ds is a string, no attribute",
        ),
        ("syntax-error", render("echo {% if %}done{% endif %}"), C, "TemplateSyntaxError in the command"),
        ("unknown-tag", render("echo {% endfor %}"), C, "TemplateSyntaxError: unknown tag 'endfor'"),
        ("unknown-filter", render("echo {{ ds | ds_format_x }}"), C, "TemplateAssertionError: no filter"),
        (
            "template-file-missing",
            render("scripts/run.sh"),
            C,
            "TemplateNotFound: a template_ext file not on path",
        ),
        ("include-missing", render("{% include 'missing.sh' %}"), C, "TemplateNotFound from an include"),
        ("file-syntax", render("broken.sh"), C, "TemplateSyntaxError in a template file"),
        (
            "sandbox",
            render("echo {{ ds.__class__.__mro__ }}"),
            C,
            "SecurityError: the sandbox refuses the access",
        ),
        (
            "macro-args",
            render("echo {{ macros.ds_add(ds, '7') }}"),
            {C, D},
            "TypeError: a macro given a string",
        ),
        (
            "macro-format",
            render("echo {{ macros.datetime.strptime(ds, '%d/%m/%Y') }}"),
            {C, D},
            "ValueError: the template's date format does not match ds",
        ),
        (
            "no-searchpath",
            render("export.sh", template_searchpath=[]),
            C,
            "TemplateNotFound: search path not set",
        ),
        ("pendulum-parse", lambda: pendulum.parse("2026-13-45"), D, "pendulum ParserError: month 13"),
        ("dateutil-parse", lambda: dateutil.parser.parse("thirty-first of never"), D, "dateutil ParserError"),
        (
            "pendulum-timezone",
            lambda: pendulum.timezone("Europe/Atlantis"),
            C,
            "InvalidTimezone: a configured zone",
        ),
        ("param-schema", params_check, C, "ParamValidationError: a DAG param fails its declared schema"),
        ("bad-cron", bad_cron, C, "AirflowTimetableInvalid: the DAG's cron expression is out of range"),
    ):
        family.add(name, run, accept, why)
