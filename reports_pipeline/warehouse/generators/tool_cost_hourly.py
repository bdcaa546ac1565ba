"""Demo hourly cost of billable MCP tools: one row per hour and billing line.

Every organisation has 20 billing lines, each a tool charged to a cost centre in one region,
and every line has a row for every hour, with zero calls in quiet hours. A line's hourly budget
is its mean hourly cost expected over a week times a headroom between 0.85 and 1.44, so busy
hours run over budget and nights under, and some lines overspend on the whole. Costs per call
in US dollars are illustrative estimates, not quoted prices.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.tool_cost_hourly import TOOL_COST_HOURLY
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

# The billable tool catalogue, one entry per tool: its server, name and type, peak calls per
# hour, and cost per call in US dollars. Tools billed by tokens, run time or data size also
# vary in cost per call from hour to hour: a spread of 0.6 means from 0.7 to 1.3 times.
_SERVERS = (
    "['summarizer-mcp', 'translator-mcp', 'code-review-mcp', 'salesforce-mcp', 'twilio-mcp', "
    "'enrichment-mcp', 'python-sandbox-mcp', 'browser-mcp', 'snowflake-mcp', 's3-mcp', "
    "'pinecone-mcp', 'brave-search-mcp', 'tavily-mcp', 'pinecone-mcp']"
)
_TOOLS = (
    "['summarize_document', 'translate_text', 'review_diff', 'query_records', 'send_sms', "
    "'enrich_company', 'run_python', 'render_page', 'run_query', 'put_object', "
    "'upsert_vectors', 'web_search', 'search', 'query_vectors']"
)
_TYPES = (
    "['llm_call', 'llm_call', 'llm_call', 'api_call', 'api_call', 'api_call', 'compute', "
    "'compute', 'compute', 'storage', 'storage', 'search', 'search', 'search']"
)
_PEAK_CALLS = "[30, 20, 10, 50, 15, 10, 40, 25, 20, 100, 30, 60, 25, 75]"
_USD_PER_CALL = (
    "[0.0120, 0.0045, 0.0380, 0.0008, 0.0079, 0.0350, 0.0021, 0.0032, 0.0450, 0.000005, "
    "0.0004, 0.0050, 0.0080, 0.0002]"
)
_COST_SPREAD = "[0.6, 0.5, 0.7, 0, 0, 0, 0.8, 0.6, 0.9, 0, 0.3, 0, 0, 0.3]"
_TOOL_COUNT = 14
_LINE_COUNT = 20
_COST_CENTERS = (
    "['customer-support', 'engineering', 'sales', 'marketing', 'finance', 'legal', 'it-operations']"
)

# UTC offsets in hours of the business day in each region, in the order of `REGIONS`.
_REGION_UTC_OFFSET = "[-5, 1, 8]"

# The mean of the hour and weekday factors below over a week: on a weekday, 10 hours at 1.0,
# 6 at 0.35 and 8 at 0.08 average 0.531, and a weekend day is a quarter of that.
_MEAN_ACTIVITY = 0.417

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    hour,
    {_SERVERS}[tool] AS server_name,
    {_TOOLS}[tool] AS tool_name,
    {_TYPES}[tool] AS tool_type,
    {_COST_CENTERS}[cost_center_index] AS cost_center,
    ['amer', 'emea', 'apac'][region_index] AS region,
    invocations,
    CAST(
        invocations * {_USD_PER_CALL}[tool]
        * (1 + {_COST_SPREAD}[tool] * ({_hash("cost")} % 1000 / 1000.0 - 0.5))
        AS DECIMAL(18, 6)
    ) AS cost_usd,
    CAST(
        expected_peak_calls * {_MEAN_ACTIVITY} * {_USD_PER_CALL}[tool] * headroom
        AS DECIMAL(18, 6)
    ) AS budget_usd
FROM (
    SELECT
        *,
        -- Rounding up with the probability of the fraction keeps the expected count.
        CAST(floor(
            expected_peak_calls
            * CASE
                WHEN local_hour BETWEEN 8 AND 17 THEN 1.0
                WHEN local_hour BETWEEN 6 AND 21 THEN 0.35
                ELSE 0.08
            END
            * CASE WHEN weekday >= 6 THEN 0.25 ELSE 1.0 END
            * (0.5 + {_hash("invocations")} % 1000 / 1000.0)
            + {_hash("rounding")} % 1000 / 1000.0
        ) AS BIGINT) AS invocations
    FROM (
        SELECT
            *,
            $end - to_hours(CAST($days * 24 - hour_index AS BIGINT)) AS hour,
            (hour_index % 24 + {_REGION_UTC_OFFSET}[region_index] + 24) % 24 AS local_hour,
            (end_day - $days + hour_index // 24 + 3) % 7 + 1 AS weekday,
            -- A tool's second billing line belongs to a smaller cost centre.
            {_PEAK_CALLS}[tool] * org_size * CASE WHEN line < {_TOOL_COUNT} THEN 1.0 ELSE 0.4 END
                AS expected_peak_calls
        FROM (
            -- Line l bills tool l mod 14, and a tool's two lines go to different cost centres.
            SELECT
                *,
                1 + line % {_TOOL_COUNT} AS tool,
                1 + (CAST(hash($org, line % {_TOOL_COUNT}, 'cost_center') % 7 AS BIGINT)
                    + line // {_TOOL_COUNT} * 3) % 7 AS cost_center_index,
                1 + CASE
                    WHEN hash($org, line, 'region') % 10 < 6 THEN home_region
                    ELSE (home_region + 1 + CAST(hash($org, line, 'region') % 2 AS BIGINT)) % 3
                END AS region_index,
                0.85 + hash($org, line, 'headroom') % 60 / 100.0 AS headroom
            FROM (
                SELECT
                    i,
                    o.*,
                    i // {_LINE_COUNT} AS hour_index,
                    i % {_LINE_COUNT} AS line
                FROM range(CAST($rows AS BIGINT)) AS r(i)
                CROSS JOIN (
                    SELECT
                        CAST(epoch_us($end) // 86400000000 AS BIGINT) AS end_day,
                        CAST(hash($org, 'home_region') % 3 AS BIGINT) AS home_region,
                        0.5 + hash($org, 'size') % 150 / 100.0 AS org_size
                ) AS o
            )
        )
    )
)
"""

GENERATOR = Generator(
    source=TOOL_COST_HOURLY, sql=SQL, rows_per_day=24 * _LINE_COUNT, scalable=False
)
