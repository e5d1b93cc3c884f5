"""Confirmation prompts of bulk actions."""

from __future__ import annotations

import sys

from airflow_errorguard.cli.exit_codes import ABORTED, CliError


def confirm(question: str, *, assume_yes: bool) -> None:
    """Return when confirmed; raise :class:`CliError` (exit 4) when declined or no terminal to ask."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"{question} -- not confirmed: no terminal to ask; pass --yes", ABORTED)
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("aborted", ABORTED)
