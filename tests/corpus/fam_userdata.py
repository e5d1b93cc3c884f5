"""
Errors raised by the task's own code on the values it handles, and by the libraries that parse them:
lookups and arithmetic on a record, number/date/decimal/UUID/IP parsing, JSON, YAML, TOML, XML,
CSV, base64 and struct decoding, schema validation, Jinja templates, and imports.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import importlib
import io
import ipaddress
import json
import math
import plistlib
import struct
import tomllib
import uuid
import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import dateutil.parser
import jinja2
import pendulum
import yaml

from tests.corpus.model import C, D, Family, S, T, U

NEEDS_TMP = True

RECORD: dict[str, Any] = {"id": 7, "amount": "12.50", "items": [], "customer": None, "qty": 0}


def build(family: Family, closing: list[Any], tmp: Path) -> None:  # noqa: PLR0915 (one statement per case)
    record = dict(RECORD)
    # -- lookups and arithmetic on a record -------------------------------------------------------
    family.add("keyerror-field", lambda: record["customer_id"], D, "the record lacks a field")
    family.add("indexerror-empty", lambda: record["items"][0], D, "the record has no items")
    family.add("zero-division", lambda: 100 / record["qty"], D, "a zero quantity in the record")
    family.add(
        "typeerror-none-arith", lambda: record["customer"] + 1, {D, U}, "a null where a number was expected"
    )
    family.add(
        "typeerror-str-int", lambda: record["amount"] * 1.1, {D, U}, "a string where a number was expected"
    )
    family.add(
        "attributeerror-none",
        lambda: record["customer"].strip(),  # noqa: PLW0108 (the lookup must happen when raised)
        {D, U, C},
        "a null where an object was expected (or a defect)",
    )
    family.add("overflow-exp", lambda: math.exp(1000), D, "a value out of range")
    family.add("overflow-int-float", lambda: float(10**400), D, "an integer too large for a float")
    family.add("math-domain", lambda: math.sqrt(-1), D, "ValueError: math domain error")
    # -- parsing values ------------------------------------------------------------------------
    family.add("int-parse", lambda: int("12a"), D, "not an integer")
    family.add("float-parse", lambda: float("1,5"), D, "not a float")
    family.add(
        "decimal-quantize",
        lambda: decimal.Decimal("1e30").quantize(decimal.Decimal("0.01"), context=decimal.Context(prec=10)),
        D,
        "decimal.InvalidOperation: quantize out of precision",
    )
    family.add("decimal-parse", lambda: decimal.Decimal("12.5 EUR"), D, "decimal.InvalidOperation")
    family.add(
        "date-fromisoformat", lambda: datetime.date.fromisoformat("2026-02-30"), D, "a day out of range"
    )
    family.add(
        "datetime-strptime",
        lambda: datetime.datetime.strptime("30/11/2026", "%Y-%m-%d"),
        D,
        "format mismatch",
    )
    family.add("dateutil-parse", lambda: dateutil.parser.parse("next tuesday-ish"), D, "dateutil ParserError")
    family.add("pendulum-parse", lambda: pendulum.parse("2026-11-31"), D, "pendulum ParserError")
    family.add("uuid-parse", lambda: uuid.UUID("not-a-uuid"), D, "not a UUID")
    family.add("ip-parse", lambda: ipaddress.ip_address("300.1.1.1"), D, "not an IP address")
    family.add("base64", lambda: base64.b64decode("abc", validate=True), D, "binascii.Error: bad padding")
    family.add("struct-unpack", lambda: struct.unpack(">I", b"\x00\x01"), D, "struct.error: short buffer")
    family.add("utf8-decode", lambda: b"caf\xe9".decode("utf-8"), D, "latin-1 bytes read as UTF-8")
    family.add("ascii-encode", lambda: "café".encode("ascii"), D, "UnicodeEncodeError")
    # -- formats -------------------------------------------------------------------------------
    family.add("json-trailing", lambda: json.loads('{"id": 1} x'), D, "JSONDecodeError: extra data")
    family.add("json-nan-strict", lambda: json.dumps({"x": math.nan}, allow_nan=False), D, "NaN in a record")
    family.add(
        "json-not-serializable",
        lambda: json.dumps({"at": datetime.datetime(2026, 1, 1)}),
        {D, C},
        "TypeError: a value json cannot encode (a datetime): data or a code defect",
    )
    family.add("yaml-scanner", lambda: yaml.safe_load("key: [unclosed"), D, "yaml ParserError")
    family.add("yaml-tab", lambda: yaml.safe_load("a:\n\tb: 1"), D, "yaml ScannerError: a tab")
    family.add(
        "yaml-unsafe-tag",
        lambda: yaml.safe_load("!!python/object:os.system {}"),
        D,
        "yaml ConstructorError: a tag safe_load refuses",
    )
    family.add("toml", lambda: tomllib.loads("a = "), D, "TOMLDecodeError")
    family.add("xml-etree", lambda: ET.fromstring("<a><b></a>"), D, "ParseError: mismatched tag")
    family.add("xml-minidom", lambda: xml.dom.minidom.parseString("<a>"), D, "ExpatError")
    family.add("plist", lambda: plistlib.loads(b"not a plist"), D, "InvalidFileException")
    family.add(
        "csv-field-limit",
        lambda: list(csv.reader(io.StringIO("a," + "x" * 200000))),
        D,
        "csv.Error: field larger than field limit",
    )
    family.add(
        "csv-dictreader-extra",
        lambda: [row["amount"] for row in csv.DictReader(io.StringIO("id,name\n1,a\n"))],
        D,
        "KeyError: a column the file does not have",
    )
    # -- validation ------------------------------------------------------------------------------
    import jsonschema
    import pydantic

    class Order(pydantic.BaseModel):
        id: int
        amount: decimal.Decimal

    family.add(
        "pydantic", lambda: Order.model_validate({"id": "x", "amount": "a"}), D, "pydantic ValidationError"
    )
    family.add(
        "jsonschema",
        lambda: jsonschema.validate(
            {"id": "x"}, {"type": "object", "properties": {"id": {"type": "integer"}}}
        ),
        D,
        "jsonschema ValidationError",
    )
    family.add(
        "jsonschema-bad-schema",
        lambda: jsonschema.validate({}, {"type": "no-such-type"}),
        C,
        "SchemaError: the schema itself is wrong",
    )
    # -- templates and imports: configuration --------------------------------------------------
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp)), undefined=jinja2.StrictUndefined, autoescape=True
    )
    family.add("jinja-syntax", lambda: env.from_string("{{ ds | }}"), C, "TemplateSyntaxError")
    family.add(
        "jinja-undefined",
        lambda: env.from_string("{{ params.table }}").render(params={}),
        C,
        "UndefinedError",
    )
    family.add("jinja-not-found", lambda: env.get_template("query.sql"), C, "TemplateNotFound")
    family.add("jinja-unknown-filter", lambda: env.from_string("{{ x | nofilter }}"), C, "no such filter")
    family.add(
        "import-missing", lambda: importlib.import_module("snowflake_connector_corpus13"), C, "not installed"
    )
    family.add(
        "import-name", lambda: exec("from json import no_such_name"), C, "ImportError: a name a module lacks"
    )
    family.add("recursion", lambda: json.loads("[" * 100000 + "]" * 100000), {D, S}, "deeply nested input")
    family.add(
        "memory-huge-alloc",
        lambda: bytearray(1 << 62),
        S,
        "MemoryError: an allocation the host cannot satisfy",
    )
    family.add(
        "timezone-unknown",
        lambda: pendulum.timezone("Europe/Atlantis"),
        {C, D},
        "an unknown time zone name (a setting or a record value)",
    )
    _ = T
