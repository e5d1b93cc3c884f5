"""A deeper wave of process deaths and damaged formats raised live: children killed by signals the
first wave does not send (SIGXCPU from a real RLIMIT_CPU, SIGBUS, SIGFPE, SIGQUIT, SIGHUP), and
archives, compressed streams, Arrow tables and validated records damaged in ways the first wave does
not have (bad CRCs, truncated streams and footers, schema mismatches, extra or out-of-range fields)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pydantic

from tests.corpus.model import C, D, Family, S, T

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    _process_cases(family)
    _format_cases(family, tmp)


def _process_cases(family: Family) -> None:
    py = sys.executable

    def child(script: str) -> Any:
        return lambda: subprocess.run([py, "-c", script], capture_output=True, check=True, timeout=30)

    def dies_of(signal_name: str) -> str:
        # The default action first: a parent started in the background (nohup, `cmd &` without job
        # control) hands its children SIGHUP/SIGQUIT ignored, and the kill would do nothing.
        return (
            f"import os, signal; signal.signal(signal.{signal_name}, signal.SIG_DFL); "
            f"os.kill(os.getpid(), signal.{signal_name})"
        )

    cpu = "import resource; resource.setrlimit(resource.RLIMIT_CPU, (1, 5))\nwhile True: pass"
    for name, script, accept, why in (
        ("rlimit-cpu-sigxcpu", cpu, {S, T}, "-24 SIGXCPU: the CPU-time limit killed it (resources)"),
        ("sigbus", dies_of("SIGBUS"), S, "-7 SIGBUS: a memory fault"),
        (
            "sigfpe",
            dies_of("SIGFPE"),
            S,
            "-8 SIGFPE: arithmetic crash",
        ),
        (
            "sigquit",
            dies_of("SIGQUIT"),
            {S, T},
            "-3 SIGQUIT: core dump",
        ),
        ("sighup", dies_of("SIGHUP"), {S, T}, "-1 SIGHUP: hung up"),
    ):
        family.add(name, child(script), accept, why)


class _Order(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    qty: int = pydantic.Field(ge=0, le=100)


def _format_cases(family: Family, tmp: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.txt", b"hello world " * 10)
    bad_crc = bytearray(buf.getvalue())
    bad_crc[bad_crc.index(b"hello")] ^= 0xFF  # flip a stored byte: the CRC no longer matches

    def read_zip() -> None:
        with zipfile.ZipFile(io.BytesIO(bytes(bad_crc))) as archive:
            archive.read("a.txt")

    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w:gz") as archive:
        info = tarfile.TarInfo("a.txt")
        info.size = 5000
        archive.addfile(info, io.BytesIO(b"x" * 5000))
    truncated_tar = tar_buf.getvalue()[: len(tar_buf.getvalue()) // 2]

    def read_tar() -> None:
        with tarfile.open(fileobj=io.BytesIO(truncated_tar), mode="r:gz") as archive:
            for member in archive:
                extracted = archive.extractfile(member)
                if extracted is not None:
                    extracted.read()

    gz = bytearray(gzip.compress(b"payload " * 100))
    gz[-8] ^= 0xFF  # the CRC-32 in the trailer
    table = pa.table({"id": [1, 2, 3]})
    parquet = tmp / "deep.parquet"
    pq.write_table(table, parquet)
    cut = tmp / "cut.parquet"
    cut.write_bytes(parquet.read_bytes()[:-12])
    schema = {"type": "object", "properties": {"state": {"enum": ["new", "done"]}}}

    for name, run, accept, why in (
        ("zip-bad-crc", read_zip, D, "BadZipFile: bad CRC-32: the archive is damaged"),
        ("tar-truncated", read_tar, D, "a truncated .tar.gz: the input is damaged"),
        ("gzip-bad-crc", lambda: gzip.decompress(bytes(gz)), D, "BadGzipFile: CRC check failed"),
        ("lzma-truncated", lambda: lzma.decompress(lzma.compress(b"x" * 1000)[:-10]), D, "truncated .xz"),
        ("bz2-truncated", lambda: bz2.decompress(bz2.compress(b"x" * 1000)[:-10]), D, "truncated .bz2"),
        ("parquet-truncated", lambda: pq.read_table(cut), D, "a parquet file cut short (no footer)"),
        (
            "arrow-concat-schema",
            lambda: pa.concat_tables([table, pa.table({"id": ["a"]})]),
            D,
            "ArrowInvalid: the batches' schemas differ",
        ),
        ("json-empty", lambda: json.loads(""), D, "JSONDecodeError on an empty document"),
        (
            "pydantic-extra",
            lambda: _Order.model_validate({"qty": 1, "note": "x"}),
            D,
            "extra field forbidden",
        ),
        ("pydantic-range", lambda: _Order.model_validate({"qty": 1000}), D, "less_than_equal: out of range"),
        (
            "jsonschema-enum",
            lambda: jsonschema.validate({"state": "lost"}, schema),
            D,
            "ValidationError: a value outside the enum",
        ),
        (
            "jsonschema-bad-schema",
            lambda: jsonschema.validate({}, {"type": "no-such-type"}),
            C,
            "SchemaError / UnknownType: the schema itself (the code's) is wrong",
        ),
    ):
        family.add(name, run, accept, why)
