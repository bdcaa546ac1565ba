"""Request dependencies: settings, database sessions and the authenticated principal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from reports_api.schemas import NUL_MESSAGE
from reports_pipeline.access import BASE_ENTITLEMENT
from reports_pipeline.errors import (
    EntitlementDenied,
    Forbidden,
    RateLimited,
    Unauthenticated,
    ValidationError,
)
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import get_engine, session_factory
from reports_pipeline.store.models import Organization, utcnow
from reports_pipeline.store.rate_limits import record_request

logger = logging.getLogger(__name__)

_LAST_USED_RESOLUTION = timedelta(minutes=5)
NUL = "\x00"


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(settings: Annotated[Settings, Depends(get_app_settings)]) -> Iterator[Session]:
    session = session_factory(settings.database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@dataclass(frozen=True)
class Principal:
    """The caller: a credential of one organisation, with its permissions."""

    credential_id: str
    organization: Organization
    permissions: frozenset[str]

    @property
    def organization_id(self) -> str:
        return self.organization.id

    def require_entitlement(self, key: str) -> None:
        if key not in self.organization.entitlements:
            raise EntitlementDenied(
                f"your organisation lacks the {key} entitlement; "
                "contact your account team to enable it",
                details={"entitlement": key},
            )


def get_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthenticated(
            "missing Authorization header; send 'Authorization: Bearer <api key>'"
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("malformed Authorization header; expected 'Bearer <api key>'")
    credential = repository.find_credential(session, token.strip())
    if credential is None:
        raise Unauthenticated("the API key or session token is invalid, expired or revoked")
    now = utcnow()
    if credential.last_used_at is None or now - credential.last_used_at > _LAST_USED_RESOLUTION:
        credential.last_used_at = now
    request.state.organization_id = credential.organization_id
    settings: Settings = request.app.state.settings
    enforce_rate_limit(
        settings, credential.organization_id, "api", settings.rate_limit_requests_per_minute
    )
    return Principal(
        credential_id=credential.id,
        organization=credential.organization,
        permissions=frozenset(credential.permissions),
    )


def enforce_rate_limit(settings: Settings, organization_id: str, budget: str, limit: int) -> None:
    """Count one request against the organisation's budget; raise RateLimited past `limit`."""
    if limit == 0:
        return
    decision = record_request(
        get_engine(settings.database_url), organization_id, budget, limit, time.time()
    )
    if not decision.allowed:
        logger.warning(
            "rate limit: org %s made %d %s requests this minute (limit %d)",
            organization_id,
            decision.count,
            budget,
            limit,
        )
        noun = "run launches" if budget == "runs" else "requests"
        raise RateLimited(
            f"your organisation exceeded {limit} {noun} per minute; retry after "
            f"{decision.retry_after} s",
            retry_after=decision.retry_after,
            details={"limit": limit, "budget": budget, "retry_after": decision.retry_after},
        )


def count_run_launch(request: Request, principal: Reader) -> Principal:
    """Count a run launch against the organisation's separate, smaller budget."""
    settings: Settings = request.app.state.settings
    enforce_rate_limit(
        settings, principal.organization_id, "runs", settings.rate_limit_runs_per_minute
    )
    return principal


def require(permission: str) -> Callable[..., Principal]:
    """Return a dependency that authenticates the caller and checks one permission."""

    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if permission not in principal.permissions:
            raise Forbidden(
                f"this credential lacks the {permission} permission",
                details={"permission": permission},
            )
        principal.require_entitlement(BASE_ENTITLEMENT)
        return principal

    return dependency


Reader = Annotated[Principal, Depends(require("analytics:read"))]
RunRequester = Annotated[Principal, Depends(count_run_launch)]
Creator = Annotated[Principal, Depends(require("analytics:create"))]
Updater = Annotated[Principal, Depends(require("analytics:update"))]
Deleter = Annotated[Principal, Depends(require("analytics:delete"))]


def reject_nul_characters(request: Request) -> None:
    """Reject a request whose path or query contains a NUL character, as a 400.

    Postgres cannot store or compare text with NUL, so an id or filter with one would fail in
    the database. Request bodies are checked by their models.
    """
    fields = []
    if NUL in request.scope["path"]:
        fields.append("path")
    fields += [
        f"query.{name.replace(NUL, '')}"
        for name, value in request.query_params.multi_items()
        if NUL in name or NUL in value
    ]
    if fields:
        details = [
            {"field": field, "message": NUL_MESSAGE, "type": "value_error"} for field in fields
        ]
        raise ValidationError(f"{fields[0]}: {NUL_MESSAGE}", details=details)
