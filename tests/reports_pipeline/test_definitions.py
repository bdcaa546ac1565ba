"""The Dagster code location loads and holds the report job with its stages in order."""

from __future__ import annotations

import pytest
from dagster import repository

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


SCHEDULE_ID = "rsch_01JF8RRSC1A2B3C4D5E6F7G8H1"


def test_job_lookup_reads_no_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run worker gets its job without reading schedule rows; the schedules load on request."""
    reads: list[int] = []

    def rows() -> list[ScheduleRow]:
        reads.append(1)
        return [ScheduleRow(SCHEDULE_ID, "org_x", "ciso.x", "0 8 * * 1", "UTC")]

    monkeypatch.setattr(definitions, "load_schedule_rows", rows)
    repository_def = repository(name="__repository__")(definitions.reports_repository_data)  # type: ignore[arg-type]

    assert repository_def.get_job(tags.REPORT_JOB).name == tags.REPORT_JOB
    assert {sensor.name for sensor in repository_def.sensor_defs} == {
        "report_run_failed",
        "report_run_canceled",
    }
    assert reads == []
    assert {schedule.name for schedule in repository_def.schedule_defs} == {
        "artifact_retention_hourly",
        f"report_schedule_{SCHEDULE_ID}",
    }
    assert repository_def.has_schedule_def(f"report_schedule_{SCHEDULE_ID}")
    assert reads == [1]


def test_location_loads_every_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """The code server loads all definitions at once, as `load_all_definitions` does."""
    monkeypatch.setattr(definitions, "load_schedule_rows", list)
    repository_def = repository(name="__repository__")(definitions.reports_repository_data)  # type: ignore[arg-type]

    repository_def.load_all_definitions()

    assert set(repository_def.job_names) == {
        tags.REPORT_JOB,
        tags.HEALTH_CHECK_JOB,
        tags.RETENTION_JOB,
    }
    schedule = repository_def.get_schedule_def("artifact_retention_hourly")
    assert schedule.job_name == tags.RETENTION_JOB
