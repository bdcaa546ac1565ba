"""Launches report runs through the Dagster webserver's GraphQL API and watches them."""

from __future__ import annotations

import logging
import threading
from typing import Any

from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from reports_pipeline.errors import ServiceUnavailable
from reports_pipeline.orchestration import tags
from reports_pipeline.settings import Settings

logger = logging.getLogger(__name__)

REPOSITORY_NAME = "__repository__"
TERMINAL_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})


class DagsterLauncher:
    """Submits jobs and reads run status; one GraphQL client per thread, since a client's
    HTTP transport serves one request at a time."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()

    def _client(self) -> DagsterGraphQLClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = DagsterGraphQLClient(
                self._settings.dagster_host, port_number=self._settings.dagster_port, timeout=30
            )
            self._local.client = client
        return client

    def submit(self, job_name: str, run_config: dict[str, Any], run_tags: dict[str, str]) -> str:
        """Launch `job_name` and return the Dagster run id."""
        try:
            return str(
                self._client().submit_job_execution(
                    job_name,
                    repository_location_name=self._settings.dagster_location_name,
                    repository_name=REPOSITORY_NAME,
                    run_config=run_config,
                    tags=run_tags,
                )
            )
        except DagsterGraphQLClientError as exc:
            logger.error("launching %s failed: %s", job_name, exc)
            raise ServiceUnavailable(
                "the report runner (Dagster) did not accept the run; try again shortly"
            ) from exc

    def launch_report(self, run_id: str, organization_id: str, report_id: str, trigger: str) -> str:
        return self.submit(
            tags.REPORT_JOB,
            {"ops": {"compile_report": {"config": {"run_id": run_id}}}},
            {
                tags.RUN: run_id,
                tags.ORGANIZATION: organization_id,
                tags.REPORT: report_id,
                tags.TRIGGER: trigger,
            },
        )

    def status(self, dagster_run_id: str) -> str:
        """Return the Dagster run status name, such as STARTED or SUCCESS."""
        try:
            return str(self._client().get_run_status(dagster_run_id).value)
        except DagsterGraphQLClientError as exc:
            logger.warning("reading the status of Dagster run %s failed: %s", dagster_run_id, exc)
            raise ServiceUnavailable("the report runner (Dagster) cannot be reached") from exc
