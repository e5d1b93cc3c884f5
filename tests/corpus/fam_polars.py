"""Polars: its typed errors (ColumnNotFoundError, SchemaError, InvalidOperationError, ComputeError,
ShapeError, DuplicateError, NoDataError, OutOfBoundsError, SQL errors) raised by real frames, lazy
plans and files in a temporary directory."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl

from tests.corpus.model import C, D, Family

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    df = pl.DataFrame({"id": [1, 2, 3], "sku": ["a", "b", "c"]})
    (tmp / "pl-types.csv").write_text("qty,sku\n1,a\nmany,b\n")
    (tmp / "pl-bad.parquet").write_text("not parquet")
    ctx = pl.SQLContext(orders=df)
    for name, run, accept, why in (
        ("column-missing", lambda: df.select("price"), {D, C}, "the frame lacks a column"),
        (
            "lazy-column-missing",
            lambda: df.lazy().filter(pl.col("price") > 1).collect(),
            {D, C},
            "a plan on a missing column",
        ),
        (
            "struct-field",
            lambda: pl.DataFrame({"s": [{"x": 1}]}).select(pl.col("s").struct.field("y")),
            {D, C},
            "a struct lacks a field",
        ),
        (
            "strict-cast",
            lambda: df.with_columns(pl.col("sku").cast(pl.Int64, strict=True)),
            D,
            "strings that are not numbers",
        ),
        ("int-overflow", lambda: pl.Series([300]).cast(pl.Int8, strict=True), D, "300 does not fit an Int8"),
        ("strptime", lambda: pl.Series(["2024-13-45"]).str.strptime(pl.Date, "%Y-%m-%d"), D, "not a date"),
        (
            "str-plus-int",
            lambda: df.select(pl.col("sku") + pl.col("id")),
            {C, D},
            "arithmetic on a string column",
        ),
        (
            "concat-schema",
            lambda: pl.concat([df, pl.DataFrame({"id": ["x"], "sku": ["y"]})]),
            D,
            "a batch with another schema",
        ),
        (
            "join-key-types",
            lambda: df.join(pl.DataFrame({"id": ["1"]}), on="id"),
            D,
            "join keys of differing types",
        ),
        ("shape", lambda: pl.DataFrame({"a": [1, 2], "b": [1]}), D, "columns of differing lengths"),
        ("duplicate-name", lambda: df.select(pl.col("id"), pl.col("id")), C, "the projection repeats a name"),
        (
            "pivot-many",
            lambda: pl.DataFrame({"k": [1, 1], "c": ["a", "a"], "v": [1, 2]}).pivot(
                on="c", index="k", values="v", aggregate_function=None
            ),
            D,
            "two values for one cell",
        ),
        ("row-out-of-bounds", lambda: df.row(10), D, "a row index past the end"),
        (
            "csv-parse",
            lambda: pl.read_csv(tmp / "pl-types.csv", schema_overrides={"qty": pl.Int64}),
            D,
            "a CSV value of the wrong type",
        ),
        ("csv-empty", lambda: pl.read_csv(io.StringIO("")), D, "an empty CSV"),
        ("json-bad", lambda: pl.read_json(io.StringIO('{"a": [1,')), D, "malformed JSON"),
        ("parquet-bad", lambda: pl.read_parquet(tmp / "pl-bad.parquet"), D, "not a Parquet file"),
        (
            "csv-missing",
            lambda: pl.read_csv(tmp / "incoming" / "x.csv"),
            {C, D},
            "the input file is not there",
        ),
        (
            "scan-no-files",
            lambda: pl.scan_csv(str(tmp / "incoming" / "*.csv")).collect(),
            {C, D},
            "no input file matches",
        ),
        (
            "sql-table",
            lambda: ctx.execute("select * from shipments").collect(),
            C,
            "SQL on a table not registered",
        ),
        (
            "sql-column",
            lambda: ctx.execute("select price from orders").collect(),
            {C, D},
            "SQL on a missing column",
        ),
        ("sql-syntax", lambda: ctx.execute("selec * from orders").collect(), C, "a SQL syntax error"),
        ("dtype-name", lambda: pl.Series([1]).cast("int999"), C, "a data type name Polars does not know"),  # type: ignore[arg-type]
    ):
        family.add(name, run, accept, why)
