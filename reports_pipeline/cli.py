"""The `reports` command line for operators."""

from __future__ import annotations

import logging
import secrets
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reports_pipeline import access
from reports_pipeline.settings import STATE_DIR, Settings, get_settings

if TYPE_CHECKING:
    from reports_pipeline.warehouse.seed import SeedPlan

app = typer.Typer(help="Operate the Reports service.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations and their entitlements.", no_args_is_help=True)
key_app = typer.Typer(help="API keys and session tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The application database.", no_args_is_help=True)
warehouse_app = typer.Typer(help="The DuckDB warehouse.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")
app.add_typer(db_app, name="db")
app.add_typer(warehouse_app, name="warehouse")

# Output that is not a terminal (a log file, a pipe) is not wrapped at 80 columns.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
DEMO_ORG_NAME = "Demo Org"
DEMO_ENV = STATE_DIR / "demo.env"
SECRETS_ENV = STATE_DIR / "reports.env"
PEER_ORGANIZATIONS = ("org_01DEM0PEER0000000000000001", "org_01DEM0PEER0000000000000002")
"""Synthetic tenants seeded beside real ones, so every demo shows isolation at work."""


def _settings() -> Settings:
    return get_settings()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the application database."""
    from reports_pipeline.store.migrate import upgrade

    upgrade(_settings().database_url)
    console.print("database is up to date")


@org_app.command("create")
def org_create(
    name: str,
    entitlement: Annotated[
        list[str] | None, typer.Option(help="Entitlement key; repeatable.")
    ] = None,
    all_entitlements: Annotated[bool, typer.Option(help="Grant every entitlement.")] = False,
) -> None:
    """Create an organisation and print its id."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope

    granted = list(access.ENTITLEMENTS) if all_entitlements else list(entitlement or [])
    with session_scope(_settings().database_url) as session:
        try:
            organization = repository.create_organization(session, name, granted)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        console.print(organization.id)


@org_app.command("list")
def org_list() -> None:
    """List organisations with their entitlements."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope

    table = Table("id", "name", "entitlements")
    with session_scope(_settings().database_url) as session:
        for organization in repository.list_organizations(session):
            table.add_row(organization.id, organization.name, ", ".join(organization.entitlements))
    console.print(table)


@key_app.command("create")
def key_create(
    organization_id: str,
    permission: Annotated[
        list[str] | None, typer.Option(help="Permission such as analytics:read; repeatable.")
    ] = None,
    all_permissions: Annotated[
        bool, typer.Option(help="Grant every analytics:* permission.")
    ] = False,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until the key expires.")
    ] = None,
    session_token: Annotated[
        bool, typer.Option("--session", help="Create a session token instead of an API key.")
    ] = False,
) -> None:
    """Create an API key (or session token) and print its secret once."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope

    permissions = (
        list(access.PERMISSIONS) if all_permissions else list(permission or ["analytics:read"])
    )
    expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    with session_scope(_settings().database_url) as session:
        if repository.get_organization(session, organization_id) is None:
            raise typer.BadParameter(f"organisation {organization_id} does not exist")
        try:
            credential, token = repository.create_credential(
                session,
                organization_id,
                permissions=permissions,
                kind="session" if session_token else "api_key",
                name=name,
                expires_at=expires,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    console.print(f"credential {credential.id}; the secret is shown only once:", style="bold")
    print(token)


@key_app.command("list")
def key_list(organization_id: str) -> None:
    """List an organisation's API keys and session tokens (never their secrets)."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope

    table = Table("id", "kind", "name", "prefix", "permissions", "created", "expires", "revoked")
    with session_scope(_settings().database_url) as session:
        for credential in repository.list_credentials(session, organization_id):
            table.add_row(
                credential.id,
                credential.kind,
                credential.name,
                credential.token_prefix + "…",
                ", ".join(credential.permissions),
                f"{credential.created_at:%Y-%m-%d %H:%M}",
                f"{credential.expires_at:%Y-%m-%d %H:%M}" if credential.expires_at else "",
                f"{credential.revoked_at:%Y-%m-%d %H:%M}" if credential.revoked_at else "",
            )
    console.print(table)


@key_app.command("revoke")
def key_revoke(credential_id: str) -> None:
    """Revoke an API key or session token."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope

    with session_scope(_settings().database_url) as session:
        if not repository.revoke_credential(session, credential_id):
            raise typer.BadParameter(
                f"credential {credential_id} does not exist or is already revoked"
            )
    console.print(f"revoked {credential_id}")


def _seed(settings: Settings, plan: SeedPlan) -> None:
    from reports_pipeline.warehouse.seed import seed_batches, seed_warehouse

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("seeding warehouse", total=seed_batches(plan))

        def advance(source_id: str, organization_id: str) -> None:
            progress.update(task, advance=1, description=f"{source_id} {organization_id}")

        counts = seed_warehouse(settings.warehouse_path, plan, advance)
    for source_id, count in counts.items():
        console.print(f"{source_id}: {count:,} rows")


@warehouse_app.command("seed")
def warehouse_seed(
    org: Annotated[
        list[str] | None,
        typer.Option(
            help="Organisation id; repeatable. Default: every organisation in the database "
            "plus two synthetic peers."
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days of history to generate.")] = 400,
    scale: Annotated[
        float,
        typer.Option(
            min=0.001,
            max=1000.0,
            help="Multiplier of every event source's rows per organisation and day.",
        ),
    ] = 1.0,
    end: Annotated[
        str | None, typer.Option(help="Last day of data (YYYY-MM-DD); default today in UTC.")
    ] = None,
) -> None:
    """Replace the warehouse with deterministic demo data."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope
    from reports_pipeline.warehouse.seed import SeedPlan

    settings = _settings()
    organizations = list(org or [])
    if not organizations:
        with session_scope(settings.database_url) as session:
            organizations = [o.id for o in repository.list_organizations(session)]
        organizations += list(PEER_ORGANIZATIONS)
    try:
        end_date = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise typer.BadParameter(f"--end {end!r} is not a date such as 2026-11-30") from exc
    _seed(settings, SeedPlan(organizations=organizations, days=days, end=end_date, scale=scale))


@warehouse_app.command("load")
def warehouse_load(
    source_id: Annotated[str, typer.Argument(help="Source whose table the file replaces.")],
    file: Annotated[
        Path, typer.Argument(help="A .parquet or .csv file with the source's columns.")
    ],
    org: Annotated[
        str | None,
        typer.Option(help="Replace only this organisation's rows; the file may hold no other."),
    ] = None,
) -> None:
    """Load a Parquet or CSV export into one warehouse table, checking its schema first."""
    from reports_pipeline.semantic.sources import SOURCES
    from reports_pipeline.warehouse.load import LoadError, load_file

    source = SOURCES.get(source_id)
    if source is None:
        raise typer.BadParameter(
            f"unknown source {source_id!r}; valid sources: {', '.join(SOURCES)}"
        )
    try:
        with console.status(f"loading {file} into {source.table}"):
            result = load_file(_settings().warehouse_path, source, file, organization=org)
    except LoadError as exc:
        console.print(f"load failed, nothing changed: {exc}", style="red")
        raise typer.Exit(code=1) from exc
    if result.ignored_columns:
        console.print(f"ignored columns not in the source: {', '.join(result.ignored_columns)}")
    console.print(f"{source.table} now contains {result.rows:,} rows")


@app.command("docs")
def docs(
    directory: Annotated[Path, typer.Option(help="Directory the pages are written to.")] = Path(
        "docs"
    ),
) -> None:
    """Regenerate the pages that derive from code: semantic-layer.md and catalogue.md."""
    from reports_pipeline.catalogue.loader import load_catalogue
    from reports_pipeline.catalogue.reference import render_catalogue
    from reports_pipeline.semantic.reference import render_reference
    from reports_pipeline.semantic.sources import SOURCES

    pages = {
        "semantic-layer.md": render_reference(SOURCES.values()),
        "catalogue.md": render_catalogue(load_catalogue().values()),
    }
    for name, text in pages.items():
        target = directory / name
        target.write_text(text, encoding="utf-8")
        console.print(f"wrote {target}")


def _ensure_secrets() -> None:
    """Create `.reports/reports.env` with a random signing key on first start."""
    if SECRETS_ENV.exists():
        return
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    SECRETS_ENV.write_text(f"REPORTS_SIGNING_KEY={secrets.token_urlsafe(48)}\n", encoding="utf-8")
    SECRETS_ENV.chmod(0o600)
    get_settings.cache_clear()


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            if value:
                values[key.strip()] = value.strip()
    return values


@app.command("demo")
def demo() -> None:
    """Create the demo organisation, an API key and demo data; write `.reports/demo.env`."""
    from reports_pipeline.store import repository
    from reports_pipeline.store.db import session_scope
    from reports_pipeline.store.migrate import upgrade
    from reports_pipeline.warehouse.seed import SeedPlan

    _ensure_secrets()
    settings = _settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        organization = next(
            (o for o in repository.list_organizations(session) if o.name == DEMO_ORG_NAME), None
        )
        if organization is None:
            organization = repository.create_organization(
                session, DEMO_ORG_NAME, access.ENTITLEMENTS
            )
        key = _read_env_file(DEMO_ENV).get("TRINITITE_API_KEY")
        credential = repository.find_credential(session, key) if key else None
        if credential is None or credential.organization_id != organization.id:
            _, key = repository.create_credential(
                session, organization.id, permissions=access.PERMISSIONS, name="demo"
            )
        organization_id = organization.id
    DEMO_ENV.write_text(
        f"export TRINITITE_BASE={settings.public_base_url}\nexport TRINITITE_API_KEY={key}\n",
        encoding="utf-8",
    )
    DEMO_ENV.chmod(0o600)
    if not settings.warehouse_path.exists():
        _seed(settings, SeedPlan(organizations=[organization_id, *PEER_ORGANIZATIONS]))
    console.print(f"demo organisation {organization_id}; credentials in {DEMO_ENV}")


@app.command("up")
def up(
    with_demo: Annotated[
        bool,
        typer.Option("--demo/--no-demo", help="Create the demo organisation, key and data first."),
    ] = True,
) -> None:
    """Start the code server, the Dagster webserver and daemon, and the API on 127.0.0.1."""
    from reports_pipeline.stack import Stack
    from reports_pipeline.store.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _ensure_secrets()
    if with_demo:
        demo()
    settings = _settings()
    upgrade(settings.database_url)
    stack = Stack(settings=settings, log_dir=STATE_DIR / "logs")

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Explicit, because a shell starting `reports up` in the background ignores SIGINT.
    signal.signal(signal.SIGINT, stop)
    try:
        with console.status("starting the code server, Dagster webserver and daemon, and the API"):
            stack.start()
        console.print(f"Dagster UI   http://127.0.0.1:{settings.dagster_port}")
        console.print(f"Reports API  http://127.0.0.1:{settings.api_port}  (docs at /docs)")
        console.print(f"Logs         {stack.log_dir}/")
        if with_demo:
            console.print(f"Credentials  source {DEMO_ENV}")
        console.print("Press Ctrl-C to stop.")
        while True:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    console.print(
                        f"{name} exited with code {process.returncode}; stopping", style="red"
                    )
                    raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        console.print("stopping")
        stack.stop()


def main() -> None:
    """Run the command line; a database that cannot be opened is one line, not a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    try:
        app()
    except OperationalError as exc:
        url = make_url(_settings().database_url).render_as_string(hide_password=True)
        console.print(
            f"cannot open the database {url}: {exc.orig}. Run reports from the project "
            "directory, where .reports/ is, or set REPORTS_DATABASE_URL.",
            style="red",
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
