"""Demo audit trail, mostly logins and report views, with a few percent failed or denied.

Events cluster on weekdays between 08:00 and 18:00 in the local time of the region that
recorded them. Each organisation has its own user count, email domain, home region and error
rates, all derived from `hash($org)`. Emails use the reserved `.example` domain, and client
addresses come from the documentation ranges of RFC 5737.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.audit_logs import AUDIT_LOGS
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

_DOMAIN = "'org-' || substr(md5($org), 1, 6) || '.example'"
_USERS = "(40 + hash($org) % 160)"
_API_KEYS = "(3 + hash($org) % 10)"
_API_KEY_ID = "'ak_' || substr(md5($org || ':key:' || CAST({} AS VARCHAR)), 1, 12)"

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'aud_' || lpad(CAST(i AS VARCHAR), 9, '0') || '_' || substr(md5($org), 1, 6) AS event_id,
    occurred_at,
    CASE actor_type
        WHEN 'user' THEN
            ['ana', 'ben', 'chloe', 'david', 'elena', 'farid', 'grace', 'hiro', 'ines', 'jonas',
             'kavya', 'liam', 'maria', 'noah', 'olga', 'pedro', 'quinn', 'ravi', 'sofia', 'tom']
                [1 + first_name_index]
            || '.'
            || ['adams', 'baker', 'chen', 'dubois', 'evans', 'fischer', 'garcia', 'hansen',
                'ito', 'jones', 'kowalski', 'lopez', 'moreau', 'novak', 'okafor', 'patel',
                'rossi', 'silva', 'tanaka', 'weber'][1 + last_name_index]
            || '@' || {_DOMAIN}
        WHEN 'service_account' THEN service || '@svc.' || {_DOMAIN}
        WHEN 'api_key' THEN {_API_KEY_ID.format("key_index")}
        ELSE 'system'
    END AS actor,
    actor_type,
    action,
    action_category,
    resource_type,
    CASE resource_type
        WHEN 'session' THEN 'ses_' || lower(to_hex({_hash("session")}))
        WHEN 'policy' THEN
            'pol_' || lpad(CAST(resource_roll % (20 + hash($org) % 60) AS VARCHAR), 4, '0')
        WHEN 'api_key' THEN {_API_KEY_ID.format(f"resource_roll % {_API_KEYS}")}
        WHEN 'user' THEN 'usr_' || lpad(CAST(resource_roll % {_USERS} AS VARCHAR), 4, '0')
        WHEN 'role' THEN
            'role_' || ['admin', 'policy_author', 'auditor', 'analyst', 'viewer', 'billing']
                [1 + resource_roll % 6]
        WHEN 'report' THEN 'rpt_' || lpad(CAST(resource_roll % 150 AS VARCHAR), 4, '0')
        WHEN 'dataset' THEN 'ds_' || lpad(CAST(resource_roll % 40 AS VARCHAR), 3, '0')
        WHEN 'audit_log' THEN 'alog_' || strftime(occurred_at, '%Y%m')
        WHEN 'model' THEN
            'mdl_' || ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'gemini-1.5-pro',
                       'llama-3.1-70b', 'mistral-large'][1 + resource_roll % 6]
        WHEN 'integration' THEN
            'int_' || ['slack', 'jira', 'splunk', 'okta', 'servicenow', 'github']
                [1 + resource_roll % 6]
        WHEN 'org_settings' THEN
            'set_' || ['sso', 'mfa', 'ip_allowlist', 'data_residency', 'notifications']
                [1 + resource_roll % 5]
        ELSE 'ret_' || ['audit_logs', 'reports', 'prompts'][1 + resource_roll % 3]
    END AS resource_id,
    outcome,
    CASE
        WHEN outcome = 'failure' AND action = 'auth.login' THEN
            ['invalid_credentials', 'invalid_credentials', 'invalid_credentials',
             'account_locked', 'sso_assertion_invalid'][1 + reason_roll % 5]
        WHEN outcome = 'failure' AND action = 'auth.mfa_verify' THEN
            ['invalid_otp', 'invalid_otp', 'otp_expired'][1 + reason_roll % 3]
        WHEN outcome = 'failure' AND action = 'auth.logout' THEN 'session_expired'
        WHEN outcome = 'failure' THEN
            ['validation_error', 'validation_error', 'conflict', 'timeout', 'internal_error']
                [1 + reason_roll % 5]
        WHEN outcome = 'denied' AND actor_type = 'api_key' THEN 'scope_missing'
        WHEN outcome = 'denied' AND action_category = 'authentication' THEN 'ip_not_allowed'
        WHEN outcome = 'denied' THEN
            ['insufficient_role', 'insufficient_role', 'approval_required'][1 + reason_roll % 3]
    END AS failure_reason,
    CASE
        WHEN actor_type = 'system' THEN NULL
        -- Service accounts and API keys call from a few fixed egress addresses.
        WHEN actor_type <> 'user' THEN
            '192.0.2.' || CAST(1 + (hash($org) + ip_roll % 4) % 254 AS VARCHAR)
        -- People work from an office egress address or from home.
        WHEN ip_roll % 100 < 60 THEN
            '203.0.113.' || CAST(1 + (hash($org) + ip_roll % 3) % 254 AS VARCHAR)
        ELSE '198.51.100.' || CAST(1 + ip_roll % 254 AS VARCHAR)
    END AS source_ip,
    CASE actor_type
        -- Each person keeps one browser.
        WHEN 'user' THEN
            ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                || 'Chrome/126.0.0.0 Safari/537.36',
             'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 '
                || '(KHTML, like Gecko) Version/17.5 Safari/605.1.15',
             'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
             'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
                || '(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0']
                [1 + user_index % 4]
        WHEN 'service_account' THEN
            CASE service
                WHEN 'ci-deployer' THEN 'Terraform/1.9.5'
                WHEN 'policy-sync' THEN 'policy-sync/2.4.0'
                ELSE 'python-httpx/0.27.0'
            END
        WHEN 'api_key' THEN
            ['python-requests/2.32.3', 'curl/8.7.1', 'Go-http-client/2.0'][1 + key_index % 3]
        ELSE 'platform-scheduler/1.0'
    END AS user_agent,
    region,
    CASE
        WHEN action_category = 'data' AND reason_roll % 1000 < 8 THEN 'legal_hold'
        WHEN compliance_evidence THEN 'extended'
        ELSE 'standard'
    END AS retention_class,
    compliance_evidence
FROM (
    SELECT
        *,
        CASE
            WHEN outcome_roll < fail_bp THEN 'failure'
            WHEN outcome_roll < fail_bp + deny_bp THEN 'denied'
            ELSE 'success'
        END AS outcome,
        -- Policy and access changes, exports, model switches and retention changes are kept as
        -- control evidence, and so are failed or denied authentications.
        action_category IN ('policy', 'access')
            OR action IN ('data.export', 'audit_log.export', 'model.enable', 'model.disable',
                          'retention.update')
            OR (action_category = 'authentication' AND outcome_roll < fail_bp + deny_bp)
            AS compliance_evidence,
        -- For a given first name the surname index is a permutation of user_index // 20, so
        -- every user number below 400 gets a distinct name.
        CAST((user_index + hash($org) % 20) % 20 AS INTEGER) AS first_name_index,
        CAST((user_index // 20 + 3 * user_index + hash($org) // 20 % 20) % 20 AS INTEGER)
            AS last_name_index
    FROM (
        SELECT
            *,
            CAST({_hash("outcome")} % 10000 AS INTEGER) AS outcome_roll,
            -- Failure and denial rates in basis points. Each organisation has its own base
            -- rates, logins fail more often (mistyped passwords), privileged actions and API
            -- keys without the needed scope are denied more often, and a logout is never denied.
            CAST(80 + hash($org) % 120 AS INTEGER)
                + CASE action WHEN 'auth.login' THEN 450 WHEN 'auth.mfa_verify' THEN 200 ELSE 0 END
                AS fail_bp,
            CASE WHEN action = 'auth.logout' THEN 0 ELSE 60 + (hash($org) // 7) % 100 END::INTEGER
                + CASE WHEN action IN ('policy.delete', 'data.export', 'role.grant', 'key.create')
                    THEN 400 ELSE 0 END
                + CASE WHEN actor_type = 'api_key' THEN 300 ELSE 0 END
                AS deny_bp,
            -- Low user numbers act far more often than high ones, as in a real team.
            CAST(floor({_USERS} * pow(({_hash("user")} % 1000000) / 1000000.0, 1.5)) AS INTEGER)
                AS user_index,
            CAST({_hash("key")} % {_API_KEYS} AS INTEGER) AS key_index,
            CASE
                WHEN action_category = 'data' THEN 'data-pipeline'
                WHEN action_category = 'policy' AND {_hash("service")} % 100 < 70
                    THEN 'policy-sync'
                ELSE 'ci-deployer'
            END AS service,
            CAST({_hash("resource")} % 1000000 AS INTEGER) AS resource_roll,
            CAST({_hash("reason")} % 1000000 AS INTEGER) AS reason_roll,
            CAST({_hash("ip")} % 1000000 AS INTEGER) AS ip_roll
        FROM (
            SELECT
                i,
                action,
                region,
                CASE split_part(action, '.', 1)
                    WHEN 'auth' THEN 'authentication'
                    WHEN 'policy' THEN 'policy'
                    WHEN 'key' THEN 'access'
                    WHEN 'user' THEN 'access'
                    WHEN 'role' THEN 'access'
                    WHEN 'report' THEN 'data'
                    WHEN 'data' THEN 'data'
                    WHEN 'audit_log' THEN 'data'
                    ELSE 'configuration'
                END AS action_category,
                CASE split_part(action, '.', 1)
                    WHEN 'auth' THEN 'session'
                    WHEN 'key' THEN 'api_key'
                    WHEN 'data' THEN 'dataset'
                    WHEN 'settings' THEN 'org_settings'
                    WHEN 'retention' THEN 'retention_policy'
                    ELSE split_part(action, '.', 1)
                END AS resource_type,
                CASE
                    WHEN action LIKE 'auth.%' THEN 'user'
                    -- Scheduled jobs rotate keys, export the audit log to the SIEM, deactivate
                    -- dormant users and apply retention.
                    WHEN action IN ('key.rotate', 'audit_log.export', 'user.deactivate',
                                    'retention.update') AND actor_roll < 60 THEN 'system'
                    WHEN action IN ('report.view', 'report.export', 'data.export')
                        AND actor_roll < 30 THEN 'api_key'
                    -- Policy-as-code pipelines and data jobs act through service accounts.
                    WHEN action IN ('policy.create', 'policy.update', 'policy.publish',
                                    'integration.update', 'model.enable', 'data.export')
                        AND actor_roll >= 70 THEN 'service_account'
                    ELSE 'user'
                END AS actor_type,
                $end - to_days(days_back)
                    + to_seconds(CAST(utc_hour * 3600 + {_hash("second")} % 3600 AS BIGINT))
                    AS occurred_at
            FROM (
                SELECT
                    i,
                    -- Three in four events drawn on a weekend are redrawn, which leaves
                    -- weekends at about a third of a weekday's volume.
                    CASE
                        WHEN isodow(CAST($end AS DATE) - first_draw) >= 6
                            AND {_hash("weekend")} % 100 < 75
                        THEN second_draw
                        ELSE first_draw
                    END AS days_back,
                    CASE
                        WHEN action_roll < 300 THEN 'auth.login'
                        WHEN action_roll < 420 THEN 'auth.logout'
                        WHEN action_roll < 500 THEN 'auth.mfa_verify'
                        WHEN action_roll < 700 THEN 'report.view'
                        WHEN action_roll < 740 THEN 'report.export'
                        WHEN action_roll < 755 THEN 'data.export'
                        WHEN action_roll < 760 THEN 'audit_log.export'
                        WHEN action_roll < 810 THEN 'policy.update'
                        WHEN action_roll < 825 THEN 'policy.create'
                        WHEN action_roll < 840 THEN 'policy.publish'
                        WHEN action_roll < 845 THEN 'policy.delete'
                        WHEN action_roll < 855 THEN 'key.create'
                        WHEN action_roll < 865 THEN 'key.rotate'
                        WHEN action_roll < 870 THEN 'key.revoke'
                        WHEN action_roll < 880 THEN 'user.invite'
                        WHEN action_roll < 885 THEN 'user.deactivate'
                        WHEN action_roll < 900 THEN 'role.grant'
                        WHEN action_roll < 905 THEN 'role.revoke'
                        WHEN action_roll < 920 THEN 'model.enable'
                        WHEN action_roll < 925 THEN 'model.disable'
                        WHEN action_roll < 955 THEN 'integration.update'
                        WHEN action_roll < 995 THEN 'settings.update'
                        ELSE 'retention.update'
                    END AS action,
                    ['amer', 'emea', 'apac'][1 + region_index] AS region,
                    -- Local business hours shifted to UTC by the region's standard offset
                    -- (UTC-5, UTC+1, UTC+8) and wrapped into the same UTC day.
                    (local_hour - [-5, 1, 8][1 + region_index] + 24) % 24 AS utc_hour,
                    actor_roll
                FROM (
                    SELECT
                        i,
                        CAST(1 + {_hash("day")} % $days AS INTEGER) AS first_draw,
                        CAST(1 + {_hash("redraw")} % $days AS INTEGER) AS second_draw,
                        CAST({_hash("action")} % 1000 AS INTEGER) AS action_roll,
                        CAST({_hash("actor_type")} % 100 AS INTEGER) AS actor_roll,
                        CASE
                            WHEN {_hash("busy")} % 100 < 80 THEN 8 + {_hash("hour")} % 10
                            ELSE {_hash("hour")} % 24
                        END::INTEGER AS local_hour,
                        -- Seven in ten events come from the organisation's home region.
                        CASE
                            WHEN {_hash("region")} % 100 < 70 THEN hash($org) % 3
                            ELSE (hash($org) + 1 + {_hash("other_region")} % 2) % 3
                        END::INTEGER AS region_index
                    FROM range(CAST($rows AS BIGINT)) AS r(i)
                )
            )
        )
    )
)
"""

GENERATOR = Generator(source=AUDIT_LOGS, sql=SQL, rows_per_day=500)
