"""Every demo-data generator, in the order the seed runs them."""

from __future__ import annotations

from reports_pipeline.warehouse.generators import Generator, governance_daily, mcp_alert_events
from reports_pipeline.warehouse.generators.audit_logs import GENERATOR as AUDIT_LOGS
from reports_pipeline.warehouse.generators.correction_patterns import (
    GENERATOR as CORRECTION_PATTERNS,
)
from reports_pipeline.warehouse.generators.liability_daily import GENERATOR as LIABILITY_DAILY
from reports_pipeline.warehouse.generators.roi_snapshots import GENERATOR as ROI_SNAPSHOTS

GENERATORS: tuple[Generator, ...] = (
    governance_daily.GENERATOR,
    mcp_alert_events.GENERATOR,
    AUDIT_LOGS,
    CORRECTION_PATTERNS,
    LIABILITY_DAILY,
    ROI_SNAPSHOTS,
)
