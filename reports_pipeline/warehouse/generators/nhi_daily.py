"""Demo daily inventory of non-human identities: one row per identity and day.

An organisation has 150 identity slots. Each slot keeps one identity type and contains a
succession of identities, each living a type-dependent number of days before a new one
replaces it, so identities are created and retired over the history. An identity's traits
(platform, owner, privileges, rotation schedule, the days it goes dormant and loses its owner)
derive from `hash($org, slot, generation, field)`, so they are the same on every day of its
life. Its daily state follows from those traits and the day, and only the request count draws
a new hash for each row.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.nhi_daily import NHI_DAILY
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

_SLOTS = 150

# Per identity type, in the order of `IDENTITY_TYPES`: the id prefix, the shortest lifetime and
# the spread of lifetimes in days, and the percent of identities used on weekdays only. Then the
# percent thresholds of a draw below which the privilege is admin or else write, and the
# typical requests on a day of use.
_PREFIXES = "['sa', 'key', 'agt', 'app', 'bot']"
_LIFETIME_MIN = "[300, 90, 20, 200, 300]"
_LIFETIME_SPREAD = "[2700, 810, 180, 1800, 1700]"
_WEEKDAY_ONLY_PCT = "[10, 50, 20, 60, 70]"
_ADMIN_BELOW = "[25, 10, 15, 5, 5]"
_WRITE_BELOW = "[70, 50, 65, 40, 65]"
_DAILY_REQUESTS = "[5000, 1500, 800, 300, 600]"

_TEAMS = (
    "['platform', 'data-engineering', 'security', 'sales-ops', 'customer-support', "
    "'finance-it', 'ml-research', 'devops']"
)

# An identity is stale after this many days without a request, and its rotation is overdue
# this many days after the last one.
_STALE_AFTER_DAYS = 90
_ROTATION_POLICY_DAYS = 90

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    DATE '1970-01-01' + CAST(day_number AS INTEGER) AS day,
    {_PREFIXES}[type_index] || '_' || org_tag || '_' || lpad(CAST(slot AS VARCHAR), 3, '0')
        || '_' || CAST(generation AS VARCHAR) AS identity_id,
    ['service_account', 'api_key', 'agent', 'oauth_app', 'bot'][type_index] AS identity_type,
    platform,
    CASE WHEN NOT is_orphaned THEN {_TEAMS}[1 + team_draw % 8] END AS owner_team,
    privilege_level,
    CAST(days_since_rotation AS INTEGER) AS days_since_rotation,
    CAST(days_since_last_use AS INTEGER) AS days_since_last_use,
    days_since_last_use >= {_STALE_AFTER_DAYS} AS is_stale,
    days_since_rotation > {_ROTATION_POLICY_DAYS} AS rotation_overdue,
    is_orphaned,
    over_privileged,
    used_today AS active,
    CASE WHEN used_today
        THEN CAST(greatest(1, round(typical_requests * (0.6 + {_hash("requests")} % 1000 / 1250.0)))
            AS BIGINT)
        ELSE 0
    END AS requests
FROM (
    -- Days since the last use: zero on a day of use, the days since Friday for a weekday-only
    -- identity at the weekend, and the days since the last use once dormant. It never exceeds
    -- the identity's age, because an identity cannot be used before it exists.
    SELECT
        *,
        CASE
            WHEN used_today THEN 0
            WHEN dormant AND day_number > last_used_day
                THEN least(day_number - last_used_day, age)
            ELSE least(weekday - 5, age)
        END AS days_since_last_use
    FROM (
        SELECT
            *,
            (NOT dormant OR day_number <= last_used_day)
                AND (NOT weekday_only OR weekday <= 5) AS used_today,
            CASE WHEN rotation_days > 0 THEN age % rotation_days ELSE age END
                AS days_since_rotation,
            orphan_draw % 100 < orphan_pct AND day_number >= created_day + orphaned_after
                AS is_orphaned
        FROM (
            -- The identity's fixed traits.
            SELECT
                *,
                (day_number + 3) % 7 + 1 AS weekday,
                CASE type_index
                    WHEN 1 THEN ['aws', 'aws', 'azure', 'azure', 'gcp'][1 + platform_draw % 5]
                    WHEN 2 THEN ['internal', 'internal', 'github', 'salesforce', 'okta']
                        [1 + platform_draw % 5]
                    WHEN 3 THEN ['internal', 'internal', 'internal', 'okta'][1 + platform_draw % 4]
                    WHEN 4 THEN ['github', 'slack', 'salesforce', 'okta'][1 + platform_draw % 4]
                    ELSE ['slack', 'slack', 'github'][1 + platform_draw % 3]
                END AS platform,
                CASE
                    WHEN privilege_draw % 100 < {_ADMIN_BELOW}[type_index] THEN 'admin'
                    WHEN privilege_draw % 100 < {_WRITE_BELOW}[type_index] THEN 'write'
                    ELSE 'read'
                END AS privilege_level,
                -- Unused admin rights are common, unused write rights less so.
                CASE
                    WHEN privilege_draw % 100 < {_ADMIN_BELOW}[type_index]
                        THEN privilege_draw // 100 % 100 < 60
                    WHEN privilege_draw % 100 < {_WRITE_BELOW}[type_index]
                        THEN privilege_draw // 100 % 100 < 25
                    ELSE false
                END AS over_privileged,
                -- Days between rotations, or 0 for a credential never rotated since it was issued.
                CASE type_index
                    WHEN 1 THEN CASE WHEN rotation_draw < 60 THEN 90 ELSE 0 END
                    WHEN 2 THEN CASE WHEN rotation_draw < 50 THEN 30 * (1 + rotation_draw % 3)
                        ELSE 0 END
                    WHEN 3 THEN CASE WHEN rotation_draw < 95 THEN 1 + rotation_draw % 7 ELSE 0 END
                    WHEN 4 THEN CASE WHEN rotation_draw < 40 THEN 180 ELSE 0 END
                    ELSE CASE WHEN rotation_draw < 30 THEN 90 ELSE 0 END
                END AS rotation_days,
                usage_draw % 100 < {_WEEKDAY_ONLY_PCT}[type_index] AS weekday_only,
                dormant_draw % 100 < dormant_pct AS dormant,
                -- A dormant identity stops being used in the first half of its life. If it
                -- is used on weekdays only, its last use falls on a weekday.
                created_day + dormant_draw // 100 % (lifetime // 2) - CASE
                    WHEN usage_draw % 100 < {_WEEKDAY_ONLY_PCT}[type_index]
                        AND (created_day + dormant_draw // 100 % (lifetime // 2) + 3) % 7 >= 5
                        THEN (created_day + dormant_draw // 100 % (lifetime // 2) + 3) % 7 - 4
                    ELSE 0
                END AS last_used_day,
                orphan_draw // 100 % lifetime AS orphaned_after,
                {_DAILY_REQUESTS}[type_index] * pow(10, volume_draw % 1000 / 500.0 - 1)
                    AS typical_requests
            FROM (
                SELECT
                    *,
                    generation * lifetime - phase AS created_day,
                    day_number - (generation * lifetime - phase) AS age,
                    CAST(hash($org, slot, generation, 'platform') % 1000 AS BIGINT)
                        AS platform_draw,
                    CAST(hash($org, slot, generation, 'team') % 1000 AS BIGINT) AS team_draw,
                    CAST(hash($org, slot, generation, 'privilege') % 10000 AS BIGINT)
                        AS privilege_draw,
                    CAST(hash($org, slot, generation, 'rotation') % 100 AS BIGINT)
                        AS rotation_draw,
                    CAST(hash($org, slot, generation, 'usage') % 100 AS BIGINT) AS usage_draw,
                    CAST(hash($org, slot, generation, 'dormant') % 1000000000 AS BIGINT)
                        AS dormant_draw,
                    CAST(hash($org, slot, generation, 'orphan') % 1000000000 AS BIGINT)
                        AS orphan_draw,
                    CAST(hash($org, slot, generation, 'volume') % 1000 AS BIGINT) AS volume_draw
                FROM (
                    -- The identity in the slot that day: generations change every lifetime.
                    SELECT
                        *,
                        (day_number + phase) // lifetime AS generation
                    FROM (
                        SELECT
                            *,
                            CAST(hash($org, slot, 'phase') % lifetime AS BIGINT) AS phase
                        FROM (
                            SELECT
                                *,
                                {_LIFETIME_MIN}[type_index] + CAST(
                                    hash($org, slot, 'lifetime') % {_LIFETIME_SPREAD}[type_index]
                                    AS BIGINT) AS lifetime
                            FROM (
                                SELECT
                                    *,
                                    CASE
                                        WHEN type_draw < 30 THEN 1
                                        WHEN type_draw < 60 THEN 2
                                        WHEN type_draw < 60 + agent_pct THEN 3
                                        WHEN type_draw < 60 + agent_pct + (40 - agent_pct) * 3 // 5
                                            THEN 4
                                        ELSE 5
                                    END AS type_index
                                FROM (
                                    SELECT
                                        i,
                                        o.*,
                                        i % {_SLOTS} AS slot,
                                        end_day - 1 - i // {_SLOTS} AS day_number,
                                        CAST(hash($org, i % {_SLOTS}, 'type') % 100 AS BIGINT)
                                            AS type_draw
                                    FROM range(CAST($rows AS BIGINT)) AS r(i)
                                    CROSS JOIN (
                                        SELECT
                                            substr(md5($org), 1, 6) AS org_tag,
                                            CAST(epoch_us($end) // 86400000000 AS BIGINT)
                                                AS end_day,
                                            CAST(10 + hash($org, 'agents') % 16 AS BIGINT)
                                                AS agent_pct,
                                            CAST(25 + hash($org, 'dormant') % 21 AS BIGINT)
                                                AS dormant_pct,
                                            CAST(5 + hash($org, 'orphans') % 11 AS BIGINT)
                                                AS orphan_pct
                                    ) AS o
                                )
                            )
                        )
                    )
                )
            )
        )
    )
)
"""

GENERATOR = Generator(source=NHI_DAILY, sql=SQL, rows_per_day=_SLOTS, scalable=False)
