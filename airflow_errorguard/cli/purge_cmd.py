"""``errorguard quarantine purge``: the retention purge, audited and batched."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from typing import Any

from airflow_errorguard.cli import output
from airflow_errorguard.cli.confirm import confirm
from airflow_errorguard.cli.exit_codes import OK, USAGE, CliError
from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES

_AGE = re.compile(r"^\s*(\d+)\s*([wdhm])\s*$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``, ``30m`` -> a positive :class:`timedelta`."""
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"--older-than must look like 90d, 12h, 2w or 30m (> 0), got {text!r}"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_statuses(text: str) -> tuple[str, ...]:
    """``discarded,replayed`` -> ``("discarded", "replayed")`` (each a known status)."""
    chosen = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in chosen if s not in QUARANTINE_STATUSES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"--status takes a comma-separated list of {', '.join(QUARANTINE_STATUSES)}; got {text!r}"
        )
    return chosen


def cmd_purge(storage: Any, args: argparse.Namespace) -> int:
    if "released" in args.status and not args.include_released:
        raise CliError(
            "purging 'released' rows would drop records waiting for replay; add --include-released", USAGE
        )
    cutoff = storage.database.clock() - args.older_than
    count = storage.quarantine.purgeable(cutoff, statuses=args.status)
    result = {
        "older_than": cutoff.isoformat(),
        "statuses": list(args.status),
        "dry_run": args.dry_run,
        "matching": count,
        "deleted": 0,
    }
    if not args.dry_run and count:
        confirm(
            f"delete {count} quarantine record(s) in {', '.join(args.status)} "
            f"unchanged since {cutoff:%Y-%m-%d %H:%M} UTC?",
            assume_yes=args.yes,
        )
        result["deleted"] = storage.quarantine.purge(
            cutoff, statuses=args.status, batch_size=args.batch_size, actor=args.actor
        )
    if args.output == "json":
        output.as_json(result)
    elif args.dry_run:
        print(f"dry run: {count} record(s) would be deleted (unchanged since {result['older_than']})")
    else:
        print(f"deleted {result['deleted']} record(s) unchanged since {result['older_than']}")
    return OK


def register(group: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = group.add_parser(
        "purge",
        parents=[common],
        help="delete old resolved records (retention), in batches, audited",
    )
    p.add_argument("--older-than", type=parse_age, required=True, help="age: 90d, 12h, 2w, 30m")
    p.add_argument(
        "--status",
        type=parse_statuses,
        default=("replayed", "discarded"),
        help="comma-separated statuses to purge (default: replayed,discarded)",
    )
    p.add_argument("--include-released", action="store_true", help="allow purging 'released' records")
    p.add_argument(
        "--batch-size",
        type=int,
        default=5000,
        choices=range(1, 100_001),
        metavar="N",
        help="rows deleted per transaction (default 5000)",
    )
    p.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_purge)
