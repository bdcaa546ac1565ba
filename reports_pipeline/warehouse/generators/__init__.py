"""Demo-data generators: one module per source, each one SQL statement over `range()`.

Every statement is `INSERT INTO staging SELECT ... FROM range(CAST($rows AS BIGINT)) AS r(i)`
with bound parameters `$org` (organisation id), `$end` (exclusive end instant, midnight UTC after
the last day), `$days` (days of history) and `$rows` (rows for this organisation). Values derive
from `hash($org, i, '<field>')`, so the same plan always yields the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports_pipeline.semantic.model import Source


def field_hash(field: str) -> str:
    """Return the SQL of a deterministic per-row, per-field hash (a UBIGINT)."""
    return f"hash($org, i, '{field}')"


@dataclass(frozen=True)
class Generator:
    """How to fill one source's table for one organisation."""

    source: Source
    sql: str
    rows_per_day: int
    """Rows per organisation and day at scale 1."""
    scalable: bool = True
    """False when the row count is fixed by the data's shape, such as one row per day and region."""

    def rows(self, days: int, scale: float) -> int:
        factor = scale if self.scalable else 1.0
        return max(1, round(days * self.rows_per_day * factor))
