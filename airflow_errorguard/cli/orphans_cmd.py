"""``errorguard orphans list|purge``: rows whose DAG run was deleted (see storage/orphans.py)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from airflow_errorguard.cli import output
from airflow_errorguard.cli.confirm import confirm
from airflow_errorguard.cli.exit_codes import OK, USAGE, CliError


def cmd_list(storage: Any, args: argparse.Namespace) -> int:
    counts = storage.orphans.counts()
    rows = storage.orphans.quarantine_rows(limit=args.limit)
    checkpoints = storage.orphans.checkpoint_rows(limit=args.limit)
    if args.output == "json":
        output.as_json(
            {
                "counts": {"quarantine": counts.quarantine, "checkpoints": counts.checkpoints},
                "quarantine": rows,
                "checkpoints": checkpoints,
            }
        )
        return OK
    by_status = ", ".join(f"{s} {n}" for s, n in sorted(counts.quarantine.items())) or "none"
    print(f"orphaned quarantine rows: {sum(counts.quarantine.values())} ({by_status})")
    if rows:
        output.table(rows, ("id", "dag_id", "task_id", "run_id", "record_key", "status", "created_at"))
    print(f"orphaned checkpoints: {counts.checkpoints}")
    if checkpoints:
        output.table(checkpoints, ("id", "dag_id", "task_id", "run_id", "name", "updated_at"))
    return OK


def cmd_purge(storage: Any, args: argparse.Namespace) -> int:
    if args.older_than_days is not None and args.older_than_days < 0:
        raise CliError(f"--older-than-days must be >= 0, got {args.older_than_days}", USAGE)
    cutoff = None
    if args.older_than_days is not None:
        cutoff = storage.database.clock() - timedelta(days=args.older_than_days)
    counts = storage.orphans.counts()
    if counts.total == 0:
        deleted = counts
    else:
        since = f" not changed for {args.older_than_days:g} day(s)" if cutoff else ""
        confirm(
            f"delete up to {sum(counts.quarantine.values())} orphaned quarantine row(s) and "
            f"{counts.checkpoints} orphaned checkpoint(s){since}?",
            assume_yes=args.yes,
        )
        deleted = storage.orphans.purge(older_than=cutoff, actor=args.actor)
    if args.output == "json":
        output.as_json({"deleted": {"quarantine": deleted.quarantine, "checkpoints": deleted.checkpoints}})
    else:
        print(
            f"deleted {sum(deleted.quarantine.values())} orphaned quarantine row(s) and "
            f"{deleted.checkpoints} orphaned checkpoint(s)"
        )
    return OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser(
        "orphans", help="quarantine rows and checkpoints whose DAG run was deleted"
    ).add_subparsers(dest="command", required=True)
    p = group.add_parser("list", parents=[common], help="count and list orphaned rows")
    p.add_argument("--limit", type=int, default=50, choices=range(1, 1001), metavar="N", help="rows (1-1000)")
    p.set_defaults(handler=cmd_list)
    p = group.add_parser("purge", parents=[common], help="delete orphaned rows (audited)")
    p.add_argument("--older-than-days", type=float, help="only rows not changed for this many days")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p.set_defaults(handler=cmd_purge)
