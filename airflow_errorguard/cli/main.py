"""
``errorguard``: work the quarantine, circuits and incidents from a shell or a runbook.

Exit codes (see :mod:`~airflow_errorguard.cli.exit_codes`): 0 ok, 1 storage/unexpected error,
2 usage, 3 not found, 4 bulk action not confirmed, 5 some records skipped.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import Any

from airflow_errorguard.cli import doctor_cmd, exit_codes, ops_cmd, orphans_cmd, quarantine_cmd
from airflow_errorguard.cli.connect import (
    REMEDY,
    URL_ENV,
    describe,
    missing_tables,
    open_storage,
    require_existing_database,
)
from airflow_errorguard.cli.exit_codes import CliError
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.version import __version__

ACTOR_ENV = "ERRORGUARD_ACTOR"


def default_actor() -> str:
    """``$ERRORGUARD_ACTOR``, else ``cli:<login name>``."""
    try:
        login = getpass.getuser()
    except Exception:
        login = "unknown"
    return os.environ.get(ACTOR_ENV) or f"cli:{login}"


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """
    Options accepted before or after the subcommand. The subcommand's copies default to
    ``SUPPRESS``, so they only override what was given before the subcommand.
    """

    def default(value: object) -> object:
        return value if top_level else argparse.SUPPRESS

    where = parser.add_argument_group("storage (before or after the subcommand)")
    where.add_argument(
        "--conn-id",
        default=default(DEFAULT_CONN_ID),
        help="Airflow connection (default errorguard_default; $AIRFLOW_CONN_<ID> is read without Airflow)",
    )
    where.add_argument(
        "--url", default=default(None), help=f"SQLAlchemy URL instead of a connection (or ${URL_ENV})"
    )
    parser.add_argument(
        "--output", "-o", choices=("table", "json"), default=default("table"), help="output format"
    )
    parser.add_argument(
        "--actor",
        default=default(None),
        help=f"name written to audit rows (${ACTOR_ENV}, default cli:<user>)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, top_level=False)
    parser = argparse.ArgumentParser(
        prog="errorguard",
        description="Work errorguard's quarantine, circuits and incidents.",
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 not confirmed, 5 some records skipped",
    )
    parser.add_argument("--version", action="version", version=f"errorguard {__version__}")
    add_global_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="group", required=True)
    quarantine_cmd.register(sub, common)
    ops_cmd.register(sub, common)
    orphans_cmd.register(sub, common)
    doctor_cmd.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.actor = args.actor or default_actor()
    storage = None
    try:
        if getattr(args, "opens_storage", False):  # doctor: reports storage problems itself
            return int(args.handler(None, args))
        storage = open_storage(args.url, args.conn_id)
        if not getattr(args, "creates_tables", False):
            require_existing_database(storage)
        return int(args.handler(storage, args))
    except CliError as err:
        print(f"errorguard: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return exit_codes.ABORTED
    except BrokenPipeError:
        return exit_codes.OK
    except Exception as err:
        from airflow_errorguard.exceptions import ErrorGuardError

        if isinstance(err, ErrorGuardError):
            print(f"errorguard: {_explain(err, storage)}", file=sys.stderr)
            return exit_codes.ERROR
        raise


def _explain(err: Exception, storage: Any) -> str:
    """*err*, or what to do when it failed because errorguard's tables are not there."""
    from airflow_errorguard.exceptions import ErrorGuardStorageError

    if storage is None or not isinstance(err, ErrorGuardStorageError):
        return str(err)
    try:
        missing = missing_tables(storage)
    except Exception:
        return str(err)
    if not missing:
        return str(err)
    return f"errorguard's tables are not in {describe(storage)}; missing {', '.join(missing)}: {REMEDY}"
