"""Compressed inputs pipelines read: LZ4 frames and blocks (``lz4``), Zstandard (``zstandard`` and
``backports.zstd``, the 3.14 ``compression.zstd`` API), and the same codecs through pandas and
pyarrow readers: garbage, truncated frames, wrong dictionaries and bad settings."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import lz4.block
import lz4.frame
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import zstandard
from backports import zstd as bzstd

from tests.corpus.model import C, D, Family

NEEDS_TMP = True

_ROWS = b"order_id,qty\n" + b"".join(b"%d,%d\n" % (i, i % 7) for i in range(2000))


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    lz4_frame = lz4.frame.compress(_ROWS)
    zst = zstandard.ZstdCompressor().compress(_ROWS)
    garbage = b"PK\x03\x04 this is a zip header, not a compressed stream" * 4

    family.add("lz4-not-a-frame", lambda: lz4.frame.decompress(garbage), D, "an input that is not LZ4")
    family.add("lz4-truncated", lambda: lz4.frame.decompress(lz4_frame[:-40]), D, "an LZ4 frame cut short")
    family.add(
        "lz4-block-size",
        lambda: lz4.block.decompress(lz4.block.compress(_ROWS)[:-50]),
        D,
        "an LZ4 block shorter than its header says",
    )
    family.add(
        "lz4-file-truncated",
        lambda: _read_lz4_file(tmp / "orders.csv.lz4", lz4_frame[:-40]),
        D,
        "an .lz4 file cut short (an interrupted upload)",
    )
    family.add("zstd-garbage", lambda: zstandard.ZstdDecompressor().decompress(garbage), D, "not Zstandard")
    family.add("zstd-truncated", lambda: zstandard.ZstdDecompressor().decompress(zst[:-40]), D, "a cut frame")
    trained = zstandard.ZstdCompressionDict(b"order_id,qty,customer,region,amount\n" * 64)
    with_dict = zstandard.ZstdCompressor(dict_data=trained).compress(_ROWS)
    family.add(
        "zstd-dictionary",
        lambda: zstandard.ZstdDecompressor().decompress(with_dict),
        {D, C},
        "a frame compressed with a dictionary the reader was not given",
    )
    family.add(
        "zstd-stream-garbage",
        lambda: zstandard.ZstdDecompressor().stream_reader(io.BytesIO(garbage)).read(),
        D,
        "a streamed input that is not Zstandard",
    )
    family.add(
        "zstd-level", lambda: zstandard.ZstdCompressor(level=99), C, "a compression level out of range"
    )
    family.add("bzstd-garbage", lambda: bzstd.decompress(garbage), D, "backports.zstd: not Zstandard")
    family.add("bzstd-truncated", lambda: bzstd.decompress(zst[:-40]), D, "backports.zstd: a cut frame")
    family.add(
        "bzstd-open-missing",
        lambda: bzstd.open(tmp / "missing.csv.zst").read(),
        C,
        "a file path that is absent",
    )
    family.add(
        "bzstd-option",
        lambda: bzstd.compress(_ROWS, options={bzstd.CompressionParameter.window_log: 99}),
        C,
        "a compression parameter out of range",
    )
    bad_zst = tmp / "orders.csv.zst"
    bad_zst.write_bytes(zst[: len(zst) // 2])
    family.add("pandas-zstd", lambda: pd.read_csv(bad_zst), D, "pandas reading a truncated .csv.zst")
    family.add(
        "arrow-zstd",
        lambda: pa_csv.read_csv(pa.CompressedInputStream(pa.OSFile(str(bad_zst)), "zstd")),
        D,
        "pyarrow reading a truncated Zstandard stream",
    )
    bad_lz4 = tmp / "orders.csv.lz4"
    bad_lz4.write_bytes(garbage)
    family.add(
        "arrow-lz4",
        lambda: pa_csv.read_csv(pa.CompressedInputStream(pa.OSFile(str(bad_lz4)), "lz4")),
        D,
        "pyarrow reading an .lz4 file that is not LZ4",
    )
    family.add("arrow-codec", lambda: pa.Codec("lzo"), C, "a codec this pyarrow build does not have")


def _read_lz4_file(path: Path, payload: bytes) -> bytes:
    path.write_bytes(payload)
    with lz4.frame.open(path) as stream:
        return bytes(stream.read())
