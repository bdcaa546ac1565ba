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
from reports_pipeline.semantic.sources.mcp_config_audit import MCP_CONFIG_AUDIT
from reports_pipeline.semantic.sources.nhi_daily import NHI_DAILY
from reports_pipeline.semantic.sources.proxy_logs import PROXY_LOGS
from reports_pipeline.semantic.sources.roi_snapshots import ROI_SNAPSHOTS
from reports_pipeline.semantic.sources.tool_cost_hourly import TOOL_COST_HOURLY
from reports_pipeline.semantic.sources.tool_usage_hourly import TOOL_USAGE_HOURLY

SOURCES: dict[str, Source] = {
    source.id: source
    for source in (
        AUDIT_LOGS,
        CORRECTION_PATTERNS,
        GOVERNANCE_DAILY,
        LIABILITY_DAILY,
        MCP_ALERT_EVENTS,
        MCP_CONFIG_AUDIT,
        NHI_DAILY,
        PROXY_LOGS,
        ROI_SNAPSHOTS,
        TOOL_COST_HOURLY,
        TOOL_USAGE_HOURLY,
    )
}


def get_source(source_id: str) -> Source | None:
    return SOURCES.get(source_id)
