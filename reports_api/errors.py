"""One place that turns every error into the API's envelope: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reports_pipeline.errors import RateLimited, ReportsError

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "resource_gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limited",
}


def envelope(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return JSONResponse(_encodable({"error": error}), status_code=status, headers=headers)


_SURROGATES = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """Return `value` with each unpaired surrogate in its text replaced by U+FFFD.

    Error messages and details quote the client's values, and UTF-8 cannot encode an unpaired
    surrogate, which a JSON body can contain.
    """
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _reports_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReportsError)
    if exc.status >= 500:
        logger.error("request failed with %s: %s", exc.code, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return envelope(exc.status, exc.code, exc.message, exc.details, headers)


def _message(error: dict[str, Any], request: Request) -> str:
    """Rewrite pydantic's message for a client: no "Value error," prefix, plain hints."""
    kind = error["type"]
    if kind == "json_invalid":
        reason = error.get("ctx", {}).get("error", "invalid syntax")
        return f"the request body is not valid JSON ({reason} at character {error['loc'][-1]})"
    content_type = request.headers.get("content-type", "")
    if error["loc"] == ("body",) and "json" not in content_type:
        return "the request body must be a JSON object sent with Content-Type: application/json"
    return str(error["msg"]).removeprefix("Value error, ")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            # A JSON syntax error's location ends with a character offset, not a field.
            "field": "body" if error["type"] == "json_invalid" else _location(error["loc"]),
            "message": _message(error, request),
            "type": error["type"],
        }
        for error in exc.errors()
    ]
    first = details[0] if details else {"field": "request", "message": "invalid request"}
    message = (
        first["message"] if first["field"] == "body" else f"{first['field']}: {first['message']}"
    )
    return envelope(400, "validation_error", message, details)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint; see /docs for the API reference"
    return envelope(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:  # noqa: ARG001
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    # Starlette raises the error again after this response, and the server then closes the
    # connection, so the response tells the client with `Connection: close`.
    return envelope(
        500,
        "internal_error",
        "the server failed to handle the request",
        headers={"Connection": "close"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReportsError, _reports_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
