"""``errorguard circuits ...``, ``incidents list``, ``stats`` and ``db upgrade|search-index``."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from airflow_errorguard.cli import output
from airflow_errorguard.cli.exit_codes import NOT_FOUND, OK, USAGE, CliError
from airflow_errorguard.manage import circuits as ops
from airflow_errorguard.manage.filters import window_start
from airflow_errorguard.storage import stats

CIRCUIT_COLUMNS = (
    "name",
    "state",
    "window_failures",
    "window_calls",
    "trip_count",
    "next_probe_at",
    "last_error_type",
)
INCIDENT_COLUMNS = (
    "id",
    "status",
    "dag_id",
    "task_id",
    "circuit_name",
    "error_category",
    "occurrences",
    "last_seen_at",
    "fingerprint",
)
#: CLI verb -> circuit action.
CIRCUIT_VERBS = {"open": "force_open", "close": "force_close", "reset": "reset", "disable": "disable"}


def cmd_circuits_list(storage: Any, args: argparse.Namespace) -> int:
    views = [v.as_dict() for v in ops.circuit_views(storage.circuits)]
    if args.output == "json":
        output.as_json({"circuits": views})
    else:
        output.table(views, CIRCUIT_COLUMNS)
    return OK


def cmd_circuit_action(storage: Any, args: argparse.Namespace) -> int:
    try:
        snap = ops.control(
            storage.circuits, args.name, CIRCUIT_VERBS[args.verb], actor=args.actor, note=args.note
        )
    except LookupError as err:
        raise CliError(str(err), NOT_FOUND) from err
    if args.output == "json":
        output.as_json({"name": snap.name, "state": snap.state.value})
    else:
        print(f"circuit {snap.name}: {snap.state.value}")
    return OK


def cmd_incidents_list(storage: Any, args: argparse.Namespace) -> int:
    rows = storage.incidents.list(status=args.status, after_id=args.after, limit=args.limit)
    data = [asdict(r) for r in rows]
    if args.output == "json":
        output.as_json({"incidents": data, "next_cursor": rows[-1].id if len(rows) == args.limit else None})
    else:
        output.table(data, INCIDENT_COLUMNS)
    return OK


def cmd_stats(storage: Any, args: argparse.Namespace) -> int:
    db = storage.database
    try:
        since = window_start(db.clock(), args.hours)
    except ValueError as err:
        raise CliError(str(err), USAGE) from err
    data = {
        "quarantine_by_status": storage.quarantine.count_by("status"),
        "quarantine_by_category": storage.quarantine.count_by("error_category"),
        "errors_by_category": stats.counts_by_category(db, since),
        "errors_by_dag": stats.counts_by_dag(db, since, limit=20),
        "top_patterns": [asdict(p) for p in stats.top_patterns(db, since, limit=args.top)],
        "window_hours": args.hours,
    }
    if args.output == "json":
        output.as_json(data)
        return OK
    for key in ("quarantine_by_status", "quarantine_by_category", "errors_by_category", "errors_by_dag"):
        print(f"{key.replace('_', ' ')}:")
        for name, count in data[key].items():
            print(f"  {name}: {count}")
    print(f"top patterns (last {args.hours:g} h):")
    output.table(
        data["top_patterns"],
        ("fingerprint", "count", "error_category", "exception_type", "dag_count", "last_seen"),
    )
    return OK


def cmd_db_upgrade(storage: Any, args: argparse.Namespace) -> int:
    revision = storage.upgrade_schema()
    if args.output == "json":
        output.as_json({"revision": revision})
    else:
        print(f"errorguard tables at revision {revision}")
    return OK


def cmd_db_search_index(storage: Any, args: argparse.Namespace) -> int:
    from airflow_errorguard.storage import message_search

    db = storage.database
    changed = False
    if args.action == "create":
        changed = message_search.create_message_search_index(db)
    elif args.action == "drop":
        changed = message_search.drop_message_search_index(db)
    state = message_search.message_search_index_state(db)
    if args.output == "json":
        output.as_json({"index": message_search.MESSAGE_SEARCH_INDEX, "state": state, "changed": changed})
    else:
        done = {"create": " (created now)", "drop": " (dropped now)"}.get(args.action, "") if changed else ""
        print(f"message search index {message_search.MESSAGE_SEARCH_INDEX}: {state}{done}")
    return OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    circuits = sub.add_parser("circuits", help="circuit breakers").add_subparsers(
        dest="command", required=True
    )
    circuits.add_parser("list", parents=[common], help="every circuit").set_defaults(
        handler=cmd_circuits_list
    )
    for verb, text in (
        ("open", "force the circuit open (reject every call)"),
        ("close", "close the circuit now"),
        ("reset", "back to the initial state, window cleared"),
        ("disable", "let every call through, never trip"),
    ):
        p = circuits.add_parser(verb, parents=[common], help=text)
        p.add_argument("name")
        p.add_argument("--note", help="why (stored with the audit row)")
        p.set_defaults(handler=cmd_circuit_action, verb=verb)
    incidents = sub.add_parser("incidents", help="incidents").add_subparsers(dest="command", required=True)
    p = incidents.add_parser("list", parents=[common], help="incidents, oldest first")
    p.add_argument("--status", help="open, resolved...")
    p.add_argument("--after", type=int, default=0, help="keyset cursor (last id seen)")
    p.add_argument("--limit", type=int, default=100, choices=range(1, 1001), metavar="N")
    p.set_defaults(handler=cmd_incidents_list)
    p = sub.add_parser("stats", parents=[common], help="counts and top error patterns")
    p.add_argument("--hours", type=float, default=24.0, help="look-back window (default 24)")
    p.add_argument("--top", type=int, default=10, choices=range(1, 101), metavar="N")
    p.set_defaults(handler=cmd_stats)
    db = sub.add_parser("db", help="errorguard's tables").add_subparsers(dest="command", required=True)
    db.add_parser("upgrade", parents=[common], help="create/upgrade the tables").set_defaults(
        handler=cmd_db_upgrade
    )
    p = db.add_parser(
        "search-index",
        parents=[common],
        help="PostgreSQL: the opt-in trigram index for message search (faster search, slower inserts)",
    )
    p.add_argument("action", choices=("status", "create", "drop"))
    p.set_defaults(handler=cmd_db_search_index)
