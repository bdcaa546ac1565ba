"""The platform's audit trail."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS, REGIONS

ACTOR_TYPES = ("user", "service_account", "api_key", "system")
ACTION_CATEGORIES = ("authentication", "policy", "access", "data", "configuration")
ACTIONS = (
    "auth.login",
    "auth.logout",
    "auth.mfa_verify",
    "policy.create",
    "policy.update",
    "policy.publish",
    "policy.delete",
    "key.create",
    "key.rotate",
    "key.revoke",
    "user.invite",
    "user.deactivate",
    "role.grant",
    "role.revoke",
    "report.view",
    "report.export",
    "data.export",
    "audit_log.export",
    "model.enable",
    "model.disable",
    "integration.update",
    "settings.update",
    "retention.update",
)
RESOURCE_TYPES = (
    "session",
    "policy",
    "api_key",
    "user",
    "role",
    "report",
    "dataset",
    "audit_log",
    "model",
    "integration",
    "org_settings",
    "retention_policy",
)
OUTCOMES = ("success", "failure", "denied")
RETENTION_CLASSES = ("standard", "extended", "legal_hold")

AUDIT_LOGS = Source(
    id="audit_logs",
    table="audit_logs",
    description=(
        "The platform's audit trail: one row per recorded action, with the identity that acted, "
        "the operation and the resource it applied to, the outcome, the client it came from, "
        "and how long the record is kept. The actor, source IP and user agent identify people, "
        "so reports over this source should redact them."
    ),
    org_column="org_id",
    time_column="occurred_at",
    time_type=FieldType.TIMESTAMP,
    time_grains=ALL_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("event_id", "VARCHAR"),
        ("occurred_at", "TIMESTAMPTZ"),
        ("actor", "VARCHAR"),
        ("actor_type", "VARCHAR"),
        ("action", "VARCHAR"),
        ("action_category", "VARCHAR"),
        ("resource_type", "VARCHAR"),
        ("resource_id", "VARCHAR"),
        ("outcome", "VARCHAR"),
        ("failure_reason", "VARCHAR"),
        ("source_ip", "VARCHAR"),
        ("user_agent", "VARCHAR"),
        ("region", "VARCHAR"),
        ("retention_class", "VARCHAR"),
        ("compliance_evidence", "BOOLEAN"),
    ),
    dimensions=(
        Dimension(
            "actor",
            FieldType.STRING,
            "Actor",
            "Who acted: a user's email, a service account, an API key id, or 'system'.",
        ),
        Dimension(
            "actor_type",
            FieldType.ENUM,
            "Actor type",
            "Kind of identity that acted.",
            allowed_values=ACTOR_TYPES,
        ),
        Dimension(
            "action",
            FieldType.ENUM,
            "Action",
            "Audited operation, named as resource.verb.",
            allowed_values=ACTIONS,
        ),
        Dimension(
            "action_category",
            FieldType.ENUM,
            "Action category",
            "Family of the audited operation.",
            allowed_values=ACTION_CATEGORIES,
        ),
        Dimension(
            "resource_type",
            FieldType.ENUM,
            "Resource type",
            "Kind of object the action applied to.",
            allowed_values=RESOURCE_TYPES,
        ),
        Dimension(
            "resource_id", FieldType.STRING, "Resource", "Identifier of the object acted on."
        ),
        Dimension(
            "outcome",
            FieldType.ENUM,
            "Outcome",
            "Whether the action succeeded, failed, or was denied by access control.",
            allowed_values=OUTCOMES,
        ),
        Dimension(
            "failure_reason",
            FieldType.STRING,
            "Failure reason",
            "Error code of a failed or denied action, or null when the action succeeded.",
        ),
        Dimension(
            "source_ip",
            FieldType.STRING,
            "Source IP",
            "Client IP address of the request, or null for actions the platform took itself.",
        ),
        Dimension("user_agent", FieldType.STRING, "User agent", "Client software that sent it."),
        Dimension(
            "region",
            FieldType.ENUM,
            "Region",
            "Platform region that recorded the event.",
            allowed_values=REGIONS,
        ),
        Dimension(
            "retention_class",
            FieldType.ENUM,
            "Retention class",
            "How long the record is kept: standard, extended for regulated records, or legal "
            "hold until released.",
            allowed_values=RETENTION_CLASSES,
        ),
        Dimension(
            "compliance_evidence",
            FieldType.BOOLEAN,
            "Compliance evidence",
            "Whether the event is tagged as evidence for a compliance control.",
        ),
        Dimension("occurred_at", FieldType.TIMESTAMP, "Occurred at", "When the action happened."),
    ),
    metrics=(
        Metric("events", "Events", Aggregation.COUNT, "Number of audit events."),
        Metric(
            "failed_events",
            "Failed events",
            Aggregation.COUNT,
            "Events whose action failed with an error.",
            condition="outcome = 'failure'",
        ),
        Metric(
            "denied_events",
            "Denied events",
            Aggregation.COUNT,
            "Events whose action access control denied.",
            condition="outcome = 'denied'",
        ),
        Metric(
            "evidence_events",
            "Evidence events",
            Aggregation.COUNT,
            "Events tagged as evidence for a compliance control.",
            condition="compliance_evidence",
        ),
        Metric(
            "failure_rate_pct",
            "Failure rate",
            Aggregation.RATIO,
            "Failed events as a share of all events, in percent.",
            numerator="failed_events",
            denominator="events",
            scale=100.0,
            unit="percent",
            format="0.00",
        ),
        Metric(
            "denial_rate_pct",
            "Denial rate",
            Aggregation.RATIO,
            "Denied events as a share of all events, in percent.",
            numerator="denied_events",
            denominator="events",
            scale=100.0,
            unit="percent",
            format="0.00",
        ),
        Metric(
            "distinct_actors",
            "Distinct actors",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities that performed at least one action.",
            expression="actor",
        ),
        Metric(
            "distinct_resources",
            "Distinct resources",
            Aggregation.COUNT_DISTINCT,
            "Distinct objects acted on.",
            expression="resource_type || ':' || resource_id",
        ),
    ),
)
