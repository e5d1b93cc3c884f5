"""Data formats the first waves do not read, raised live on bytes a pipeline really receives:
msgpack, protobuf, openpyxl, fastavro, YAML beyond the parser's first errors, text in the wrong
encoding, dates and time zones (dateutil, pendulum, zoneinfo) and decimal arithmetic. Files live in
the corpus' temporary directory."""

from __future__ import annotations

import datetime
import decimal
import io
import zoneinfo
from pathlib import Path
from typing import Any

import dateutil.parser
import fastavro
import msgpack
import openpyxl
import pendulum
import yaml
from google.protobuf import struct_pb2, timestamp_pb2

from tests.corpus.model import C, D, Family

NEEDS_TMP = True

SCHEMA = {
    "type": "record",
    "name": "Order",
    "fields": [{"name": "id", "type": "long"}, {"name": "qty", "type": "int"}],
}


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    _binary_cases(family, tmp)
    _text_cases(family)


def _avro_bytes() -> bytes:
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(SCHEMA), [{"id": 1, "qty": 2}])
    return out.getvalue()


def _binary_cases(family: Family, tmp: Path) -> None:
    packed = msgpack.packb({"id": 1, "qty": 2})
    csv_as_xlsx = tmp / "orders.xlsx"
    csv_as_xlsx.write_bytes(b"id,qty\n1,2\n")
    wrong_ext = tmp / "orders.csv"
    wrong_ext.write_bytes(b"id,qty\n1,2\n")
    book = openpyxl.Workbook()
    book.active.title = "Orders"
    good = tmp / "good.xlsx"
    book.save(good)
    avro = _avro_bytes()

    def read_sheet(name: str) -> Any:
        return openpyxl.load_workbook(good, read_only=True)[name]

    for name, run, accept, why in (
        ("msgpack-extra", lambda: msgpack.unpackb(packed + b"\x01"), D, "ExtraData: bytes after the record"),
        ("msgpack-truncated", lambda: msgpack.unpackb(packed[:-2]), D, "the record is cut short"),
        ("msgpack-bad-byte", lambda: msgpack.unpackb(b"\xc1"), D, "FormatError: 0xc1 is never valid"),
        (
            "msgpack-unhashable",
            lambda: msgpack.unpackb(msgpack.packb({(1,): 1}, use_bin_type=True)),
            {D, C},
            "a map key unpacks to a list: the data is not what the reader expects",
        ),
        (
            "msgpack-pack-type",
            lambda: msgpack.packb({"at": datetime.date(2026, 1, 1)}),
            {D, C},
            "TypeError: a value msgpack cannot encode",
        ),
        (
            "protobuf-decode",
            lambda: timestamp_pb2.Timestamp().ParseFromString(b"\xff\xff\xff"),
            D,
            "DecodeError: the bytes are not this message",
        ),
        (
            "protobuf-json",
            lambda: timestamp_pb2.Timestamp().FromJsonString("yesterday"),
            D,
            "a timestamp string that is not RFC 3339",
        ),
        (
            "protobuf-struct-type",
            lambda: struct_pb2.Struct().update({"x": object()}),
            {D, C},
            "a value Struct cannot hold",
        ),
        ("xlsx-not-zip", lambda: openpyxl.load_workbook(csv_as_xlsx), D, "the .xlsx is really a CSV"),
        ("xlsx-wrong-ext", lambda: openpyxl.load_workbook(wrong_ext), {D, C}, "InvalidFileException: .csv"),
        ("xlsx-no-sheet", lambda: read_sheet("Sales"), {D, C}, "KeyError: no worksheet of that name"),
        ("xlsx-missing-file", lambda: openpyxl.load_workbook(tmp / "absent.xlsx"), C, "the file is absent"),
        ("avro-not-avro", lambda: list(fastavro.reader(io.BytesIO(b"id,qty\n1,2\n"))), D, "not an Avro file"),
        ("avro-truncated", lambda: list(fastavro.reader(io.BytesIO(avro[:-6]))), D, "the file is cut short"),
        (
            "avro-bad-record",
            lambda: fastavro.writer(io.BytesIO(), fastavro.parse_schema(SCHEMA), [{"id": "abc", "qty": 1}]),
            D,
            "a record that does not match the schema",
        ),
        (
            "avro-missing-field",
            lambda: fastavro.writer(io.BytesIO(), fastavro.parse_schema(SCHEMA), [{"id": 1}]),
            D,
            "a record without a required field",
        ),
        (
            "avro-bad-schema",
            lambda: fastavro.parse_schema(
                {"type": "record", "name": "X", "fields": [{"name": "a", "type": "no_such_type"}]}
            ),
            C,
            "SchemaParseException: the schema names an unknown type",
        ),
        (
            "avro-validate",
            lambda: fastavro.validation.validate({"id": 1, "qty": "x"}, SCHEMA, raise_errors=True),
            D,
            "ValidationError: the record does not match the schema",
        ),
    ):
        family.add(name, run, accept, why)


def _text_cases(family: Family) -> None:
    latin1 = "Zürich;Ångström".encode("latin-1")
    for name, run, accept, why in (
        ("utf8-latin1", lambda: latin1.decode("utf-8"), D, "latin-1 bytes read as UTF-8"),
        ("utf16-odd", lambda: b"\xff\xfea\x00b".decode("utf-16"), D, "a truncated UTF-16 text"),
        ("ascii-high", lambda: "naïve".encode().decode("ascii"), D, "non-ASCII bytes read as ASCII"),
        ("unknown-codec", lambda: b"x".decode("no-such-codec"), C, "LookupError: the configured encoding"),
        ("yaml-duplicate-anchor", lambda: yaml.safe_load("a: *missing"), D, "an undefined alias"),
        ("yaml-indent", lambda: yaml.safe_load("a: 1\n b: 2"), D, "a mapping value where none may be"),
        ("yaml-multi-doc", lambda: yaml.safe_load("a: 1\n---\nb: 2"), {D, C}, "two documents, one expected"),
        ("dateutil-garbage", lambda: dateutil.parser.parse("not a date"), D, "ParserError: not a date"),
        ("dateutil-range", lambda: dateutil.parser.parse("2026-02-30"), D, "day out of range for month"),
        ("pendulum-parse", lambda: pendulum.parse("31/12/2026 25:00"), D, "pendulum ParserError"),
        ("pendulum-bad-tz", lambda: pendulum.timezone("Mars/Olympus"), C, "an unknown time zone name"),
        (
            "zoneinfo-missing",
            lambda: zoneinfo.ZoneInfo("Europe/Atlantis"),
            C,
            "ZoneInfoNotFoundError: setting",
        ),
        ("fromisoformat", lambda: datetime.date.fromisoformat("2026-13-01"), D, "month 13"),
        ("strptime", lambda: datetime.datetime.strptime("2026/01/01", "%Y-%m-%d"), D, "the format differs"),
        ("decimal-invalid", lambda: decimal.Decimal("12,5"), D, "InvalidOperation: a comma decimal"),
        ("decimal-div-zero", lambda: decimal.Decimal(1) / decimal.Decimal(0), D, "DivisionByZero on data"),
        (
            "decimal-quantize",
            lambda: decimal.Decimal("1e30").quantize(decimal.Decimal("0.01")),
            D,
            "InvalidOperation: the value exceeds the precision",
        ),
        ("int-overflow", lambda: int("9" * 5000), D, "ValueError: an integer string beyond the digit limit"),
    ):
        family.add(name, run, accept, why)
