"""Exit codes of the ``errorguard`` command (stable: scripts may rely on them)."""

from __future__ import annotations

OK = 0
#: errorguard's storage failed, or an unexpected error.
ERROR = 1
#: Bad arguments or filters (argparse also exits with 2).
USAGE = 2
#: The record or circuit does not exist.
NOT_FOUND = 3
#: A bulk action was not confirmed (answered no, or no terminal and no ``--yes``).
ABORTED = 4
#: The action ran, but some records were skipped (their status did not allow it).
PARTIAL = 5


class CliError(Exception):
    """Stop the command with *code* and a message on stderr."""

    def __init__(self, message: str, code: int = ERROR) -> None:
        super().__init__(message)
        self.code = code
