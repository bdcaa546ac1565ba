"""The Dagster code location loads and holds the report job with its stages in order."""

from __future__ import annotations

import pytest

from reports_pipeline import definitions
from reports_pipeline.definitions import defs
from reports_pipeline.orchestration import tags
from reports_pipeline.orchestration.schedules import ScheduleRow


def test_definitions_load() -> None:
    job = defs.get_job(tags.REPORT_JOB)
    assert job.executor_def.name == "in_process"


def _upstream(node_name: str) -> list[str]:
    structure = defs.get_job(tags.REPORT_JOB).graph.dependency_structure
    outputs = structure.all_upstream_outputs_from_node(node_name)
    return sorted({output.node.name for output in outputs})


def test_report_job_stage_order() -> None:
    assert _upstream("compile_report") == []
    assert _upstream("execute_query") == ["compile_report"]
    assert _upstream("render_artifact") == ["execute_query"]
    assert _upstream("record_outcome") == ["execute_query", "render_artifact"]
    assert _upstream("plan_deliveries") == ["record_outcome"]
    assert _upstream("deliver") == ["plan_deliveries"]
    assert _upstream("record_deliveries") == ["deliver", "plan_deliveries"]


def test_health_check_job_has_one_op() -> None:
    job = defs.get_job(tags.HEALTH_CHECK_JOB)
    assert [node.name for node in job.graph.nodes] == ["ping"]


def test_unbuildable_row_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row whose cron or zone Dagster rejects is left out, so the other schedules still load."""
    rows = [
        ScheduleRow("rsch_01JF8RRSC1A2B3C4D5E6F7G8H0", "org_x", "ciso.x", "0 0 30 2 1", "UTC"),
        ScheduleRow("rsch_01JF8RRSC1A2B3C4D5E6F7G8H1", "org_x", "ciso.x", "0 8 * * 1", "UTC"),
        ScheduleRow("rsch_01JF8RRSC1A2B3C4D5E6F7G8H2", "org_x", "ciso.x", "0 9 * * 1", "Mars/Base"),
    ]
    monkeypatch.setattr(definitions, "load_schedule_rows", lambda: rows)
    names = set(definitions.repository_contents()["schedules"])
    assert names == {"artifact_retention_hourly", "report_schedule_rsch_01JF8RRSC1A2B3C4D5E6F7G8H1"}
