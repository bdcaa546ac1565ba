"""The execute stage: runs a compiled query on a read-only warehouse connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.ipc

from reports_pipeline.compile import CompiledQuery
from reports_pipeline.errors import ServiceUnavailable, UnprocessableEntity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryResult:
    """A query's rows as an Arrow table, and whether the report's limit cut them."""

    table: pa.Table
    truncated: bool


def run_query(warehouse: Path, query: CompiledQuery) -> QueryResult:
    """Execute `query` and return at most `query.row_limit` rows.

    Raises `UnprocessableEntity` when a report without an explicit limit would return more than
    the row cap, and `ServiceUnavailable` when the warehouse file is missing.
    """
    if not warehouse.exists():
        raise ServiceUnavailable(
            f"the warehouse {warehouse} does not exist; run `reports warehouse seed` or "
            "`reports warehouse load` first"
        )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        table = connection.sql(query.sql, params=query.parameters).to_arrow_table()

    truncated = table.num_rows > query.row_limit
    if truncated and not query.limit_is_explicit:
        raise UnprocessableEntity(
            f"the result has more than {query.row_limit:,} rows, the row cap; narrow the period, "
            "add filters, or set a limit",
            details=[{"row_cap": query.row_limit}],
        )
    if truncated:
        table = table.slice(0, query.row_limit)
    logger.info(
        "query for org %s returned %d rows (truncated=%s)",
        query.organization_id,
        table.num_rows,
        truncated,
    )
    return QueryResult(table=table, truncated=truncated)


def write_arrow(table: pa.Table, path: Path) -> None:
    """Store a result as an Arrow IPC file for the render stage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_file(source).read_all()
