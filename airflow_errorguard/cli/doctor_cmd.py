"""``errorguard doctor``: every check of :mod:`~airflow_errorguard.manage.doctor`, as a table or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_errorguard.cli import output
from airflow_errorguard.cli.connect import URL_ENV, describe, open_storage, require_existing_database
from airflow_errorguard.cli.exit_codes import ERROR, OK


def _open(args: argparse.Namespace) -> Any:
    storage = open_storage(args.url, args.conn_id)
    require_existing_database(storage)  # never create a SQLite file by looking
    return storage


def _upgrade_command(args: argparse.Namespace) -> str:
    if args.url:
        return "errorguard db upgrade --url <the same URL>"
    if args.conn_id != "errorguard_default":
        return f"errorguard db upgrade --conn-id {args.conn_id}"
    return "errorguard db upgrade"


def cmd_doctor(_storage: None, args: argparse.Namespace) -> int:
    """Run the checks; exit 1 when any check fails."""
    from airflow_errorguard.manage.doctor import DoctorTarget, diagnose, failed

    target = DoctorTarget(
        conn_id=args.conn_id,
        open_storage=lambda: _open(args),
        describe=describe,
        upgrade_command=_upgrade_command(args),
    )
    with output.stdout_to_stderr():  # Airflow's start-up logs to stdout
        findings = diagnose(target)
    if args.output == "json":
        output.as_json({"ok": not failed(findings), "findings": [f.as_dict() for f in findings]})
    else:
        _print(findings)
    return ERROR if failed(findings) else OK


def _print(findings: list[Any]) -> None:
    width = max(len(f.check) for f in findings)
    for f in findings:
        print(f"{f.status:<4}  {f.check:<{width}}  {f.summary}")
        if f.fix:
            print(f"{'':<4}  {'':<{width}}  fix: {f.fix}")
    counts = {s: sum(f.status == s for f in findings) for s in ("OK", "WARN", "FAIL", "SKIP")}
    print(", ".join(f"{n} {s}" for s, n in counts.items() if n))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "doctor",
        parents=[common],
        help="check that errorguard will work here (connection, tables, options, plugin, policy...)",
        description=(
            "Check, before the first failure, that errorguard will work with this Airflow "
            f"configuration. Storage as for every command (--url, ${URL_ENV}, --conn-id). "
            "Exit 1 when any check FAILs."
        ),
    ).set_defaults(handler=cmd_doctor, opens_storage=True)
