"""
Process deaths and resource limits: child processes killed by signals, a broken process pool, and
``MemoryError``/``ENOMEM``/``EMFILE``/``EFBIG`` raised in a child under real ``setrlimit`` limits
(the child pickles the exception back).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tests.corpus.model import C, D, Family, S, T, U


def _in_child(body: str) -> BaseException:
    """Run *body* in a fresh interpreter; it must raise; the pickled exception comes back."""
    script = (
        "import pickle, sys, resource, os, signal\ntry:\n"
        + textwrap.indent(body, "    ")
        + ("\nexcept BaseException as exc:\n    sys.stdout.buffer.write(pickle.dumps(exc))\n")
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, timeout=60)
    return pickle.loads(out.stdout)


def _die() -> None:
    os._exit(1)


def _sigkill_self() -> None:
    os.kill(os.getpid(), 9)


def build(family: Family, closing: list[Any]) -> None:
    py = sys.executable

    def run(*args: str, **kwargs: Any) -> None:
        subprocess.run(
            list(args), check=True, capture_output=True, timeout=kwargs.pop("timeout", 30), **kwargs
        )

    for signum, accept, why in (
        (9, S, "-9 SIGKILL: the OOM killer's signal; the host is in trouble"),
        (15, {S, T}, "-15 SIGTERM: the process was terminated from outside"),
        (11, S, "-11 SIGSEGV: the process crashed"),
        (6, S, "-6 SIGABRT: the process aborted"),
    ):
        family.add(
            f"killed-sig{signum}",
            lambda s=signum: run(py, "-c", f"import os; os.kill(os.getpid(), {s})"),
            accept,
            why,
        )
    family.add(
        "shell-137",
        lambda: run("sh", "-c", f"{py} -c 'import os; os.kill(os.getpid(), 9)'; exit $?"),
        S,
        "exit status 137 (128+9) from a shell: its child was SIGKILLed",
    )
    family.add(
        "shell-127", lambda: run("sh", "-c", "no-such-command-errorguard"), C, "127: command not found"
    )
    family.add("exit-1", lambda: run(py, "-c", "raise SystemExit(1)"), {U, T, D, C}, "exit 1 says nothing")
    family.add(
        "check-output-sigkill",
        lambda: subprocess.check_output(["sh", "-c", "kill -9 $$"]),
        S,
        "check_output of a shell that was SIGKILLed",
    )
    family.add(
        "not-executable-126",
        lambda: run("sh", "-c", "/etc/hostname"),
        C,
        "126: the command is not executable",
    )
    family.add(
        "exec-missing",
        lambda: run("/nonexistent/errorguard-tool"),
        C,
        "FileNotFoundError launching a binary that is not installed",
    )
    family.add(
        "subprocess-timeout",
        lambda: run(py, "-c", "import time; time.sleep(5)", timeout=0.3),
        T,
        "TimeoutExpired: the child did not finish in time",
    )

    def broken_pool(target: Any) -> Any:
        def run_pool() -> None:
            with ProcessPoolExecutor(max_workers=1) as pool:
                pool.submit(target).result(timeout=30)

        return run_pool

    family.add(
        "unpicklable-task",
        broken_pool(lambda: 1),
        C,
        "a lambda cannot be pickled to a worker process: a code error",
    )
    family.add("broken-pool-exit", broken_pool(_die), S, "BrokenProcessPool: a worker died abruptly")
    family.add(
        "broken-pool-sigkill", broken_pool(_sigkill_self), S, "BrokenProcessPool: a worker was SIGKILLed"
    )

    limit_as = "resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))\n"
    family.add(
        "memoryerror-rlimit-as",
        _in_child(limit_as + "b = bytearray(2**30)"),
        S,
        "MemoryError under RLIMIT_AS (raised live in a child, pickled back)",
    )
    family.add(
        "enomem-mmap",
        _in_child(limit_as + "import mmap\nmmap.mmap(-1, 2**30)"),
        S,
        "OSError ENOMEM from mmap under RLIMIT_AS",
    )
    family.add(
        "emfile",
        _in_child(
            "resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))\n"
            "files = [open(os.devnull) for _ in range(50)]"
        ),
        S,
        "OSError EMFILE: too many open files under RLIMIT_NOFILE",
    )
    family.add(
        "efbig",
        _in_child(
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
            "import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b'x' * 65536)\n    f.flush()"
        ),
        S,
        "OSError EFBIG: file size limit",
    )

    def write_full() -> None:
        with open("/dev/full", "wb") as device:
            device.write(b"x")
            device.flush()

    family.add("enospc", write_full, S, "OSError ENOSPC: no space left on device (/dev/full)")
    family.add(
        "recursion",
        _in_child("import json\njson.loads('[' * 100000 + ']' * 100000)"),
        {D, S},
        "RecursionError on deeply nested input",
    )
