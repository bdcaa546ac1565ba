"""Every demo-data generator, in the order the seed runs them."""

from __future__ import annotations

from reports_pipeline.warehouse.generators import Generator, governance_daily, mcp_alert_events
from reports_pipeline.warehouse.generators.audit_logs import GENERATOR as AUDIT_LOGS
from reports_pipeline.warehouse.generators.correction_patterns import (
    GENERATOR as CORRECTION_PATTERNS,
)
from reports_pipeline.warehouse.generators.liability_daily import GENERATOR as LIABILITY_DAILY
from reports_pipeline.warehouse.generators.mcp_config_audit import GENERATOR as MCP_CONFIG_AUDIT
from reports_pipeline.warehouse.generators.nhi_daily import GENERATOR as NHI_DAILY
from reports_pipeline.warehouse.generators.proxy_logs import GENERATOR as PROXY_LOGS
from reports_pipeline.warehouse.generators.roi_snapshots import GENERATOR as ROI_SNAPSHOTS
from reports_pipeline.warehouse.generators.tool_cost_hourly import GENERATOR as TOOL_COST_HOURLY
from reports_pipeline.warehouse.generators.tool_usage_hourly import (
    GENERATOR as TOOL_USAGE_HOURLY,
)

GENERATORS: tuple[Generator, ...] = (
    governance_daily.GENERATOR,
    mcp_alert_events.GENERATOR,
    AUDIT_LOGS,
    CORRECTION_PATTERNS,
    LIABILITY_DAILY,
    ROI_SNAPSHOTS,
    MCP_CONFIG_AUDIT,
    NHI_DAILY,
    PROXY_LOGS,
    TOOL_COST_HOURLY,
    TOOL_USAGE_HOURLY,
)
