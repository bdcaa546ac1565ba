"""The resource through which ops reach the database, the warehouse and the artifact store."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

from reports_pipeline.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ReportsService(ConfigurableResource):  # type: ignore[type-arg]
    """Settings-driven access to the service's stores; configured by `REPORTS_*` variables."""

    @property
    def settings(self) -> Settings:
        return get_settings()

    @property
    def warehouse_path(self) -> Path:
        return self.settings.warehouse_path

    @property
    def artifact_dir(self) -> Path:
        return self.settings.artifact_dir

    @contextmanager
    def session(self) -> "Iterator[Session]":
        from reports_pipeline.store.db import session_scope

        with session_scope(self.settings.database_url) as session:
            yield session
