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

from airflow_errorguard.cli import exit_codes, ops_cmd, quarantine_cmd
from airflow_errorguard.cli.connect import URL_ENV, open_storage
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


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("storage")
    where.add_argument(
        "--conn-id", default=DEFAULT_CONN_ID, help="Airflow connection (default errorguard_default)"
    )
    where.add_argument("--url", help=f"SQLAlchemy URL instead of a connection (or ${URL_ENV})")
    common.add_argument("--output", "-o", choices=("table", "json"), default="table", help="output format")
    common.add_argument(
        "--actor", default=None, help=f"name written to audit rows (${ACTOR_ENV}, default cli:<user>)"
    )
    parser = argparse.ArgumentParser(
        prog="errorguard",
        description="Work errorguard's quarantine, circuits and incidents.",
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 not confirmed, 5 some records skipped",
    )
    parser.add_argument("--version", action="version", version=f"errorguard {__version__}")
    sub = parser.add_subparsers(dest="group", required=True)
    quarantine_cmd.register(sub, common)
    ops_cmd.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.actor = args.actor or default_actor()
    try:
        storage = open_storage(args.url, args.conn_id)
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
            print(f"errorguard: {err}", file=sys.stderr)
            return exit_codes.ERROR
        raise
