"""Deterministic demo data for the warehouse.

Every value derives from `hash(org_id, row number, field)`, so the same organisations, day
count, end date and scale always give the same rows. The new warehouse is built in a temporary
file and moved over the old one when complete: a failed seed leaves the previous data in place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from reports_pipeline.warehouse.generators.registry import GENERATORS
from reports_pipeline.warehouse.schema import create_table_sql

logger = logging.getLogger(__name__)

Progress = Callable[[str, str], None]
"""Called with (source id, organisation id) after each batch is written."""


@dataclass(frozen=True)
class SeedPlan:
    organizations: Sequence[str]
    days: int = 400
    end: date | None = None
    """Last day of data; today in UTC when unset."""
    scale: float = 1.0
    """Multiplies the rows per day of every event source (fixed-shape sources keep theirs)."""

    @property
    def end_date(self) -> date:
        return self.end or datetime.now(UTC).date()


def seed_warehouse(path: Path, plan: SeedPlan, progress: Progress | None = None) -> dict[str, int]:
    """Write a fresh warehouse at `path` for `plan`; return the row count per table."""
    if not plan.organizations:
        raise ValueError("seeding needs at least one organisation id")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    end = datetime.combine(plan.end_date + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(temporary)) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            for generator in GENERATORS:
                source = generator.source
                connection.execute(create_table_sql(source, "staging", temporary=True))
                for org in plan.organizations:
                    values = {
                        "org": org,
                        "end": end,
                        "days": plan.days,
                        "rows": generator.rows(plan.days, plan.scale),
                    }
                    # DuckDB rejects named parameters that the statement does not use.
                    parameters = {k: v for k, v in values.items() if f"${k}" in generator.sql}
                    connection.execute(generator.sql, parameters)
                    if progress:
                        progress(source.id, org)
                # Stored ordered by organisation and time, so one organisation's period scan
                # skips most row groups.
                connection.execute(
                    f'CREATE TABLE "{source.table}" AS SELECT * FROM staging '
                    f'ORDER BY "{source.org_column}", "{source.time_column}"'
                )
                connection.execute("DROP TABLE staging")
                row = connection.execute(f'SELECT count(*) FROM "{source.table}"').fetchone()
                counts[source.id] = int(row[0]) if row else 0
            connection.execute("CHECKPOINT")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("seeded warehouse %s: %s", path, counts)
    return counts


def seed_batches(plan: SeedPlan) -> int:
    """Return how many times `seed_warehouse` calls its progress callback."""
    return len(GENERATORS) * len(plan.organizations)
