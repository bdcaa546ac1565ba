"""Demo MCP security alerts."""

from __future__ import annotations

from reports_pipeline.semantic.sources.mcp_alert_events import MCP_ALERT_EVENTS
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'alr_' || lpad(CAST(i AS VARCHAR), 9, '0') || '_' || substr(md5($org), 1, 6) AS alert_id,
    occurred_at,
    CASE
        WHEN sev < 3 THEN 'critical' WHEN sev < 15 THEN 'high' WHEN sev < 45 THEN 'medium'
        WHEN sev < 80 THEN 'low' ELSE 'info'
    END AS severity,
    ['prompt_injection', 'tool_poisoning', 'data_exfiltration', 'credential_exposure',
     'policy_violation', 'anomalous_usage', 'rug_pull'][1 + CAST({_hash("threat")} % 7 AS INTEGER)]
        AS threat_source,
    CASE
        WHEN occurred_at > $end - INTERVAL 2 DAY AND st < 60 THEN 'open'
        WHEN occurred_at > $end - INTERVAL 7 DAY AND st < 30 THEN 'acknowledged'
        WHEN st < 8 THEN 'false_positive' ELSE 'resolved'
    END AS status,
    ['amer', 'emea', 'apac'][1 + CAST({_hash("region")} % 3 AS INTEGER)] AS region,
    ['github', 'jira', 'slack', 'postgres', 'filesystem', 'salesforce', 'browser']
        [1 + CAST({_hash("server")} % 7 AS INTEGER)] || '-mcp' AS server_name,
    ['read_file', 'write_file', 'query', 'search', 'send_message', 'create_issue', 'fetch_url',
     'run_command'][1 + CAST({_hash("tool")} % 8 AS INTEGER)] AS tool_name,
    'agent-' || lpad(CAST({_hash("agent")} % 250 AS VARCHAR), 3, '0') AS agent_id,
    occurred_at + to_seconds(CAST(60 + {_hash("ack")} % 7200 AS BIGINT)) AS acknowledged_at,
    CASE WHEN st >= 30 OR occurred_at <= $end - INTERVAL 7 DAY
        THEN occurred_at + to_seconds(CAST(600 + {_hash("resolve")} % 172800 AS BIGINT))
    END AS resolved_at,
    {_hash("blocked")} % 100 < 55 AS blocked
FROM (
    SELECT
        i,
        $end - to_microseconds(CAST({_hash("at")} % ($days * 86400000000) AS BIGINT))
            AS occurred_at,
        CAST({_hash("severity")} % 100 AS INTEGER) AS sev,
        CAST({_hash("status")} % 100 AS INTEGER) AS st
    FROM range(CAST($rows AS BIGINT)) AS r(i)
)
"""

GENERATOR = Generator(source=MCP_ALERT_EVENTS, sql=SQL, rows_per_day=40)
