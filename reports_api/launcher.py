"""Launches report runs through the Dagster webserver's GraphQL API and watches them."""

from __future__ import annotations

import logging
import threading
import time
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
        self._reload_lock = threading.Lock()
        self._reload_requested = threading.Event()
        self._reload_idle = threading.Event()
        self._reload_idle.set()
        self._reload_thread: threading.Thread | None = None
        self.last_reload_seconds: float | None = None
        """Duration of the latest completed code-location reload."""

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

    def request_reload(self) -> None:
        """Reload the code location in the background, so schedule writes take effect.

        Requests made while a reload runs are served by one more reload after it, so a burst
        of writes costs at most two reloads and no request waits for one.
        """
        with self._reload_lock:
            self._reload_requested.set()
            self._reload_idle.clear()
            if self._reload_thread is None or not self._reload_thread.is_alive():
                self._reload_thread = threading.Thread(
                    target=self._reload_loop, name="code-location-reload", daemon=True
                )
                self._reload_thread.start()

    def wait_for_reload(self, timeout: float) -> bool:
        """Wait until every requested reload finished; return False on timeout."""
        return self._reload_idle.wait(timeout)

    def _reload_loop(self) -> None:
        from reports_pipeline.stack import CodeLocationError, reload_code_location

        while True:
            with self._reload_lock:
                if not self._reload_requested.is_set():
                    self._reload_idle.set()
                    return
                self._reload_requested.clear()
            started = time.monotonic()
            try:
                loaded = reload_code_location(self._settings)
            except CodeLocationError as exc:
                logger.error("code location failed to load after a schedule change: %s", exc)
                continue
            except Exception as exc:
                # The webserver may be down; the next schedule write requests another reload.
                logger.warning("reloading the code location failed: %s", exc)
                continue
            self.last_reload_seconds = time.monotonic() - started
            if not loaded:
                logger.warning("the code location reload did not report LOADED")
            else:
                logger.info("code location reloaded in %.2f s", self.last_reload_seconds)
