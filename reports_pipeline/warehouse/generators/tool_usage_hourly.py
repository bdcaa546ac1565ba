"""Demo hourly MCP tool invocations: one row per hour, server, tool, agent and region.

Rows are spread evenly over the hours, and the rows of one hour take distinct (tool, agent,
region) combinations, so the rollup's key is unique. Busy hours show up in the counts: calls
follow the region's business hours on weekdays, and a few run at night and at weekends.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.tool_usage_hourly import TOOL_USAGE_HOURLY
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

# The tool catalogue, one entry per tool: its server, name and category, peak calls per hour
# by one agent, mean duration in milliseconds, and the per-mille rates of calls blocked and of
# executed calls that fail.
_SERVERS = (
    "['filesystem-mcp', 'filesystem-mcp', 'filesystem-mcp', 'postgres-mcp', 'postgres-mcp', "
    "'snowflake-mcp', 'github-mcp', 'github-mcp', 'jira-mcp', 'jira-mcp', 'salesforce-mcp', "
    "'salesforce-mcp', 'slack-mcp', 'slack-mcp', 'outlook-mcp', 'browser-mcp', "
    "'brave-search-mcp', 'python-sandbox-mcp', 'shell-mcp']"
)
_TOOLS = (
    "['read_file', 'write_file', 'list_directory', 'query', 'list_tables', 'run_query', "
    "'search_code', 'create_pull_request', 'create_issue', 'search_issues', 'query_records', "
    "'update_record', 'send_message', 'search_messages', 'send_email', 'fetch_url', "
    "'web_search', 'run_python', 'run_command']"
)
_CATEGORIES = (
    "['filesystem', 'filesystem', 'filesystem', 'database', 'database', 'database', 'saas', "
    "'saas', 'saas', 'saas', 'saas', 'saas', 'messaging', 'messaging', 'messaging', 'web', "
    "'web', 'code_execution', 'code_execution']"
)
_PEAK_CALLS = "[40, 12, 25, 30, 8, 10, 15, 3, 6, 12, 10, 4, 14, 9, 5, 18, 20, 8, 6]"
_MEAN_MS = (
    "[15, 25, 10, 180, 60, 2400, 650, 900, 550, 450, 700, 850, 300, 400, 500, 1400, 900, "
    "2500, 1200]"
)
_BLOCKED_PER_MILLE = "[10, 60, 5, 20, 2, 15, 5, 40, 15, 3, 25, 70, 35, 10, 50, 45, 5, 30, 120]"
_FAILED_PER_MILLE = "[5, 10, 3, 15, 5, 25, 12, 20, 15, 10, 18, 20, 8, 8, 10, 60, 20, 45, 30]"
_TOOL_COUNT = 19

# UTC offsets in hours of the business day in each region, in the order of `REGIONS`.
_REGION_UTC_OFFSET = "[-5, 1, 8]"

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    hour,
    {_SERVERS}[tool] AS server_name,
    {_TOOLS}[tool] AS tool_name,
    {_CATEGORIES}[tool] AS tool_category,
    'agent-' || lpad(CAST(agent AS VARCHAR), 3, '0') AS agent_id,
    ['amer', 'emea', 'apac'][region_index] AS region,
    invocations,
    blocked_invocations,
    failed_invocations,
    CAST(round((invocations - blocked_invocations) * mean_ms) AS BIGINT) AS total_duration_ms,
    -- The 95th percentile of a single call is that call's duration.
    CAST(
        CASE
            WHEN invocations = blocked_invocations THEN NULL
            WHEN invocations - blocked_invocations = 1 THEN round(mean_ms)
            ELSE round(mean_ms * (1.8 + {_hash("p95")} % 1000 / 1250.0))
        END
        AS INTEGER
    ) AS p95_duration_ms
FROM (
    SELECT
        *,
        CAST(least(
            invocations - blocked_invocations,
            floor((invocations - blocked_invocations) * {_FAILED_PER_MILLE}[tool]
                * failure_factor / 1000.0 + {_hash("failed")} % 1000 / 1000.0)
        ) AS BIGINT) AS failed_invocations,
        {_MEAN_MS}[tool] * (0.8 + {_hash("duration")} % 1000 / 2500.0) AS mean_ms
    FROM (
        SELECT
            *,
            -- Rounding up with the probability of the fraction keeps the expected rate.
            CAST(least(
                invocations,
                floor(invocations * {_BLOCKED_PER_MILLE}[tool] * block_factor / 1000.0
                    + {_hash("blocked")} % 1000 / 1000.0)
            ) AS BIGINT) AS blocked_invocations
        FROM (
            SELECT
                *,
                CAST(greatest(1, round(
                    {_PEAK_CALLS}[tool] * org_size
                    * CASE WHEN region_index = 1 + home_region THEN 1.0 ELSE 0.5 END
                    * CASE
                        WHEN local_hour BETWEEN 8 AND 17 THEN 1.0
                        WHEN local_hour BETWEEN 6 AND 21 THEN 0.35
                        ELSE 0.08
                    END
                    * CASE WHEN weekday >= 6 THEN 0.25 ELSE 1.0 END
                    * (0.4 + {_hash("invocations")} % 1000 / 833.0)
                )) AS BIGINT) AS invocations
            FROM (
                -- Which tool, agent and region the combination is, and the local hour.
                SELECT
                    *,
                    $end - to_hours(CAST(hours - hour_index AS BIGINT)) AS hour,
                    1 + combination % {_TOOL_COUNT} AS tool,
                    1 + combination // {_TOOL_COUNT} % 3 AS region_index,
                    combination // ({_TOOL_COUNT} * 3) AS agent,
                    (hour_index % 24 + {_REGION_UTC_OFFSET}[1 + combination // {_TOOL_COUNT} % 3]
                        + 24) % 24 AS local_hour,
                    (end_day - $days + hour_index // 24 + 3) % 7 + 1 AS weekday
                FROM (
                    -- Row j of an hour takes combination (offset + j * 7919) mod n, where n
                    -- is the number of combinations. The prime 7919 exceeds n, so it is
                    -- coprime to n and the first n rows of an hour are distinct.
                    SELECT
                        *,
                        (CAST(hash($org, hour_index, 'combination') % combinations AS BIGINT)
                            + (i - (hour_index * $rows + hours - 1) // hours) * 7919)
                            % combinations AS combination
                    FROM (
                        SELECT
                            i,
                            o.*,
                            CAST($days * 24 AS BIGINT) AS hours,
                            i * ($days * 24) // $rows AS hour_index
                        FROM range(CAST($rows AS BIGINT)) AS r(i)
                        CROSS JOIN (
                            SELECT
                                CAST(epoch_us($end) // 86400000000 AS BIGINT) AS end_day,
                                CAST(hash($org, 'home_region') % 3 AS BIGINT) AS home_region,
                                0.5 + hash($org, 'size') % 150 / 100.0 AS org_size,
                                0.6 + hash($org, 'blocking') % 100 / 100.0 AS block_factor,
                                0.6 + hash($org, 'failures') % 100 / 100.0 AS failure_factor,
                                CAST({_TOOL_COUNT} * 3 * (20 + hash($org, 'agents') % 60)
                                    AS BIGINT) AS combinations
                        ) AS o
                    )
                )
            )
        )
    )
)
"""

# NOTE: rollup keys repeat within an hour only when the hour has more rows than there are
# combinations, which needs a scale above 114 for an organisation with the minimum of 20 agents
# (1,140 combinations).
GENERATOR = Generator(source=TOOL_USAGE_HOURLY, sql=SQL, rows_per_day=240)
