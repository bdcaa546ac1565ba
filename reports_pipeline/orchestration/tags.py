"""Tag keys that every report run carries in Dagster."""

ORGANIZATION = "reports/organization_id"
REPORT = "reports/report_id"
RUN = "reports/run_id"
TRIGGER = "reports/trigger"
SCHEDULE = "reports/schedule_id"

REPORT_JOB = "report_run"
HEALTH_CHECK_JOB = "health_check"
RETENTION_JOB = "artifact_retention"
