"""Demo corrections of AI outputs by reviewers.

Reviewers work on weekdays between 08:00 and 18:00 in the organisation's home time zone. The
pattern decides the likely severity and reviewer. Compliance and legal reviewers handle PII
leaks and policy violations and are the slowest, and end users fix tone and formatting within
the hour. The share of recurring patterns falls and the share fed back rises over the history,
as the feedback loop matures. Each organisation uses its own few models and applications and has its
own acceptance rate, all derived from `hash($org)`.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.correction_patterns import CORRECTION_PATTERNS
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

# One row per pattern, in the order of PATTERN_TYPES. Severity cuts are the cumulative
# percentages below which a correction is critical, high, medium or low, and info above them.
# Reviewer cuts are the cumulative percentages for legal, compliance and a domain expert, and an
# end user above them.
_SEVERITY_CUTS = (
    "[[0, 25, 70, 95], [0, 0, 25, 75], [15, 55, 90, 100], [0, 0, 0, 50], "
    "[5, 35, 80, 100], [35, 80, 100, 100], [10, 50, 90, 100]]"
)
_REVIEWER_CUTS = (
    "[[0, 5, 65], [0, 10, 40], [35, 90, 100], [0, 0, 20], [0, 5, 65], [30, 90, 100], [20, 60, 90]]"
)

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'cor_' || lpad(CAST(i AS VARCHAR), 9, '0') || '_' || substr(md5($org), 1, 6)
        AS correction_id,
    corrected_at,
    ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'gemini-1.5-pro', 'llama-3.1-70b',
     'mistral-large'][1 + model_index] AS model,
    ['contract-review', 'customer-support', 'claims-triage', 'code-assistant',
     'marketing-copy', 'hr-helpdesk', 'research-summaries'][1 + application_index]
        AS application,
    ['factual_error', 'tone', 'policy_violation', 'formatting', 'hallucination', 'pii_leak',
     'bias'][1 + pattern] AS pattern_type,
    severity,
    reviewer_role,
    -- A squared uniform draw skews toward quick fixes with a long tail. Urgent errors are
    -- handled faster.
    round(
        [60, 30, 15, 1][1 + reviewer]
            + [4320, 2880, 1440, 45][1 + reviewer] * pow({_hash("minutes")} % 10000 / 10000.0, 2)
                * CASE severity WHEN 'critical' THEN 0.4 WHEN 'high' THEN 0.7 ELSE 1.0 END,
        1
    ) AS time_to_correct_minutes,
    accepted,
    -- Recurrence falls from about 30% to 15% over the history, plus 0 to 10 points for the
    -- organisation and 10 more for tone and formatting errors.
    {_hash("recurring")} % 1000
        < 150 + 150 * days_back / $days + hash($org) % 100
        + CASE WHEN pattern IN (1, 3) THEN 100 ELSE 0 END
        AS recurring,
    -- Only accepted corrections are fed back: severe ones more often, and more often over time.
    accepted
        AND {_hash("feedback")} % 100
            < 45 + 15 * (1 - days_back / $days)
            + CASE WHEN severity IN ('critical', 'high') THEN 30 ELSE 0 END
        AS feedback_applied
FROM (
    SELECT
        *,
        CASE
            WHEN severity_roll < severity_cuts[1] THEN 'critical'
            WHEN severity_roll < severity_cuts[2] THEN 'high'
            WHEN severity_roll < severity_cuts[3] THEN 'medium'
            WHEN severity_roll < severity_cuts[4] THEN 'low'
            ELSE 'info'
        END AS severity,
        ['legal', 'compliance', 'domain_expert', 'end_user'][1 + reviewer] AS reviewer_role,
        -- Experts' corrections hold up on review more often than end users' do.
        {_hash("accepted")} % 100
            < [95, 92, 88, 72][1 + reviewer] - 5 + CAST(hash($org) % 11 AS INTEGER)
            AS accepted
    FROM (
        SELECT
            *,
            {_SEVERITY_CUTS}[1 + pattern] AS severity_cuts,
            CASE
                WHEN reviewer_roll < {_REVIEWER_CUTS}[1 + pattern][1] THEN 0
                WHEN reviewer_roll < {_REVIEWER_CUTS}[1 + pattern][2] THEN 1
                WHEN reviewer_roll < {_REVIEWER_CUTS}[1 + pattern][3] THEN 2
                ELSE 3
            END AS reviewer
        FROM (
            SELECT
                i,
                days_back,
                $end - to_days(days_back)
                    + to_seconds(
                        CAST(
                            (local_hour - [-5, 1, 8][1 + CAST(hash($org) % 3 AS INTEGER)] + 24)
                                % 24 * 3600
                            + {_hash("second")} % 3600
                            AS BIGINT
                        )
                    ) AS corrected_at,
                -- Each organisation runs two to five of the models and three to seven of the
                -- applications, and the first of each carries most of the traffic.
                CAST(
                    (hash($org) % 6 + floor((2 + hash($org) % 4) * pow(model_roll, 1.5))) % 6
                    AS INTEGER
                ) AS model_index,
                CAST(
                    (hash($org) // 6 % 7 + floor((3 + hash($org) // 6 % 5) * pow(app_roll, 1.5)))
                        % 7
                    AS INTEGER
                ) AS application_index,
                -- Shares in percent: factual_error 28, tone 15, policy_violation 10,
                -- formatting 17, hallucination 18, pii_leak 6, bias 6.
                CASE
                    WHEN pattern_roll < 28 THEN 0
                    WHEN pattern_roll < 43 THEN 1
                    WHEN pattern_roll < 53 THEN 2
                    WHEN pattern_roll < 70 THEN 3
                    WHEN pattern_roll < 88 THEN 4
                    WHEN pattern_roll < 94 THEN 5
                    ELSE 6
                END AS pattern,
                CAST({_hash("severity")} % 100 AS INTEGER) AS severity_roll,
                CAST({_hash("reviewer")} % 100 AS INTEGER) AS reviewer_roll
            FROM (
                SELECT
                    i,
                    -- Three in four corrections drawn on a weekend are redrawn.
                    CASE
                        WHEN isodow(CAST($end AS DATE) - first_draw) >= 6
                            AND {_hash("weekend")} % 100 < 75
                        THEN second_draw
                        ELSE first_draw
                    END AS days_back,
                    CASE
                        WHEN {_hash("busy")} % 100 < 85 THEN 8 + {_hash("hour")} % 10
                        ELSE {_hash("hour")} % 24
                    END::INTEGER AS local_hour,
                    {_hash("model")} % 10000 / 10000.0 AS model_roll,
                    {_hash("application")} % 10000 / 10000.0 AS app_roll,
                    CAST({_hash("pattern")} % 100 AS INTEGER) AS pattern_roll
                FROM (
                    SELECT
                        i,
                        CAST(1 + {_hash("day")} % $days AS INTEGER) AS first_draw,
                        CAST(1 + {_hash("redraw")} % $days AS INTEGER) AS second_draw
                    FROM range(CAST($rows AS BIGINT)) AS r(i)
                )
            )
        )
    )
)
"""

GENERATOR = Generator(source=CORRECTION_PATTERNS, sql=SQL, rows_per_day=60)
