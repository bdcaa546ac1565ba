"""Fixed-window request counters per organisation, kept in the application database so every
API worker process shares them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from reports_pipeline.store.models import RateLimitWindow

WINDOW_SECONDS = 60
KEEP_WINDOWS = 10
"""Older windows of an organisation's budget are deleted when a new window opens."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    retry_after: int
    """Seconds until the current window closes."""


def record_request(
    engine: Engine, organization_id: str, budget: str, limit: int, now: float
) -> Decision:
    """Count one request in the current window and decide whether it is within `limit`.

    The increment is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` committed at once, so
    concurrent workers do not lose counts (the database serialises the conflicting updates).
    """
    window_start = int(now) - int(now) % WINDOW_SECONDS
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    table = RateLimitWindow.__table__
    statement = (
        dialect.insert(table)
        .values(organization_id=organization_id, budget=budget, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["organization_id", "budget", "window_start"],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.count)
    )
    with engine.begin() as connection:
        count = int(connection.execute(statement).scalar_one())
        if count == 1:
            connection.execute(
                delete(RateLimitWindow).where(
                    RateLimitWindow.organization_id == organization_id,
                    RateLimitWindow.budget == budget,
                    RateLimitWindow.window_start < window_start - KEEP_WINDOWS * WINDOW_SECONDS,
                )
            )
    retry_after = window_start + WINDOW_SECONDS - int(now)
    return Decision(allowed=count <= limit, count=count, retry_after=max(1, retry_after))
