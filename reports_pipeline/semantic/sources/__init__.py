"""The whitelisted sources: one module per warehouse table.

A report can only reference sources, dimensions and metrics declared here. To add a source,
write its module beside these and list it below.
"""

from __future__ import annotations

from reports_pipeline.semantic.model import Source
from reports_pipeline.semantic.sources.audit_logs import AUDIT_LOGS
from reports_pipeline.semantic.sources.correction_patterns import CORRECTION_PATTERNS
from reports_pipeline.semantic.sources.governance_daily import GOVERNANCE_DAILY
from reports_pipeline.semantic.sources.liability_daily import LIABILITY_DAILY
from reports_pipeline.semantic.sources.mcp_alert_events import MCP_ALERT_EVENTS
from reports_pipeline.semantic.sources.roi_snapshots import ROI_SNAPSHOTS

SOURCES: dict[str, Source] = {
    source.id: source
    for source in (
        AUDIT_LOGS,
        CORRECTION_PATTERNS,
        GOVERNANCE_DAILY,
        LIABILITY_DAILY,
        MCP_ALERT_EVENTS,
        ROI_SNAPSHOTS,
    )
}


def get_source(source_id: str) -> Source | None:
    return SOURCES.get(source_id)
