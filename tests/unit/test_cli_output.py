"""The CLI's stdout guard: what is written to file descriptor 1 inside the block lands on stderr."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
from airflow_errorguard.cli.output import stdout_to_stderr
print("before")
with stdout_to_stderr():
    print("python print")
    os.write(1, b"written to fd 1\\n")  # what a C library or a child process does
print("after")
"""


def test_stdout_to_stderr_moves_file_descriptor_1_and_restores_it() -> None:
    # a child process: pytest's own capture replaces sys.stdout, hiding what fd 1 does
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert done.stdout == "before\nafter\n"
    assert done.stderr == "python print\nwritten to fd 1\n"
