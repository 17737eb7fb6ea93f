"""Headers in and out: one Authorization header per request; safe defaults on every answer.

- A request with more than one `Authorization` header is answered 400 before anything else
  reads it. (The app authenticates with the first; the idempotency layer, seeing two, would
  pass the request through untouched, so retries with one Idempotency-Key ran again.)
- Every answer carries `X-Content-Type-Options: nosniff` (a browser never guesses a type, so
  an exported CSV or an error is never run as HTML or script).
- An answer to a request that carried a key gets `Cache-Control: no-store`: what a key reads
  (drafts, the audit trail, keys) must not stay in a shared or browser cache.
- A `Server` header set by the app is removed. uvicorn adds its own unless started with
  `--no-server-header` (`server_header=False`), which `make run`, `chitieu serve` and the
  Dockerfile do; a reverse proxy should drop it as well (docs/ARCHITECTURE.md).

Pure ASGI, outside the body limits and the idempotency middleware, inside the request id.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from app.common.asgi import HttpMiddleware
from app.errors import FieldError, problem_response

NOSNIFF = ("X-Content-Type-Options", "nosniff")
NO_STORE = ("Cache-Control", "no-store")


class SecurityHeadersMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorizations = sum(1 for k, _ in scope["headers"] if k == b"authorization")
        keyed = authorizations > 0

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[NOSNIFF[0]] = NOSNIFF[1]
                if keyed:
                    headers[NO_STORE[0]] = NO_STORE[1]
                if "server" in headers:
                    del headers["server"]
            await send(message)

        if authorizations > 1:
            field = FieldError(field="header.authorization", message="send one Authorization header", type="duplicate_header")
            response = problem_response(
                Request(scope), 400, "The request has more than one Authorization header; send exactly one.", errors=[field]
            )
            await response(scope, receive, secured)
            return
        await self.app(scope, receive, secured)
