"""The FastAPI application: routers under /api/v1, problem+json errors, health checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import text

from app import __version__, apidocs
from app.assessments.router import router as assessments_router
from app.audit.router import router as audit_router
from app.auth.router import router as keys_router
from app.common import memory
from app.config import Settings, get_settings
from app.db import make_engine
from app.deps import HotLimiters, api_gate
from app.edge import EdgeMiddleware
from app.errors import PROBLEM_MEDIA_TYPE, install_error_handlers, problem_response
from app.exchange.export_router import router as export_router
from app.exchange.import_router import router as import_router
from app.exchange.parse_router import router as parse_router
from app.idempotency.middleware import settled_answer
from app.idempotency.openapi import document as document_idempotency
from app.idempotency.store import Settled, purge_expired
from app.limits import document as document_limits
from app.openapi import TAGS, errors
from app.openapi_examples import EXAMPLES, OPERATION_EXAMPLES
from app.organizations.router import router as organizations_router
from app.plans.router import router as plans_router
from app.reports.router import router as reports_router
from app.status.router import hot_router as status_hot_router
from app.status.router import router as status_router
from app.submissions.router import hot_router as submissions_hot_router
from app.submissions.router import router as submissions_router
from app.targets.router import router as targets_router
from app.webhooks import status_changes
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """
Tracks the numeric targets (*chỉ tiêu*) of resolutions and plans, takes progress
figures against them, and says per target and per plan where things stand and why.

Reading active and closed plans needs no key. Writes, drafts, keys and the audit trail need
an API key (`ct_...`, from `chitieu keys create` or an admin): press **Authorize** and paste
it, or send `Authorization: Bearer <key>`. Roles: viewer < reporter < editor < admin, each
over an organisation and everything under it.

Errors are always `application/problem+json` (RFC 9457). Lists are paged with
`limit` (at most 500) and `offset`, ordered with `sort`, searched with `q`, and answer their `total`
and a `Link` header to the next and previous pages; a query parameter a route does not take is a 400.
Every POST takes an `Idempotency-Key` for safe retries.
"""


def operation_id(route: APIRoute) -> str:
    """An operation's id in the OpenAPI document: its route's name, the endpoint function's (`create_submission`).

    FastAPI's default (`create_submission_api_v1_targets__target_id__submissions_post`) makes generated
    clients' method names unreadable. Names are unique across the API: tests/api/test_openapi_ids.py.
    """
    return route.name


API_PREFIX = "/api/v1"

# The API's routers, in the order their routes are matched. FastAPI tries every route before the one
# that matches (twice: to match, then to handle), so the two busiest routes come first, each alone on a
# router (POST a figure, then a target's status), then the routers of the other busy ones (no two paths
# overlap, so the order changes nothing else; docs/PERFORMANCE.md, issue 17). A POST of a figure was
# tried against the status router's 4 routes and the figures' list first: about 60 µs of the event
# loop's CPU per POST, measured in process.
API_ROUTERS = (
    submissions_hot_router,
    status_hot_router,
    status_router,
    submissions_router,
    organizations_router,
    plans_router,
    targets_router,
    assessments_router,
    parse_router,
    export_router,
    reports_router,
    import_router,
    keys_router,
    audit_router,
    webhooks_router,
)


def _include_api(app: FastAPI) -> None:
    """Each router straight into the app under /api/v1, with the API's one gate (`api_gate`).

    Not one /api/v1 router holding them all: FastAPI (0.160 and later) keeps an included router as a
    branch and, at each request, walks every branch below it to see whether a route was added since
    (33 such calls per request with the nested router, 4 without; issue 17)."""
    for router in API_ROUTERS:
        # Any route may answer 401 (a bad key) or 403 (a key out of role or scope).
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(api_gate)], responses=errors(401, 403))


# Reads that need no key while reads are open (OPEN_READS, the default): everything readable
# except keys and the audit trail, plus parsing text without storing it. Drafts still need a
# key in scope (404 at run time to anyone else, as if absent: policy.require_read_plan).
_KEY_ALWAYS = ("/api/v1/api-keys", "/api/v1/audit-events")


def _key_optional(path: str, method: str) -> bool:
    if path.startswith(_KEY_ALWAYS):
        return False
    return method == "get" or path.endswith("/parse")


def _openapi_with_problems(app: FastAPI) -> dict:
    """The OpenAPI document, with every error answer described as a problem.

    FastAPI documents 422 with its own model; ours is a Problem. Operations
    that take a body also document 400 (a body that cannot be parsed at all).
    """
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"]["content"] = problem
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "The body could not be parsed.", "content": problem})
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                responses.setdefault("415", {"description": "The body is not sent as `application/json`.", "content": problem})
    for path_name, path in schema.get("paths", {}).items():
        for operation in path.values():
            if path_name.startswith("/api/v1/"):  # app.deps.api_gate
                responses = operation.setdefault("responses", {})
                known = responses.setdefault("400", {"description": "", "content": problem})
                known["description"] = (known["description"] + " " if known["description"] else "") + (
                    "A query parameter the route does not take (each one named in `errors`)."
                )
    for path_name, path in schema.get("paths", {}).items():
        for method, operation in path.items():
            if app.state.settings.open_reads and _key_optional(path_name, method) and "security" in operation:
                operation["security"] = [*operation["security"], {}]  # {}: no key is also accepted
    _add_examples(schema)
    document_idempotency(schema)  # Idempotency-Key on every POST, its 409/422
    document_limits(schema)  # 413 on every body
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    app.openapi_schema = schema
    return schema


def _add_examples(schema: dict) -> None:
    """Real answers (app/openapi_examples.py) on the response models and on each JSON answer that is one of them."""
    schemas = schema.get("components", {}).get("schemas", {})
    examples = dict(EXAMPLES)
    for name, example in EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = [example]
        page = f"Page_{name}_"
        if page in schemas:
            examples[page] = {"items": [example], "total": 1, "limit": 100, "offset": 0}
            schemas[page]["examples"] = [examples[page]]
    if "ApiKeyCreated" in schemas:
        examples["ApiKeyCreated"] = {**EXAMPLES["ApiKeyPublic"], "key": "ct_3kQ9wX2mLr8vTn0cZp4HyWq1Ge7sBd5uJf6aKo2Ni9M"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json")
                ref = (content or {}).get("schema", {}).get("$ref", "")
                name = ref.rsplit("/", 1)[-1]
                if status.startswith("2") and name in examples:
                    content["example"] = examples[name]
                if status.startswith("2") and content is not None and operation.get("operationId") in OPERATION_EXAMPLES:
                    content["example"] = OPERATION_EXAMPLES[operation["operationId"]]


# What a browser page on an allowed origin may send and read (CORS_ORIGINS; off by default).
CORS_METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = [
    "Authorization", "Content-Type", "Accept", "Accept-Language", "Idempotency-Key", "If-Match", "If-None-Match",
    "X-Request-ID",
]  # fmt: skip
CORS_EXPOSED_HEADERS = [
    "ETag", "Location", "Content-Language", "Content-Disposition", "Retry-After", "X-Request-ID", "Idempotent-Replayed",
    "Server-Timing", "WWW-Authenticate", "Allow",
]  # fmt: skip

log = logging.getLogger("chitieu")
_HEALTHY = b'{"status":"ok"}'


async def _purge_periodically(app: FastAPI, interval: float) -> None:
    """Every `interval` seconds: delete every expired idempotency record."""
    from starlette.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(interval)
        try:
            deleted = await run_in_threadpool(purge_expired, app.state.engine)
            if deleted:
                log.info("purged %d expired idempotency records", deleted)
        except Exception:  # logged; the next round tries again
            log.warning("could not purge expired idempotency records", exc_info=True)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = app.state.settings.idempotency_purge_seconds
    task = asyncio.create_task(_purge_periodically(app, interval)) if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the app on the given settings (default: from the environment)."""
    settings = settings or get_settings()
    memory.keep_large_blocks_apart()  # a large read's buffers go back to the system when freed (app/common/memory.py)
    status_changes.install()  # target.status_changed: decided at each commit that added figures someone watches
    docs = settings.api_docs
    app = FastAPI(
        title="chitieu",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # /docs and /redoc are ours, with their assets served from our origin (app/apidocs.py)
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=_lifespan,
        generate_unique_id_function=operation_id,
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.hot_limiters = HotLimiters(
        app.state.engine.dialect.name, settings.hot_route_threads
    )  # SQLite: one read and one write at a time
    install_error_handlers(app)
    app.add_exception_handler(Settled, settled_answer)  # an Idempotency-Key whose answer is already known
    # One pure-ASGI layer (app/edge.py): request id -> headers (one Authorization; nosniff, no-store)
    # -> parse slots -> body limits -> idempotency (reads the limited body) -> app.
    app.add_middleware(EdgeMiddleware)
    origins = settings.cors_origin_list()
    if origins:  # CORS_ORIGINS: outermost, so preflights are answered first and every answer (errors too) is marked
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the process answers",
        description="200 while the process serves requests; touches no database (for a container's liveness probe).",
        response_model=dict[str, str],
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    async def healthz() -> Response:
        # No work, so no thread-pool hand-off (`async def`) and a body encoded once, at startup.
        return Response(_HEALTHY, media_type="application/json")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: the database answers",
        description="200 with the database's dialect when a `SELECT 1` succeeds, else 503 (for a load balancer's "
        "readiness probe: take the worker out of rotation).",
        responses={503: {"description": "The database does not answer."}},
    )
    def readyz(request: Request):
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any failure means not ready
            return problem_response(request, 503, "The database does not answer.", slug="not-ready", title="Not ready")
        return JSONResponse({"status": "ok", "database": app.state.engine.dialect.name})

    _include_api(app)  # after the health checks: they are matched first
    if docs:
        apidocs.install(app, openapi_url="/openapi.json")

    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
    return app
