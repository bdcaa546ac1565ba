"""Every demo-data generator, in the order the seed runs them."""

from __future__ import annotations

from reports_pipeline.warehouse.generators import Generator, governance_daily, mcp_alert_events

GENERATORS: tuple[Generator, ...] = (
    governance_daily.GENERATOR,
    mcp_alert_events.GENERATOR,
)
