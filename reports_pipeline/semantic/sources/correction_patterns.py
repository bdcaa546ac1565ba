"""Human corrections of AI outputs."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS, SEVERITIES

PATTERN_TYPES = (
    "factual_error",
    "tone",
    "policy_violation",
    "formatting",
    "hallucination",
    "pii_leak",
    "bias",
)
REVIEWER_ROLES = ("legal", "compliance", "domain_expert", "end_user")

CORRECTION_PATTERNS = Source(
    id="correction_patterns",
    table="correction_patterns",
    description=(
        "Human corrections of AI outputs, the platform's feedback loop: one row per corrected "
        "output, with the model and application that produced it, the kind and severity of the "
        "error, who corrected it and how fast, and whether the correction was accepted, had "
        "recurred, and was fed back into guardrails."
    ),
    org_column="org_id",
    time_column="corrected_at",
    time_type=FieldType.TIMESTAMP,
    time_grains=ALL_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("correction_id", "VARCHAR"),
        ("corrected_at", "TIMESTAMPTZ"),
        ("model", "VARCHAR"),
        ("application", "VARCHAR"),
        ("pattern_type", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("reviewer_role", "VARCHAR"),
        ("time_to_correct_minutes", "DOUBLE"),
        ("accepted", "BOOLEAN"),
        ("recurring", "BOOLEAN"),
        ("feedback_applied", "BOOLEAN"),
    ),
    dimensions=(
        Dimension("model", FieldType.STRING, "Model", "Model that produced the output."),
        Dimension(
            "application",
            FieldType.STRING,
            "Application",
            "AI application in which the output was shown.",
        ),
        Dimension(
            "pattern_type",
            FieldType.ENUM,
            "Pattern",
            "Kind of error the reviewer corrected.",
            allowed_values=PATTERN_TYPES,
        ),
        Dimension(
            "severity",
            FieldType.ENUM,
            "Severity",
            "Severity of the error had it gone uncorrected.",
            allowed_values=SEVERITIES,
        ),
        Dimension(
            "reviewer_role",
            FieldType.ENUM,
            "Reviewer role",
            "Role of the person who made the correction.",
            allowed_values=REVIEWER_ROLES,
        ),
        Dimension(
            "accepted",
            FieldType.BOOLEAN,
            "Accepted",
            "Whether a second review confirmed the correction as the right output.",
        ),
        Dimension(
            "recurring",
            FieldType.BOOLEAN,
            "Recurring",
            "Whether the same pattern had been corrected for the same model and application "
            "in the previous 30 days.",
        ),
        Dimension(
            "feedback_applied",
            FieldType.BOOLEAN,
            "Feedback applied",
            "Whether the accepted correction was fed back into a guardrail, prompt or "
            "evaluation set.",
        ),
        Dimension(
            "corrected_at", FieldType.TIMESTAMP, "Corrected at", "When the correction was made."
        ),
    ),
    metrics=(
        Metric("corrections", "Corrections", Aggregation.COUNT, "Number of corrections."),
        Metric(
            "recurring_corrections",
            "Recurring corrections",
            Aggregation.COUNT,
            "Corrections of a pattern already corrected for the same model and application.",
            condition="recurring",
        ),
        Metric(
            "accepted_corrections",
            "Accepted corrections",
            Aggregation.COUNT,
            "Corrections that a second review confirmed.",
            condition="accepted",
        ),
        Metric(
            "high_severity_corrections",
            "High-severity corrections",
            Aggregation.COUNT,
            "Corrections of critical or high severity errors.",
            condition="severity IN ('critical', 'high')",
        ),
        Metric(
            "feedback_applied_corrections",
            "Corrections fed back",
            Aggregation.COUNT,
            "Accepted corrections fed back into a guardrail, prompt or evaluation set.",
            condition="feedback_applied AND accepted",
        ),
        Metric(
            "recurrence_rate_pct",
            "Recurrence rate",
            Aggregation.RATIO,
            "Recurring corrections as a share of all corrections, in percent.",
            numerator="recurring_corrections",
            denominator="corrections",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "acceptance_rate_pct",
            "Acceptance rate",
            Aggregation.RATIO,
            "Accepted corrections as a share of all corrections, in percent.",
            numerator="accepted_corrections",
            denominator="corrections",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "feedback_rate_pct",
            "Feedback rate",
            Aggregation.RATIO,
            "Accepted corrections fed back, as a share of accepted corrections, in percent.",
            numerator="feedback_applied_corrections",
            denominator="accepted_corrections",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "avg_time_to_correct_minutes",
            "Mean time to correct",
            Aggregation.AVG,
            "Mean minutes from the AI output to its correction.",
            expression="time_to_correct_minutes",
            unit="minutes",
            format="#,##0.0",
        ),
        Metric(
            "p90_time_to_correct_minutes",
            "P90 time to correct",
            Aggregation.PERCENTILE,
            "90th percentile of minutes from the AI output to its correction.",
            expression="time_to_correct_minutes",
            percentile=0.9,
            unit="minutes",
            format="#,##0.0",
        ),
        Metric(
            "distinct_models",
            "Distinct models",
            Aggregation.COUNT_DISTINCT,
            "Distinct models with at least one corrected output.",
            expression="model",
        ),
        Metric(
            "distinct_applications",
            "Distinct applications",
            Aggregation.COUNT_DISTINCT,
            "Distinct applications with at least one corrected output.",
            expression="application",
        ),
    ),
)
