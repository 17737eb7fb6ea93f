"""Domain errors and their one rendering: RFC 9457 problem+json.

Services raise the errors below; the handlers here turn them, and every other
error (404 route, 405, 422 validation, unexpected 500), into
`application/problem+json` with `type`, `title`, `status`, `detail`, `instance`
and, for validation, `errors` (one item per field). No traceback ever reaches a
client; unexpected errors are logged server-side with the request path.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import language, validation

log = logging.getLogger("chitieu")

PROBLEM_TYPE_BASE = "https://chitieu.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """What is wrong with one input field."""

    field: str
    message: str
    type: str = "invalid"


class Problem(BaseModel):
    """An RFC 9457 problem document; some problems add extension members (e.g. `existing_submission_id`)."""

    model_config = {"extra": "allow"}

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """Base of the errors services raise; each maps to one HTTP status."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, errors: list[FieldError] | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra  # RFC 9457 extension members, for machines (ids, links)


class BadRequest(DomainError):
    """A request the server cannot read as meant (e.g. a query parameter the route does not take)."""

    status, slug, title = 400, "bad-request", "Bad request"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class Unauthorized(DomainError):
    """No key, or a key that is unknown, revoked or expired."""

    status, slug, title = 401, "unauthorized", "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="chitieu"'}


class Forbidden(DomainError):
    """A valid key without the role or the organisation scope the request needs."""

    status, slug, title = 403, "forbidden", "Forbidden"


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""

    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class ServiceUnavailable(DomainError):
    """The server (this worker) is at its limit for this kind of work: try again after `Retry-After` seconds."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 1):
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a domain rule (e.g. low > high)."""

    status, slug, title = 422, "invalid-input", "Invalid input"

    @classmethod
    def from_fields(cls, detail: str, fields: dict[str, str]) -> InvalidInput:
        return cls(detail, [FieldError(field=k, message=v) for k, v in fields.items()])


HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    500: ("internal-error", "Internal server error"),
    503: ("service-unavailable", "Service unavailable"),
}


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict | None = None,
) -> JSONResponse:
    """Renders one problem document."""
    default_slug, default_title = HTTP_TITLES.get(status, ("error", "Error"))
    body = Problem(
        type=PROBLEM_TYPE_BASE + (slug or default_slug),
        title=title or default_title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
        **(extra or {}),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "targets", 0, "value") -> "targets.0.value"; keep "query."/"path." prefixes.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError, lang: str) -> tuple[list[FieldError], bool]:
    """Each error as a field and a message that says what is expected (app/validation.py), in `lang`;
    and whether every message is in `lang` (a type not mapped there keeps pydantic's English)."""
    out = []
    localized = True
    for err in exc.errors():
        kind = err.get("type", "invalid")
        loc = tuple(err.get("loc", ()))
        if kind == "json_invalid":  # loc is ("body", <character position>)
            message: str | None = validation.invalid_json(loc[-1], lang)
            loc = ("body",)
        else:
            message = validation.message(err, lang)
        if message is None:
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            localized = False
        out.append(FieldError(field=_field_name(loc), message=message, type=kind))
    return out, localized


def _not_json(exc: RequestValidationError) -> bool:
    """Whether a JSON route was sent a body of another type: FastAPI then hands the model the raw bytes.

    (Routes that take a form, the CSV/XLSX uploads, get the parsed form, never bytes.)"""
    return any(e.get("loc", ())[:1] == ("body",) and isinstance(e.get("input"), bytes) for e in exc.errors())


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the API serves on a concrete path, read from its OpenAPI document."""
    for pattern, methods in _path_patterns(app):
        if pattern.fullmatch(path):
            return methods
    return []


def _path_patterns(app: FastAPI) -> list[tuple[re.Pattern, list[str]]]:
    # "/plans/{plan_id}" -> r"/plans/[^/]+"; Starlette's 405 names only the first
    # route that matched the path, so the full list is taken from the schema.
    if getattr(app.state, "path_patterns", None) is None:
        patterns = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            patterns.append((re.compile(regex), sorted(m.upper() for m in operations)))
        app.state.path_patterns = patterns
    return app.state.path_patterns


def install_error_handlers(app: FastAPI) -> None:
    """Makes every error the API can answer a problem+json document."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        if _not_json(exc):
            sent = request.headers.get("content-type") or "none"
            return problem_response(
                request,
                415,
                f"This route takes a JSON body: send it with Content-Type: application/json (the request's was {sent}).",
                headers={"Accept": "application/json"},
            )
        lang = language.negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
        errors, localized = _validation_errors(exc, lang)
        headers = language.headers(lang) if localized else None
        unreadable = [e for e in errors if e.type == "json_invalid"]
        if unreadable:  # not a wrong value but no JSON at all: malformed syntax is a 400
            return problem_response(request, 400, unreadable[0].message, errors=unreadable, headers=headers)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return problem_response(request, 422, detail or "The request is not valid.", errors=errors, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else HTTP_TITLES.get(exc.status_code, ("", "Error"))[1]
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
            methods = allowed_methods(request.app, request.url.path)
            if methods:
                headers = {**(headers or {}), "Allow": ", ".join(methods)}
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "The server could not complete the request; it has been logged.")
