"""The `reports` command line against the session's Postgres database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from reports_pipeline import access, cli
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope

runner = CliRunner()


@pytest.fixture(autouse=True)
def _use_test_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setattr(cli, "_settings", lambda: settings)


def test_org_create_prints_id(settings: Settings) -> None:
    result = runner.invoke(
        cli.app, ["org", "create", "Initech", "--entitlement", "enterprise_reporting"]
    )
    assert result.exit_code == 0, result.output
    organization_id = result.output.strip()
    with session_scope(settings.database_url) as session:
        organization = repository.get_organization(session, organization_id)
        assert organization is not None
        assert organization.entitlements == ["enterprise_reporting"]


def test_org_create_rejects_unknown_entitlement() -> None:
    result = runner.invoke(cli.app, ["org", "create", "Initech", "--entitlement", "everything"])
    assert result.exit_code != 0
    assert "unknown entitlements" in result.output


def test_key_create_prints_working_secret(settings: Settings) -> None:
    created = runner.invoke(cli.app, ["org", "create", "Hooli", "--all-entitlements"])
    organization_id = created.output.strip()
    result = runner.invoke(cli.app, ["key", "create", organization_id, "--all-permissions"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("rpk_")
    with session_scope(settings.database_url) as session:
        credential = repository.find_credential(session, token)
        assert credential is not None
        assert credential.organization_id == organization_id
        assert credential.permissions == sorted(access.PERMISSIONS)
        assert credential.token_hash != token


def test_key_revoke_disables_key(settings: Settings) -> None:
    organization_id = runner.invoke(cli.app, ["org", "create", "Pied Piper"]).output.strip()
    with session_scope(settings.database_url) as session:
        credential, token = repository.create_credential(
            session, organization_id, permissions=["analytics:read"]
        )
    result = runner.invoke(cli.app, ["key", "revoke", credential.id])
    assert result.exit_code == 0, result.output
    with session_scope(settings.database_url) as session:
        assert repository.find_credential(session, token) is None


def test_key_create_rejects_unknown_org() -> None:
    result = runner.invoke(cli.app, ["key", "create", "org_01M91D48NBXA23BANK8FZFY1ZA"])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_key_create_defaults_to_read(settings: Settings) -> None:
    organization_id = runner.invoke(cli.app, ["org", "create", "Aviato"]).output.strip()
    result = runner.invoke(cli.app, ["key", "create", organization_id])
    token = result.output.strip().splitlines()[-1]
    with session_scope(settings.database_url) as session:
        credential = repository.find_credential(session, token)
        assert credential is not None
        assert credential.permissions == ["analytics:read"]


def test_key_list_shows_no_secret(settings: Settings) -> None:
    organization_id = runner.invoke(cli.app, ["org", "create", "Raviga"]).output.strip()
    created = runner.invoke(cli.app, ["key", "create", organization_id, "--name", "ci"])
    token = created.output.strip().splitlines()[-1]
    result = runner.invoke(cli.app, ["key", "list", organization_id])
    assert result.exit_code == 0, result.output
    assert "ci" in result.output
    assert token[:12] in result.output
    assert token not in result.output
