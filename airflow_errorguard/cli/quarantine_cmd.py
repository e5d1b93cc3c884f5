"""``errorguard quarantine list|show|release|discard|export``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from airflow_errorguard.cli import output
from airflow_errorguard.cli.confirm import confirm
from airflow_errorguard.cli.exit_codes import NOT_FOUND, OK, PARTIAL, USAGE, CliError
from airflow_errorguard.manage.export import csv_lines, jsonl_lines
from airflow_errorguard.manage.filters import FilterError, QuarantineQuery
from airflow_errorguard.manage.serialize import audit_dict, row_dict
from airflow_errorguard.storage.quarantine_status import TransitionResult
from airflow_errorguard.storage.quarantine_types import QuarantineRow

LIST_COLUMNS = (
    "id",
    "created_at",
    "dag_id",
    "task_id",
    "run_id",
    "record_key",
    "status",
    "error_category",
    "error_message",
)
#: Rows one bulk action may change.
BULK_LIMIT = 100_000


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--dag", dest="dag_id", help="DAG id")
    group.add_argument("--task", dest="task_id", help="task id (needs --dag)")
    group.add_argument("--run", dest="run_id", help="DAG run id")
    group.add_argument(
        "--status", action="append", help="status (repeatable): quarantined, released, replayed, discarded"
    )
    group.add_argument("--category", help="error category")
    group.add_argument("--fingerprint", help="failure fingerprint")
    group.add_argument("--contains", dest="q", help="text in the error message (any case)")
    group.add_argument("--since", help="created on/after (date or ISO timestamp, UTC)")
    group.add_argument("--until", help="created before the end of (date) / before (timestamp)")


def query_of(args: argparse.Namespace) -> QuarantineQuery:
    raw = {
        k: getattr(args, k, None)
        for k in ("dag_id", "task_id", "run_id", "category", "fingerprint", "q", "since", "until")
    }
    raw["status"] = args.status or None
    try:
        return QuarantineQuery.parse(raw)
    except FilterError as err:
        raise CliError(str(err), USAGE) from err


def _rows(
    storage: Any, query: QuarantineQuery, *, with_payload: bool, limit: int | None = None
) -> Iterator[QuarantineRow]:
    after: int | None = None
    seen = 0
    while True:
        size = 500 if limit is None else min(500, limit - seen)
        page = storage.quarantine.page(
            query.filter,
            limit=size,
            after=after,
            message_contains=query.message,
            include_payload=with_payload,
        )
        yield from page.items
        seen += len(page.items)
        if page.next_cursor is None or (limit is not None and seen >= limit):
            return
        after = page.next_cursor


def cmd_list(storage: Any, args: argparse.Namespace) -> int:
    query = query_of(args)
    page = storage.quarantine.page(
        query.filter, limit=args.limit, after=args.after, message_contains=query.message
    )
    rows = [row_dict(r) for r in page.items]
    if args.output == "json":
        output.as_json({"items": rows, "next_cursor": page.next_cursor})
    else:
        output.table(rows, LIST_COLUMNS)
        if page.next_cursor is not None:
            print(f"(more: --after {page.next_cursor})", file=sys.stderr)
    return OK


def cmd_show(storage: Any, args: argparse.Namespace) -> int:
    row = storage.quarantine.get(args.id)
    if row is None:
        raise CliError(f"no quarantined record {args.id}", NOT_FOUND)
    data = row_dict(row, with_payload=True)
    data["audit"] = [audit_dict(e) for e in storage.audit.history("quarantine", args.id)]
    if args.output == "json":
        output.as_json(data)
        return OK
    audit = data.pop("audit")
    traceback = data.pop("traceback")
    output.fields(data)
    if traceback:
        print("\ntraceback:\n" + traceback)
    if audit:
        print()
        output.table(audit, ("created_at", "action", "actor", "note"))
    return OK


def _report(result: TransitionResult, args: argparse.Namespace) -> int:
    if args.output == "json":
        output.as_json({"changed": result.changed, "skipped": {str(k): v for k, v in result.skipped.items()}})
    else:
        print(f"{len(result.changed)} changed, {len(result.skipped)} skipped")
        for row_id, why in sorted(result.skipped.items()):
            print(f"  skipped {row_id}: {why}", file=sys.stderr)
    if result.skipped and all(v == "not found" for v in result.skipped.values()) and not result.changed:
        return NOT_FOUND
    return PARTIAL if result.skipped else OK


def cmd_transition(storage: Any, args: argparse.Namespace, to_status: str) -> int:
    note = (args.note or "").strip() or None
    if to_status == "discarded" and not note:
        raise CliError("discard needs --note saying why", USAGE)
    query = query_of(args)
    if args.ids and not query.is_empty:
        raise CliError("give record ids or filters, not both", USAGE)
    if args.ids:
        ids = list(args.ids)
    elif query.is_empty:
        raise CliError("give record ids, or filters for a bulk action", USAGE)
    else:
        count = storage.quarantine.count(query.filter, message_contains=query.message)
        if count > BULK_LIMIT:
            raise CliError(f"{count} records match; a bulk action may change at most {BULK_LIMIT}", USAGE)
        if count == 0:
            return _report(TransitionResult(), args)
        confirm(f"{args.command} {count} record(s) matching {query.raw}?", assume_yes=args.yes)
        ids = [r.id for r in _rows(storage, query, with_payload=False)]
    result = storage.quarantine.transition(ids, to_status, actor=args.actor, note=note)
    return _report(result, args)


def cmd_export(storage: Any, args: argparse.Namespace) -> int:
    query = query_of(args)
    rows = _rows(storage, query, with_payload=True, limit=args.limit)
    lines = csv_lines(rows) if args.format == "csv" else jsonl_lines(rows)
    if args.file in (None, "-"):
        sys.stdout.writelines(lines)
    else:
        with open(args.file, "w", encoding="utf-8", newline="") as target:
            target.writelines(lines)
    return OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("quarantine", help="quarantined records").add_subparsers(
        dest="command", required=True
    )
    p = group.add_parser("list", parents=[common], help="list records, newest first")
    add_filter_arguments(p)
    p.add_argument("--limit", type=int, default=50, choices=range(1, 1001), metavar="N", help="rows (1-1000)")
    p.add_argument("--after", type=int, help="keyset cursor printed by the previous page")
    p.set_defaults(handler=cmd_list)
    p = group.add_parser("show", parents=[common], help="one record with payload, traceback and audit")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_show)
    for name, status, text in (
        ("release", "released", "mark records ready for replay"),
        ("discard", "discarded", "give up on records (--note required)"),
        ("requarantine", "quarantined", "put released/discarded records back"),
    ):
        p = group.add_parser(name, parents=[common], help=text)
        p.add_argument("ids", nargs="*", type=int, help="record ids; or use filters for a bulk action")
        add_filter_arguments(p)
        p.add_argument("--note", help="why (stored with the audit row)")
        p.add_argument("--yes", "-y", action="store_true", help="do not ask before a bulk action")
        p.set_defaults(handler=lambda storage, args, _s=status: cmd_transition(storage, args, _s))
    p = group.add_parser("export", parents=[common], help="stream matching records as CSV or JSON Lines")
    add_filter_arguments(p)
    p.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    p.add_argument("--file", help="write here instead of stdout")
    p.add_argument("--limit", type=int, help="at most N records")
    p.set_defaults(handler=cmd_export)
