"""Loads a customer's Parquet or CSV export into one warehouse table.

The file's columns are checked against the source before anything changes. A missing column,
a value that does not convert to the column's type, an enum value outside the allowed list, or
a row without an organisation stops the load with a message naming the column. The load works
on a copy of the warehouse that replaces the original only when complete, so a failed load
leaves the previous data in place and running reports keep reading the old file.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from reports_pipeline.semantic.model import FieldType, Source
from reports_pipeline.warehouse.schema import create_table_sql

logger = logging.getLogger(__name__)

READERS = {".parquet": "read_parquet", ".csv": "read_csv"}


class LoadError(Exception):
    """The file does not fit the source; nothing was changed."""


@dataclass(frozen=True)
class LoadResult:
    rows: int
    ignored_columns: tuple[str, ...]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _reader(path: Path) -> str:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise LoadError(f"{path.name}: unsupported file type; use .parquet or .csv")
    return reader


def _check(connection: duckdb.DuckDBPyConnection, source: Source, organization: str | None) -> None:
    """Check the `incoming` view against the source; raise LoadError on the first problem."""
    present = {row[0] for row in connection.execute("DESCRIBE incoming").fetchall()}
    missing = [f"{name} ({kind})" for name, kind in source.columns if name not in present]
    if missing:
        raise LoadError(f"missing columns for source {source.id}: {', '.join(missing)}")

    for name, kind in source.columns:
        column = _quote(name)
        bad = connection.execute(
            f"SELECT {column}, count(*) OVER () FROM incoming "
            f"WHERE {column} IS NOT NULL AND TRY_CAST({column} AS {kind}) IS NULL LIMIT 1"
        ).fetchall()
        if bad:
            value, count = bad[0]
            raise LoadError(
                f"column {name}: {count} values do not convert to {kind}, such as {value!r}"
            )

    org = _quote(source.org_column)
    if connection.execute(f"SELECT count(*) FROM incoming WHERE {org} IS NULL").fetchall()[0][0]:
        raise LoadError(f"column {source.org_column}: every row needs an organisation id")
    if organization is not None:
        others = connection.execute(
            f"SELECT DISTINCT {org} FROM incoming WHERE {org} <> $org LIMIT 3",
            {"org": organization},
        ).fetchall()
        if others:
            found = ", ".join(str(row[0]) for row in others)
            raise LoadError(
                f"column {source.org_column}: rows of other organisations ({found}) in a load "
                f"for {organization}"
            )

    for dimension in source.dimensions:
        if dimension.type is not FieldType.ENUM:
            continue
        column = _quote(dimension.column)
        outside = connection.execute(
            f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM incoming "
            f"WHERE {column} IS NOT NULL "
            f"AND NOT list_contains($allowed, CAST({column} AS VARCHAR)) LIMIT 5",
            {"allowed": list(dimension.allowed_values)},
        ).fetchall()
        if outside:
            values = ", ".join(repr(row[0]) for row in outside)
            raise LoadError(
                f"column {dimension.column}: values {values} are not among the allowed "
                f"{', '.join(dimension.allowed_values)}"
            )


def load_file(
    warehouse: Path, source: Source, path: Path, *, organization: str | None = None
) -> LoadResult:
    """Replace the source's table (or one organisation's rows of it) with the file's rows."""
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    reader = _reader(path)
    temporary = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.load")
    if warehouse.exists():
        shutil.copyfile(warehouse, temporary)
    try:
        with duckdb.connect(str(temporary)) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            # A view cannot take bound parameters, so the path is quoted as a SQL literal.
            literal = exp.Literal.string(str(path)).sql(dialect="duckdb")
            connection.execute(f"CREATE TEMP VIEW incoming AS SELECT * FROM {reader}({literal})")
            try:
                _check(connection, source, organization)
            except duckdb.Error as exc:
                raise LoadError(f"{path.name}: cannot be read: {exc}") from exc
            present = {row[0] for row in connection.execute("DESCRIBE incoming").fetchall()}
            ignored = tuple(sorted(present - {name for name, _ in source.columns}))

            table = _quote(source.table)
            columns = ", ".join(_quote(name) for name, _ in source.columns)
            casts = ", ".join(
                f"CAST({_quote(name)} AS {kind}) AS {_quote(name)}" for name, kind in source.columns
            )
            order = f"{_quote(source.org_column)}, {_quote(source.time_column)}"
            connection.execute("BEGIN")
            connection.execute(create_table_sql(source, "loaded", temporary=True))
            if organization is not None and _has_table(connection, source.table):
                connection.execute(
                    f"INSERT INTO loaded SELECT {columns} FROM {table} "
                    f"WHERE {_quote(source.org_column)} <> $org",
                    {"org": organization},
                )
            connection.execute(f"INSERT INTO loaded SELECT {casts} FROM incoming")
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM loaded ORDER BY {order}")
            connection.execute("DROP TABLE loaded")
            connection.execute("COMMIT")
            rows = connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            connection.execute("CHECKPOINT")
        os.replace(temporary, warehouse)
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("loaded %s into %s (%d rows in the table)", path, source.table, rows)
    return LoadResult(rows=int(rows), ignored_columns=ignored)


def _has_table(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $name", {"name": table}
    ).fetchall()
    return bool(found[0][0])
