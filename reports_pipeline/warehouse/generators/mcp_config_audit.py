"""Demo MCP server configuration changes: one row per change.

People, deployment pipelines and agents change configurations mostly in office hours on
weekdays. Most changes by people and pipelines go through an approved change request, and most
by agents do not. Drift is a change that the server's publisher made upstream, such as a
rewritten tool description, found at any hour by comparing the running server with its
approved configuration. Drift is never approved and often breaks policy.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.mcp_config_audit import MCP_CONFIG_AUDIT
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

# The (server, tool) catalogue that changes pick from.
_SERVERS = (
    "['filesystem-mcp', 'filesystem-mcp', 'filesystem-mcp', 'postgres-mcp', 'postgres-mcp', "
    "'snowflake-mcp', 'github-mcp', 'github-mcp', 'jira-mcp', 'jira-mcp', 'salesforce-mcp', "
    "'salesforce-mcp', 'slack-mcp', 'slack-mcp', 'outlook-mcp', 'browser-mcp', 'browser-mcp', "
    "'brave-search-mcp', 'python-sandbox-mcp', 'shell-mcp', 'summarizer-mcp', "
    "'translator-mcp', 'code-review-mcp', 'twilio-mcp', 'enrichment-mcp', 's3-mcp', "
    "'pinecone-mcp', 'pinecone-mcp', 'tavily-mcp', 'snowflake-mcp']"
)
_TOOLS = (
    "['read_file', 'write_file', 'list_directory', 'query', 'list_tables', 'run_query', "
    "'search_code', 'create_pull_request', 'create_issue', 'search_issues', 'query_records', "
    "'update_record', 'send_message', 'search_messages', 'send_email', 'fetch_url', "
    "'render_page', 'web_search', 'run_python', 'run_command', 'summarize_document', "
    "'translate_text', 'review_diff', 'send_sms', 'enrich_company', 'put_object', "
    "'upsert_vectors', 'query_vectors', 'search', 'list_warehouses']"
)
_ENTRY_COUNT = 30

# Per change type, in the order of `CHANGE_TYPES`: the percent of drift among its changes, and
# the cumulative percent thresholds of a draw below which the risk is critical, high or medium.
_CHANGE_TYPES = (
    "['server_added', 'server_removed', 'tool_added', 'tool_removed', 'permission_changed', "
    "'description_changed', 'version_pinned']"
)
_DRIFT_PCT = "[0, 0, 15, 15, 10, 35, 0]"
_CRITICAL_BELOW = "[5, 0, 5, 0, 20, 10, 0]"
_HIGH_BELOW = "[35, 0, 25, 0, 65, 40, 0]"
_MEDIUM_BELOW = "[80, 20, 70, 15, 95, 80, 10]"

# UTC offsets in hours of the business day in each region, in the order of `REGIONS`.
_REGION_UTC_OFFSET = "[-5, 1, 8]"

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'chg_' || lpad(CAST(i AS VARCHAR), 8, '0') || '_' || org_tag AS change_id,
    $end - to_microseconds(days_back * 86400000000 - utc_microsecond) AS changed_at,
    server_name,
    tool_name,
    change_type,
    environment,
    actor,
    actor_type,
    approved,
    risk_level,
    drift_detected,
    -- Drift that alters what a tool does or may do breaks policy, and so does an unapproved
    -- high-risk change in production. A few other changes fail a check of their own.
    NOT (
        (drift_detected
            AND change_type IN ('description_changed', 'permission_changed', 'tool_added'))
        OR (NOT approved AND risk_level IN ('critical', 'high') AND environment = 'production')
        OR compliance_draw < 3
    ) AS policy_compliant
FROM (
    -- Who made the change, its approval and risk, and when it happened.
    SELECT
        *,
        CASE actor_type
            WHEN 'upstream' THEN 'publisher:' || server_name
            WHEN 'human' THEN 'usr_' || lpad(CAST(actor_draw % 40 AS VARCHAR), 5, '0')
            WHEN 'service_account'
                THEN ['svc-gitops', 'svc-terraform', 'svc-ci-deploy'][1 + actor_draw % 3]
            ELSE 'agent-' || lpad(CAST(actor_draw % 60 AS VARCHAR), 3, '0')
        END AS actor,
        CASE
            WHEN actor_type = 'upstream' THEN false
            WHEN actor_type = 'service_account' THEN approval_draw < 96
            WHEN actor_type = 'agent' THEN approval_draw < 25
            WHEN environment = 'development' THEN approval_draw < 95
            ELSE approval_draw < human_approval_pct
        END AS approved,
        CASE
            WHEN risk_score < {_CRITICAL_BELOW}[type_index] THEN 'critical'
            WHEN risk_score < {_HIGH_BELOW}[type_index] THEN 'high'
            WHEN risk_score < {_MEDIUM_BELOW}[type_index] THEN 'medium'
            ELSE 'low'
        END AS risk_level,
        -- Changes by people, pipelines and agents move off weekends and into office hours.
        CASE
            WHEN NOT drift_detected AND weekday >= 6 AND weekend_draw % 100 < 85
                AND days_back_drawn + weekday - 1 - weekend_draw // 100 <= $days
                THEN days_back_drawn + weekday - 1 - weekend_draw // 100
            ELSE days_back_drawn
        END AS days_back,
        (CASE
            WHEN NOT drift_detected AND time_draw % 100 < 85
                THEN CAST(32400 + time_draw // 100 % 32400 AS BIGINT)
            ELSE CAST(time_draw // 100 % 86400 AS BIGINT)
        END - {_REGION_UTC_OFFSET}[1 + home_region] * 3600 + 86400) % 86400 * 1000000
            + CAST(time_draw // 1000000000000 % 1000000 AS BIGINT) AS utc_microsecond
    FROM (
        SELECT
            *,
            CASE
                WHEN drift_detected THEN 'upstream'
                WHEN actor_type_draw < 60 THEN 'human'
                WHEN actor_type_draw < 90 THEN 'service_account'
                ELSE 'agent'
            END AS actor_type,
            -- Halving the draw of drift moves it towards the critical end, so it rates riskier.
            CASE WHEN drift_detected THEN risk_draw // 2 ELSE risk_draw END AS risk_score
        FROM (
            -- What changed, where, and whether it was drift.
            SELECT
                *,
                {_CHANGE_TYPES}[type_index] AS change_type,
                {_SERVERS}[entry] AS server_name,
                CASE WHEN type_index IN (3, 4, 5, 6) THEN {_TOOLS}[entry] END AS tool_name,
                CASE
                    WHEN environment_draw < 45 THEN 'production'
                    WHEN environment_draw < 75 THEN 'staging'
                    ELSE 'development'
                END AS environment,
                drift_draw < {_DRIFT_PCT}[type_index] * drift_factor AS drift_detected,
                (end_day - days_back_drawn + 3) % 7 + 1 AS weekday
            FROM (
                SELECT
                    *,
                    CASE
                        WHEN change_type_draw < 10 THEN 1
                        WHEN change_type_draw < 17 THEN 2
                        WHEN change_type_draw < 37 THEN 3
                        WHEN change_type_draw < 47 THEN 4
                        WHEN change_type_draw < 62 THEN 5
                        WHEN change_type_draw < 80 THEN 6
                        ELSE 7
                    END AS type_index
                FROM (
                    SELECT
                        i,
                        o.*,
                        CAST(1 + {_hash("day")} % $days AS BIGINT) AS days_back_drawn,
                        CAST({_hash("weekend")} % 500 AS BIGINT) AS weekend_draw,
                        {_hash("time")} AS time_draw,
                        CAST({_hash("change_type")} % 100 AS BIGINT) AS change_type_draw,
                        CAST(1 + {_hash("entry")} % {_ENTRY_COUNT} AS BIGINT) AS entry,
                        CAST({_hash("environment")} % 100 AS BIGINT) AS environment_draw,
                        CAST({_hash("drift")} % 100 AS BIGINT) AS drift_draw,
                        CAST({_hash("actor_type")} % 100 AS BIGINT) AS actor_type_draw,
                        CAST({_hash("actor")} % 1000 AS BIGINT) AS actor_draw,
                        CAST({_hash("approval")} % 100 AS BIGINT) AS approval_draw,
                        CAST({_hash("risk")} % 100 AS BIGINT) AS risk_draw,
                        CAST({_hash("compliance")} % 100 AS BIGINT) AS compliance_draw
                    FROM range(CAST($rows AS BIGINT)) AS r(i)
                    CROSS JOIN (
                        SELECT
                            substr(md5($org), 1, 6) AS org_tag,
                            CAST(epoch_us($end) // 86400000000 AS BIGINT) AS end_day,
                            CAST(hash($org, 'home_region') % 3 AS BIGINT) AS home_region,
                            0.5 + hash($org, 'drift') % 100 / 100.0 AS drift_factor,
                            CAST(75 + hash($org, 'approvals') % 20 AS BIGINT)
                                AS human_approval_pct
                    ) AS o
                )
            )
        )
    )
)
"""

GENERATOR = Generator(source=MCP_CONFIG_AUDIT, sql=SQL, rows_per_day=10)
