"""The one ASGI layer around the app (issue 17): what five middlewares did, in one pass over the headers.

In order, as the five layers were nested (outermost first):

1. request id (app/request_id.py): the client's sane `X-Request-ID`, else a new UUID, in
   `scope["state"]["request_id"]` and echoed on the answer;
2. headers (app/security.py): more than one `Authorization` header is a 400; every answer gets
   `X-Content-Type-Options: nosniff`, `Cache-Control: no-store` when the request carried a key,
   and no `Server` header from the app;
3. the parse gate (app/exchange/parse_router.py `ParseGateMiddleware`): a parse slot, or 503
   before the body is read;
4. body limits (app/limits.py): 413 for a declared or streamed body over the path's limit;
5. idempotency (app/idempotency/middleware.py `IdempotencyMiddleware`) for POSTs under /api/v1.

Why one layer: each pure-ASGI layer cost a call, a closure over `send` (and `receive`) and its
own scan of the headers per request; a request that does no work (/healthz) spent about two
thirds of its time in what we add (docs/PERFORMANCE.md, issue 17). Here the headers are read
once, one `send` wrapper writes every answer header, and the parse gate and the idempotency
layer (built once, at startup) are entered only by the requests they concern.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import FieldError, problem_response
from app.exchange.parse_router import ParseGateMiddleware
from app.idempotency.middleware import PREFIX as IDEMPOTENT_PREFIX
from app.idempotency.middleware import IdempotencyMiddleware
from app.limits import PARSE_PATH, BodyTooLarge, answer_too_large, body_limit
from app.request_id import SANE_REQUEST_ID

_REQUEST_ID = b"x-request-id"
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")
# Headers of the app's answer this layer sets (so any the app set are replaced) or drops (server).
_REPLACED = frozenset({b"server", b"x-content-type-options"})
_REPLACED_KEYED = _REPLACED | {b"cache-control"}


class EdgeMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.idempotent = IdempotencyMiddleware(app)
        self.gated = ParseGateMiddleware(self._limited)  # the parse gate, then the limits, then idempotency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given: bytes | None = None
        authorizations = 0
        for name, value in scope["headers"]:  # one pass (names are lower case in ASGI)
            if name == b"authorization":
                authorizations += 1
            elif name == _REQUEST_ID and given is None:
                given = value  # the first one, as before
        text = given.decode("latin-1") if given else ""
        request_id = text if SANE_REQUEST_ID.match(text) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        rid = request_id.encode()
        keyed = authorizations > 0
        replaced = _REPLACED_KEYED if keyed else _REPLACED

        async def edge_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in replaced]
                headers.append(_NOSNIFF)
                if keyed:
                    headers.append(_NO_STORE)
                headers.append((_REQUEST_ID, rid))
                message["headers"] = headers
            await send(message)

        if authorizations > 1:
            field = FieldError(field="header.authorization", message="send one Authorization header", type="duplicate_header")
            response = problem_response(
                Request(scope), 400, "The request has more than one Authorization header; send exactly one.", errors=[field]
            )
            await response(scope, receive, edge_send)
            return
        if scope["method"] == "POST" and PARSE_PATH.match(scope["path"]):
            await self.gated(scope, receive, edge_send)
            return
        await self._limited(scope, receive, edge_send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The body limits (app/limits.py), then idempotency for POSTs under /api/v1, then the app."""
        path = scope["path"]
        limit = body_limit(path)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await answer_too_large(scope, receive, send, limit)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        inner = self.idempotent if scope["method"] == "POST" and path.startswith(IDEMPOTENT_PREFIX) else self.app
        try:
            await inner(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:
            if started:  # pragma: no cover - the body is read before any answer starts
                raise
            await answer_too_large(scope, receive, send, exc.limit)
