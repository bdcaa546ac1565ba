"""The FastAPI application of the Reports service."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI

from reports_api.deps import reject_nul_characters
from reports_api.errors import install_error_handlers
from reports_api.launcher import DagsterLauncher
from reports_api.routers import artifacts, catalog, runs, saved, schedules, semantic
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, launcher: DagsterLauncher | None = None
) -> FastAPI:
    """Build the application; the catalogue loads here, so a broken definition stops start-up."""
    settings = settings or get_settings()
    catalogue = get_catalogue()
    app = FastAPI(
        title="Reports API",
        version="1.0.0",
        description="Catalogue reports, saved reports, schedules and signed artifact downloads.",
        dependencies=[Depends(reject_nul_characters)],
    )
    app.state.settings = settings
    app.state.launcher = launcher or DagsterLauncher(settings)
    install_error_handlers(app)
    app.include_router(catalog.router)
    app.include_router(runs.router)
    app.include_router(artifacts.router)
    app.include_router(semantic.router)
    app.include_router(saved.router)
    app.include_router(schedules.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    logger.info("reports API ready with %d catalogue reports", len(catalogue))
    return app
