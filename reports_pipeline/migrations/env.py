"""Alembic environment: migrates the database named by the alembic config's URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from reports_pipeline.store.models import Base

VERSION_TABLE = "reports_alembic_version"

config = context.config


def run_migrations() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=VERSION_TABLE,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
