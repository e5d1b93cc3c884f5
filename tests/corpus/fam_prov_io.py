"""Airflow's object storage as tasks use it, raised live: ``ObjectStoragePath`` over fsspec
(``file://``, ``memory://``, ``http://`` against an in-process server, schemes whose filesystem is
not installed) and common-io's ``FileTransferOperator``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.providers.common.io.operators.file_transfer import FileTransferOperator
from airflow.sdk import ObjectStoragePath

from tests.corpus.model import C, D, Family, T, U
from tests.corpus.rawservers import serve
from tests.corpus.servers import ScriptedHTTP, free_port

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    logging.getLogger("airflow").setLevel(logging.CRITICAL)
    http = serve(closing, ScriptedHTTP())
    web = f"http://127.0.0.1:{http.port}"
    src = tmp / "export.csv"
    src.write_text("id\n1\n")
    (tmp / "exists.csv").write_text("old\n")

    def read(url: str) -> Callable[[], Any]:
        return lambda: ObjectStoragePath(url).read_text()

    def write(url: str) -> Callable[[], Any]:
        return lambda: ObjectStoragePath(url).write_text("id\n1\n")

    def transfer(source: str, dest: str, **kw: Any) -> Callable[[], Any]:
        task = FileTransferOperator(task_id="copy", src=source, dst=dest, **kw)
        return lambda: task.execute({})

    for name, run, accept, why in (
        ("file-missing", read(f"file://{tmp}/absent.csv"), {C, D}, "no such local file: input or setting"),
        ("file-dir", read(f"file://{tmp}"), C, "the path names a folder: IsADirectoryError"),
        (
            "file-parent-missing",
            write("file:///nonexistent/errorguard/out.csv"),
            C,
            "the target folder is wrong",
        ),
        ("memory-missing", read("memory://bucket/absent.csv"), {C, D}, "memory:// key not there"),
        ("scheme-unknown", read("foo://bucket/x.csv"), C, "'Unsupported filesystem: foo': no such scheme"),
        (
            "scheme-s3-not-installed",
            read("s3://bucket/x.csv"),
            C,
            "'Install s3fs to access S3': a missing package",
        ),
        (
            "scheme-gcs-not-installed",
            lambda: ObjectStoragePath("gs://bucket/x.csv").exists(),
            C,
            "'Please install gcsfs': a missing package",
        ),
        ("http-404", read(f"{web}/status/404"), {C, D}, "HTTP 404 through fsspec: FileNotFoundError"),
        ("http-503", read(f"{web}/status/503"), T, "HTTP 503 through fsspec's http filesystem"),
        ("http-500", read(f"{web}/status/500"), {T, U}, "HTTP 500 through fsspec"),
        ("http-403", read(f"{web}/status/403"), C, "HTTP 403 through fsspec: credentials lack a right"),
        (
            "http-refused",
            read(f"http://127.0.0.1:{free_port()}/x.csv"),
            T,
            "nothing listens: fsspec's FileNotFoundError over aiohttp's ClientConnectorError",
        ),
        (
            "http-unknown-host",
            read("http://no-such-host.errorguard.invalid/x.csv"),
            C,
            "the URL's host does not resolve",
        ),
        (
            "transfer-src-missing",
            transfer(f"file://{tmp}/absent.csv", f"file://{tmp}/out.csv"),
            {C, D},
            "FileTransferOperator: the source is not there",
        ),
        (
            "transfer-dst-scheme",
            transfer(f"file://{src}", "s3://bucket/out.csv"),
            C,
            "FileTransferOperator to s3:// without s3fs installed",
        ),
        (
            "transfer-dst-folder",
            transfer(f"file://{src}", "file:///nonexistent/errorguard/out.csv"),
            C,
            "FileTransferOperator: the target folder does not exist",
        ),
        (
            "transfer-exists",
            transfer(f"file://{src}", f"file://{tmp}/exists.csv"),
            {C, D},
            "FileTransferOperator without overwrite onto an existing file",
        ),
    ):
        family.add(name, run, accept, why)
