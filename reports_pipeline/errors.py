"""The error hierarchy. Each error carries the code and HTTP status of the API's error table."""

from __future__ import annotations

from typing import Any


class ReportsError(Exception):
    """Base of every error a client can cause or must receive."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class ValidationError(ReportsError):
    """The request body or query failed schema validation."""

    code = "validation_error"
    status = 400


class BadRequest(ReportsError):
    """A definition references an unknown source, dimension, metric or filter field."""

    code = "bad_request"
    status = 400


class Unauthenticated(ReportsError):
    """The credential is missing, unknown, expired or revoked."""

    code = "unauthenticated"
    status = 401


class Forbidden(ReportsError):
    """The credential lacks the `analytics:*` permission the endpoint requires."""

    code = "forbidden"
    status = 403


class EntitlementDenied(ReportsError):
    """The organisation lacks the entitlement the feature requires."""

    code = "entitlement_denied"
    status = 403


class NotFound(ReportsError):
    """The resource does not exist or belongs to another organisation."""

    code = "not_found"
    status = 404


class Conflict(ReportsError):
    """The request collides with an existing resource."""

    code = "conflict"
    status = 409


class ResourceGone(ReportsError):
    """The run has expired and its artifacts were removed."""

    code = "resource_gone"
    status = 410


class UnprocessableEntity(ReportsError):
    """The result would exceed the row cap."""

    code = "unprocessable_entity"
    status = 422


class RateLimited(ReportsError):
    """The organisation exceeded its request budget."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class RunFailed(ReportsError):
    """The report run failed inside the pipeline for a reason the client did not cause."""

    code = "run_failed"
    status = 500


class ServiceUnavailable(ReportsError):
    """A backing service (Dagster, the database) cannot be reached."""

    code = "service_unavailable"
    status = 503


class CompileError(ReportsError):
    """The compiler refused to build a query; an internal safety check failed."""

    code = "internal_error"
    status = 500


ERRORS_BY_CODE: dict[str, type[ReportsError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        BadRequest,
        Unauthenticated,
        Forbidden,
        EntitlementDenied,
        NotFound,
        Conflict,
        ResourceGone,
        UnprocessableEntity,
        RateLimited,
        RunFailed,
        ServiceUnavailable,
    )
}


def error_from_code(code: str | None, message: str, details: Any = None) -> ReportsError:
    """Rebuild a stored error (a failed run's code and message) as the matching exception."""
    cls = ERRORS_BY_CODE.get(code or "", RunFailed)
    return cls(message, details=details)
