"""
Built-in knowledge of in-process query engines and dataframe libraries, by dotted path (never
imported): DuckDB's typed errors (under ``_duckdb`` since 1.1, ``duckdb.duckdb`` before) and
Polars' (``polars.exceptions``). Merged into :data:`~.knowledge_types.TYPES`.

DuckDB subclasses the DB-API classes the way a server driver does, but its meaning differs: an
``OperationalError`` subclass such as ``ConnectionException`` or ``IOException`` is not a network
outage in an embedded engine, so each class is listed by what it reports.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T

#: DuckDB's module across releases: ``_duckdb`` (1.1+), ``duckdb.duckdb`` (0.9-1.0), ``duckdb``.
_DUCKDB_MODULES = ("_duckdb", "duckdb.duckdb", "duckdb")


def _duckdb(names: str, entry: Entry) -> dict[str, Entry]:
    return {f"{module}.{name}": entry for module in _DUCKDB_MODULES for name in names.split()}


def _polars(names: str, entry: Entry) -> dict[str, Entry]:
    return {f"polars.exceptions.{name}": entry for name in names.split()}


ENGINE_TYPES: dict[str, Entry] = {
    # --- DuckDB -------------------------------------------------------------------------------
    **_duckdb(
        "CatalogException BinderException ParserException SyntaxException DependencyException",
        (C, 0.9, "means the SQL does not match the catalog (a table, column, function or setting)"),
    ),
    **_duckdb("NotImplementedException", (C, 0.85, "means DuckDB does not support the statement")),
    **_duckdb(
        "ConversionException OutOfRangeException",
        (D, 0.92, "means a value could not be converted or does not fit its type"),
    ),
    **_duckdb("ConstraintException", (D, 0.95, "is an integrity-constraint violation")),
    **_duckdb("SequenceException", (D, 0.7, "means a sequence ran past its bounds")),
    # The catch-all of embedded-engine input checks: bad values and files (data) as well as bad
    # arguments; low confidence, so the message decides where it is specific.
    **_duckdb(
        "InvalidInputException", (D, 0.6, "means DuckDB rejected its input (a value, a file or an argument)")
    ),
    **_duckdb("TypeMismatchException", (D, 0.7, "means a value has the wrong type")),
    **_duckdb(
        "ConnectionException",
        (
            C,
            0.85,
            "means the code used a DuckDB connection that is closed or invalid (an embedded engine has "
            "no network)",
        ),
    ),
    # Files that are not there, paths that cannot be opened; a lock held by another process is
    # read from the message (transient).
    **_duckdb("IOException", (C, 0.6, "means a file or path DuckDB was given cannot be read or opened")),
    **_duckdb("PermissionException", (C, 0.95, "means DuckDB's settings forbid the access")),
    **_duckdb("OutOfMemoryException", (S, 0.95, "means DuckDB ran out of memory (memory_limit)")),
    **_duckdb("InterruptException", (T, 0.75, "means the query was interrupted")),
    **_duckdb("FatalException", (S, 0.85, "means the database instance is invalidated; restart it")),
    **_duckdb("InternalException", (S, 0.6, "is an internal DuckDB error")),
    # Write-write conflicts are the common case; misuse (no active transaction) reads from the message.
    **_duckdb("TransactionException", (T, 0.75, "means a transaction conflict: rerun the transaction")),
    # --- Polars -------------------------------------------------------------------------------
    **_polars(
        "ColumnNotFoundError SchemaFieldNotFoundError StructFieldNotFoundError",
        (D, 0.85, "means the frame lacks an expected column or field (the input's schema changed?)"),
    ),
    **_polars(
        "SchemaError ShapeError",
        (D, 0.85, "means the input's schema or shape does not match what the code expects"),
    ),
    **_polars(
        "InvalidOperationError",
        (D, 0.8, "means an operation failed on the values (most often a strict cast)"),
    ),
    **_polars("ComputeError", (D, 0.7, "means a computation or parse failed on the input")),
    **_polars("NoDataError", (D, 0.9, "means the input is empty")),
    **_polars("OutOfBoundsError", (D, 0.85, "means an index is past the end of the data")),
    **_polars("DuplicateError", (C, 0.7, "means the code produces a duplicate column name")),
    **_polars(
        "SQLInterfaceError SQLSyntaxError",
        (C, 0.9, "means the SQL is wrong or names a table that is not registered"),
    ),
}
