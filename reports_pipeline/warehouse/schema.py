"""DDL for the warehouse tables, derived from the semantic sources' physical columns."""

from __future__ import annotations

from sqlglot import exp

from reports_pipeline.semantic.model import Source


def create_table_sql(source: Source, table: str | None = None, *, temporary: bool = False) -> str:
    """Return `CREATE TABLE` for the source's physical columns (identifiers quoted by sqlglot).

    A temporary table lives in memory (spilling to disk when large), so staging data never
    leaves freed blocks in the database file.
    """
    columns = [
        exp.ColumnDef(
            this=exp.to_identifier(name, quoted=True),
            kind=exp.DataType.build(type_sql, dialect="duckdb"),
        )
        for name, type_sql in source.columns
    ]
    schema = exp.Schema(this=exp.to_table(table or source.table), expressions=columns)
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=schema, kind="TABLE", properties=properties).sql(dialect="duckdb")
