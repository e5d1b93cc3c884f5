"""Formats: the standard library's codecs and archives, pyarrow, pandas, pydantic and jsonschema
failing on malformed input (every one a data failure)."""

from __future__ import annotations

import bz2
import csv
import datetime
import decimal
import gzip
import io
import json
import lzma
import pickle
import tarfile
import tomllib
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pydantic

from tests.corpus.model import C, D, Family

NEEDS_TMP = True
GARBAGE = b"this is not what the reader expects \x00\x01\x02" * 4


class Order(pydantic.BaseModel):
    customer_id: int
    amount: decimal.Decimal
    currency: str


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    def csv_strict() -> None:
        list(csv.reader(io.StringIO('a,"b\nc'), strict=True))

    family.add("csv-strict-quote", csv_strict, D, "csv.Error: unterminated quoted field")
    family.add(
        "csv-field-limit",
        lambda: list(csv.reader(io.StringIO("x" * (csv.field_size_limit() + 10)))),
        D,
        "csv.Error: field larger than the limit",
    )
    family.add("gzip-bad-magic", lambda: gzip.decompress(GARBAGE), D, "BadGzipFile: not gzip data")
    family.add(
        "gzip-truncated",
        lambda: gzip.decompress(gzip.compress(b"x" * 5000)[:-12]),
        D,
        "EOFError: compressed file ended before the end-of-stream marker (truncated input)",
    )
    family.add("zlib", lambda: zlib.decompress(GARBAGE), D, "zlib.error: incorrect header check")
    family.add("zip", lambda: zipfile.ZipFile(io.BytesIO(GARBAGE)), D, "BadZipFile: not a zip file")
    family.add(
        "tar",
        lambda: tarfile.open(fileobj=io.BytesIO(GARBAGE * 200)).close(),
        D,
        "tarfile.ReadError: not a tar file",
    )
    family.add("lzma", lambda: lzma.decompress(GARBAGE), D, "LZMAError: input format not recognised")
    family.add("bz2", lambda: bz2.decompress(GARBAGE), D, "bz2 OSError 'Invalid data stream' (no errno)")
    family.add("json", lambda: json.loads('{"a": 1,'), D, "JSONDecodeError")
    family.add("toml", lambda: tomllib.loads("a = = 1"), D, "TOMLDecodeError")
    family.add("xml", lambda: ET.fromstring("<a><b></a>"), D, "XML ParseError: mismatched tag")
    family.add("utf8", lambda: b"caf\xe9".decode("utf-8"), D, "UnicodeDecodeError")
    family.add("strptime", lambda: datetime.datetime.strptime("2026-13-45", "%Y-%m-%d"), D, "bad date value")
    family.add("decimal", lambda: decimal.Decimal("12,50"), D, "decimal.InvalidOperation: not a number")
    family.add("int", lambda: int("12a"), D, "ValueError: invalid literal")
    family.add("fromisoformat", lambda: datetime.date.fromisoformat("2026/11/29"), D, "invalid isoformat")

    family.add(
        "arrow-csv",
        lambda: pa_csv.read_csv(io.BytesIO(b"a,b\n1,2\n3,4,5\n")),
        D,
        "ArrowInvalid: CSV row has the wrong number of columns",
    )
    family.add(
        "arrow-cast",
        lambda: pa.array(["1", "x"]).cast(pa.int64()),
        D,
        "ArrowInvalid: a value cannot be cast",
    )
    family.add(
        "arrow-type",
        lambda: pa.array([1, "two"]),
        D,
        "ArrowTypeError/ArrowInvalid: mixed types in a column",
    )
    bad_parquet = tmp / "bad.parquet"
    bad_parquet.write_bytes(GARBAGE)
    family.add(
        "parquet-magic",
        lambda: pq.read_table(bad_parquet),
        D,
        "ArrowInvalid: the file is not Parquet (magic bytes)",
    )
    family.add(
        "pandas-tokenize",
        lambda: pd.read_csv(io.StringIO("a,b\n1,2\n3,4,5\n")),
        D,
        "pandas ParserError: error tokenizing data",
    )
    family.add("pandas-empty", lambda: pd.read_csv(io.StringIO("")), D, "EmptyDataError: no columns")
    family.add(
        "pandas-datetime",
        lambda: pd.to_datetime(pd.Series(["2026-11-29", "not a date"]), format="%Y-%m-%d"),
        D,
        "ValueError: a date does not match the format",
    )
    family.add(
        "pandas-astype",
        lambda: pd.Series(["1", "x"]).astype("int64"),
        D,
        "ValueError: invalid literal while casting a column",
    )
    family.add("pandas-json", lambda: pd.read_json(io.StringIO("{not json")), D, "ValueError: bad JSON")
    family.add("pickle", lambda: pickle.loads(b"garbage"), D, "UnpicklingError: truncated pickle")
    family.add(
        "pandas-missing-column",
        lambda: pd.DataFrame({"a": [1]})["customer_id"],
        {D, C},
        "KeyError: the frame has no such column",
    )
    family.add(
        "pandas-to-numeric", lambda: pd.to_numeric(pd.Series(["1", "x"])), D, "ValueError: unparsable number"
    )
    family.add(
        "pandas-int-nan",
        lambda: pd.Series([1.0, None]).astype("int64"),
        D,
        "IntCastingNaNError: a missing value in an integer column",
    )
    family.add(
        "arrow-missing-field",
        lambda: pa.table({"a": [1]}).select(["customer_id"]),
        {D, C},
        "KeyError: the table has no such field",
    )
    family.add(
        "pydantic-type",
        lambda: Order.model_validate({"customer_id": "abc", "amount": "1.5", "currency": "EUR"}),
        D,
        "pydantic ValidationError: wrong type",
    )
    family.add(
        "pydantic-missing",
        lambda: Order.model_validate({"amount": "1.5", "currency": "EUR"}),
        D,
        "pydantic ValidationError: field required",
    )
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    family.add(
        "jsonschema-type",
        lambda: jsonschema.validate({"id": "x"}, schema),
        D,
        "jsonschema ValidationError: wrong type",
    )
    family.add(
        "jsonschema-required",
        lambda: jsonschema.validate({}, schema),
        D,
        "jsonschema ValidationError: required property missing",
    )
