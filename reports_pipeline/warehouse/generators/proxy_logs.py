"""Demo LLM calls through the governance proxy: one row per request.

Traffic follows each region's business hours on weekdays and grows over the history. Every
organisation has its own number of users, growth rate, preferred models and policy rates. On
an incident day one provider's calls fail more often, on the same days for every organisation.
Prices in US dollars per million tokens are estimates close to the providers' 2025 list
prices, not quotes.

The statement is a stack of FROM-subqueries, read from the innermost out: the per-row hash
draws, then placement in time and the categorical choices, then tokens, the outcome, and last
the cost and latency that follow from them. Each layer computes its values once.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.proxy_logs import PROXY_LOGS
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

# Per-model arrays in the order of `MODELS` in the source: seven chat models, then four
# embedding models. Latency is a base (connection and time to first token), a prefill cost per
# thousand prompt tokens and a generation cost per completion token.
_MODELS = (
    "['gpt-4o', 'gpt-4.1-mini', 'claude-sonnet-4', 'claude-haiku-3.5', 'gemini-2.5-pro', "
    "'llama-3.1-70b', 'mistral-large', 'text-embedding-3-small', 'text-embedding-3-large', "
    "'gemini-embedding-001', 'mistral-embed']"
)
_PROVIDERS = (
    "['openai', 'openai', 'anthropic', 'anthropic', 'google', 'meta', 'mistral', "
    "'openai', 'openai', 'google', 'mistral']"
)
_INPUT_USD_PER_MILLION = "[2.50, 0.40, 3.00, 0.80, 1.25, 0.88, 2.00, 0.02, 0.13, 0.15, 0.10]"
_OUTPUT_USD_PER_MILLION = "[10.00, 1.60, 15.00, 4.00, 10.00, 0.88, 6.00, 0.0, 0.0, 0.0, 0.0]"
_BASE_MS = "[450, 300, 700, 350, 1200, 500, 550, 40, 60, 80, 60]"
_PREFILL_MS_PER_1K = "[25, 15, 30, 15, 20, 35, 25, 8, 10, 12, 10]"
_GENERATION_MS = "[12, 6, 16, 8, 9, 18, 13, 0, 0, 0, 0]"

# Per-application arrays: the token ranges of prompts and completions, and a multiplier of the
# redaction rate for applications whose prompts carry more personal data. doc-indexer only
# embeds, so its completion bounds are unused.
_APPLICATIONS = (
    "['support-copilot', 'code-assistant', 'knowledge-search', 'data-analyst-agent', "
    "'sales-email-writer', 'doc-indexer', 'contract-review', 'hr-helpdesk']"
)
_PROMPT_MIN = "[400, 600, 1500, 800, 200, 200, 4000, 300]"
_PROMPT_MAX = "[6000, 16000, 16000, 24000, 2500, 8000, 64000, 4000]"
_COMPLETION_MIN = "[60, 80, 100, 150, 150, 1, 300, 60]"
_COMPLETION_MAX = "[900, 2000, 1200, 2000, 800, 1, 2500, 700]"
_PII_FACTOR = "[2, 1, 1, 1, 1, 1, 2, 3]"

# UTC offsets in hours of the business day in each region, in the order of `REGIONS`.
_REGION_UTC_OFFSET = "[-5, 1, 8]"

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'req_' || lpad(CAST(i AS VARCHAR), 10, '0') || '_' || org_tag AS request_id,
    $end - to_microseconds(days_back * 86400000000 - utc_microsecond) AS occurred_at,
    CASE WHEN application <> 'doc-indexer'
        THEN 'usr_' || lpad(CAST(user_number AS VARCHAR), 5, '0')
    END AS user_id,
    'key_' || org_tag || '_' || lpad(CAST(app * 3 + key_slot AS VARCHAR), 2, '0') AS api_key_id,
    application,
    model,
    provider,
    region,
    operation,
    prompt_tokens,
    completion_tokens,
    prompt_tokens + completion_tokens AS total_tokens,
    CAST(
        CASE WHEN served AND NOT cache_hit
            THEN (prompt_tokens * {_INPUT_USD_PER_MILLION}[model_index]
                + completion_tokens * {_OUTPUT_USD_PER_MILLION}[model_index]) / 1000000.0
            ELSE 0
        END
        AS DECIMAL(18, 6)
    ) AS cost_usd,
    CAST(
        CASE
            WHEN cache_hit THEN 8 + latency_draw % 50
            WHEN outcome = 'blocked' THEN 6 + latency_draw % 55
            WHEN status_code = 429 THEN 20 + latency_draw % 130
            WHEN status_code = 400 THEN 40 + latency_draw % 260
            -- The proxy gives up on the provider after 60 seconds.
            WHEN status_code = 504 THEN 60000 + latency_draw % 500
            WHEN outcome = 'error' THEN 100 + latency_draw % 2900
            ELSE round(
                ({_BASE_MS}[model_index]
                    + {_PREFILL_MS_PER_1K}[model_index] * prompt_tokens / 1000.0
                    + {_GENERATION_MS}[model_index] * completion_tokens)
                * (0.75 + latency_draw % 1000 / 2000.0)
                -- 2% of calls hit a slow provider replica and take 1.5 to 3 times as long.
                * CASE WHEN tail_draw < 20 THEN 1.5 + tail_draw % 4 / 2.0 ELSE 1 END
            )
                + 4 + latency_draw // 1000 % 20
                + CASE WHEN outcome = 'redacted' THEN 20 + latency_draw // 100000 % 60 ELSE 0 END
        END
        AS INTEGER
    ) AS latency_ms,
    status_code,
    outcome,
    policy_id,
    coalesce(policy_id IN ('pol_pii_block', 'pol_pii_redaction', 'pol_pii_monitor'), false)
        -- Some applications may process personal data, so a detection is not always acted on.
        OR (outcome = 'allowed' AND policy_draw % 1000 < 5) AS pii_detected,
    cache_hit
FROM (
    -- What the outcome implies: the policy that acted, the status and the tokens generated.
    SELECT
        *,
        outcome IN ('allowed', 'redacted', 'flagged') AS served,
        CASE WHEN outcome IN ('allowed', 'redacted', 'flagged')
            THEN raw_completion_tokens ELSE 0
        END AS completion_tokens,
        CASE outcome
            WHEN 'blocked' THEN
                ['pol_prompt_injection', 'pol_secrets_block', 'pol_pii_block',
                    'pol_model_allowlist', 'pol_data_residency', 'pol_rate_limit',
                    'pol_jailbreak'][1 + CAST(policy_draw % 7 AS INTEGER)]
            WHEN 'redacted' THEN
                CASE WHEN policy_draw % 10 < 8 THEN 'pol_pii_redaction'
                    ELSE 'pol_secrets_redaction' END
            WHEN 'flagged' THEN
                ['pol_toxicity_monitor', 'pol_pii_monitor', 'pol_off_topic',
                    'pol_jailbreak_monitor'][1 + CAST(policy_draw % 4 AS INTEGER)]
        END AS policy_id,
        CASE
            WHEN outcome = 'blocked' AND policy_draw % 7 = 5 THEN 429
            WHEN outcome = 'blocked' THEN 403
            WHEN outcome <> 'error' THEN 200
            WHEN incident THEN [502, 503, 504][1 + status_draw % 3]
            WHEN status_draw < 35 THEN 429
            WHEN status_draw < 55 THEN 400
            WHEN status_draw < 70 THEN 500
            WHEN status_draw < 85 THEN 503
            ELSE 504
        END AS status_code,
        outcome = 'allowed' AND operation <> 'embedding' AND cache_draw < cache_per_mille
            AS cache_hit
    FROM (
        -- The outcome. On an incident day a quarter of the provider's calls fail.
        SELECT
            *,
            CASE
                WHEN incident AND outcome_draw // 10000 % 100 < 25 THEN 'error'
                WHEN outcome_draw % 10000 < blocked_bp THEN 'blocked'
                WHEN outcome_draw % 10000 < blocked_bp + redacted_bp * pii_factor
                    THEN 'redacted'
                WHEN outcome_draw % 10000 < blocked_bp + redacted_bp * pii_factor + flagged_bp
                    THEN 'flagged'
                WHEN outcome_draw % 10000
                    < blocked_bp + redacted_bp * pii_factor + flagged_bp + error_bp
                    THEN 'error'
                ELSE 'allowed'
            END AS outcome
        FROM (
            SELECT
                *,
                {_MODELS}[model_index] AS model,
                {_PROVIDERS}[model_index] AS provider,
                hash(end_day - days_back, {_PROVIDERS}[model_index], 'incident') % 50 = 0
                    AS incident
            FROM (
                -- The final day, the model and the token counts.
                SELECT
                    *,
                    -- Most weekend requests move to a weekday of the same week.
                    CASE
                        WHEN weekday >= 6 AND weekend_draw % 100 < weekend_shift_pct
                            AND days_back_drawn + weekday - 1 - weekend_draw // 100 <= $days
                            THEN days_back_drawn + weekday - 1 - weekend_draw // 100
                        ELSE days_back_drawn
                    END AS days_back,
                    CASE
                        WHEN operation = 'embedding' THEN 8 + (
                            CASE WHEN model_draw < 50 THEN 0 WHEN model_draw < 75 THEN 1
                                WHEN model_draw < 90 THEN 2 ELSE 3 END
                            + embedding_rotation) % 4
                        ELSE 1 + (
                            CASE WHEN model_draw < 30 THEN 0 WHEN model_draw < 52 THEN 1
                                WHEN model_draw < 67 THEN 2 WHEN model_draw < 79 THEN 3
                                WHEN model_draw < 88 THEN 4 WHEN model_draw < 95 THEN 5
                                ELSE 6 END
                            + chat_rotation) % 7
                    END AS model_index,
                    -- Token counts are log-uniform between the bounds.
                    CAST(round(
                        CASE
                            WHEN operation = 'embedding' AND app = 3 THEN 8 * pow(15, prompt_u)
                            WHEN operation = 'completion' THEN 200 * pow(20, prompt_u)
                            ELSE {_PROMPT_MIN}[app]
                                * pow({_PROMPT_MAX}[app] / {_PROMPT_MIN}[app], prompt_u)
                        END
                    ) AS INTEGER) AS prompt_tokens,
                    CAST(round(
                        CASE
                            WHEN operation = 'embedding' THEN 0
                            WHEN operation = 'completion' THEN 8 * pow(40, completion_u)
                            ELSE {_COMPLETION_MIN}[app]
                                * pow({_COMPLETION_MAX}[app] / {_COMPLETION_MIN}[app],
                                    completion_u)
                        END
                    ) AS INTEGER) AS raw_completion_tokens
                FROM (
                    -- The weekday, the time of day in UTC, the application and its operation.
                    SELECT
                        *,
                        (end_day - days_back_drawn + 3) % 7 + 1 AS weekday,
                        ['amer', 'emea', 'apac'][region_index] AS region,
                        -- 78% of requests fall in the region's business hours, 08:00 to
                        -- 18:00 local time, peaking at 13:00.
                        (CASE
                            WHEN time_draw % 100 < 78 THEN 28800
                                + CAST((time_draw // 100 % 36000 + time_draw // 3600000 % 36000)
                                    // 2 AS BIGINT)
                            ELSE CAST(time_draw // 100 % 86400 AS BIGINT)
                        END - {_REGION_UTC_OFFSET}[region_index] * 3600 + 86400) % 86400 * 1000000
                            + CAST(time_draw // 1000000000000 % 1000000 AS BIGINT)
                            AS utc_microsecond,
                        {_APPLICATIONS}[app] AS application,
                        {_PII_FACTOR}[app] AS pii_factor,
                        CASE
                            WHEN app = 6 OR (app = 3 AND operation_draw < 55) THEN 'embedding'
                            WHEN app = 2 AND operation_draw < 45 THEN 'completion'
                            ELSE 'chat'
                        END AS operation
                    FROM (
                        -- The day drawn, the region, the application, the key and the user.
                        SELECT
                            *,
                            -- Days back from $end, with a density that grows linearly
                            -- towards $end by the organisation's growth factor.
                            CAST(greatest(1, $days - floor($days * (
                                sqrt(1 + growth * (2 + growth) * day_u) - 1) / growth))
                                AS BIGINT) AS days_back_drawn,
                            1 + CASE
                                WHEN region_draw < 6 THEN home_region
                                ELSE (home_region + 1 + region_draw % 2) % 3
                            END AS region_index,
                            CASE
                                WHEN application_draw < 24 THEN 1
                                WHEN application_draw < 44 THEN 2
                                WHEN application_draw < 60 THEN 3
                                WHEN application_draw < 70 THEN 4
                                WHEN application_draw < 79 THEN 5
                                WHEN application_draw < 87 THEN 6
                                WHEN application_draw < 94 THEN 7
                                ELSE 8
                            END AS app,
                            CASE WHEN key_draw < 7 THEN 0 WHEN key_draw < 9 THEN 1 ELSE 2 END
                                AS key_slot,
                            -- Squaring skews usage towards a few heavy users.
                            CAST(floor(user_count * user_u * user_u) AS BIGINT) AS user_number
                        FROM (
                            -- One hash per field and row, with small draws cast to BIGINT.
                            SELECT
                                i,
                                o.*,
                                {_hash("day")} % 1000000 / 1000000.0 AS day_u,
                                CAST({_hash("weekend")} % 500 AS BIGINT) AS weekend_draw,
                                {_hash("time")} AS time_draw,
                                CAST({_hash("region")} % 10 AS BIGINT) AS region_draw,
                                CAST({_hash("application")} % 100 AS BIGINT) AS application_draw,
                                CAST({_hash("operation")} % 100 AS BIGINT) AS operation_draw,
                                CAST({_hash("model")} % 100 AS BIGINT) AS model_draw,
                                {_hash("prompt")} % 1000000 / 1000000.0 AS prompt_u,
                                {_hash("completion")} % 1000000 / 1000000.0 AS completion_u,
                                {_hash("user")} % 1000000 / 1000000.0 AS user_u,
                                CAST({_hash("key")} % 10 AS BIGINT) AS key_draw,
                                {_hash("outcome")} AS outcome_draw,
                                CAST({_hash("policy")} % 1000000 AS BIGINT) AS policy_draw,
                                CAST({_hash("status")} % 100 AS BIGINT) AS status_draw,
                                CAST({_hash("cache")} % 1000 AS BIGINT) AS cache_draw,
                                CAST({_hash("latency")} % 100000000 AS BIGINT) AS latency_draw,
                                CAST({_hash("tail")} % 1000 AS BIGINT) AS tail_draw
                            FROM range(CAST($rows AS BIGINT)) AS r(i)
                            CROSS JOIN (
                                -- Per-organisation constants.
                                SELECT
                                    substr(md5($org), 1, 6) AS org_tag,
                                    CAST(epoch_us($end) // 86400000000 AS BIGINT) AS end_day,
                                    CAST(hash($org, 'home_region') % 3 AS BIGINT) AS home_region,
                                    CAST(hash($org, 'chat_models') % 7 AS BIGINT)
                                        AS chat_rotation,
                                    CAST(hash($org, 'embedding_models') % 4 AS BIGINT)
                                        AS embedding_rotation,
                                    CAST(300 + hash($org, 'users') % 1200 AS BIGINT)
                                        AS user_count,
                                    -- Yearly growth of 60% to 140%, over the whole history.
                                    (0.6 + hash($org, 'growth') % 80 / 100.0) * $days / 365.0
                                        AS growth,
                                    CAST(55 + hash($org, 'weekend') % 35 AS BIGINT)
                                        AS weekend_shift_pct,
                                    CAST(100 + hash($org, 'blocked') % 300 AS BIGINT)
                                        AS blocked_bp,
                                    CAST(60 + hash($org, 'redacted') % 120 AS BIGINT)
                                        AS redacted_bp,
                                    CAST(150 + hash($org, 'flagged') % 300 AS BIGINT)
                                        AS flagged_bp,
                                    CAST(80 + hash($org, 'errors') % 200 AS BIGINT) AS error_bp,
                                    CAST(30 + hash($org, 'cache') % 150 AS BIGINT)
                                        AS cache_per_mille
                            ) AS o
                        )
                    )
                )
            )
        )
    )
)
"""

GENERATOR = Generator(source=PROXY_LOGS, sql=SQL, rows_per_day=3000)
