"""`Idempotency-Key` on POST: a retried request gets the first answer instead of a second write.

Which requests: every POST under /api/v1 that carries an `Idempotency-Key` header and an
`Authorization: Bearer ...` header. Without a key, or without Authorization (the app answers
401 to a write without a key anyway), the request is passed through untouched.

Semantics (see also docs/ARCHITECTURE.md):
- The key is 1 to 255 printable ASCII characters (space to `~`), sent once; anything else
  is a 422 problem naming `header.idempotency-key` (like any other invalid parameter).
- Keys are per API key: the owner is the SHA-256 of the bearer token (the key's stored hash).
- The request is fingerprinted as SHA-256 over method, path, raw query string and raw body,
  byte for byte (so the same JSON with other spacing is another request).
- First use: the request runs; its write commits together with a record of the key
  (app/idempotency/events.py), and its answer (status, body and the headers in
  `STORED_HEADERS`) is added to the record before it is sent. A request that writes nothing
  (a 4xx, a dry run) gets a record holding its answer.
- Same key, same request, answer stored: the stored answer, with `Idempotent-Replayed: true`.
  This includes 4xx answers (a refused request is refused again the same way); to try other
  input, use a new key.
- Same key, different request: 422 (`idempotency-key-reused`); nothing runs.
- Same key while the first request is still running: the second one runs but cannot commit
  (the key is taken at the first one's commit), and gets the first one's answer, or 409
  (`idempotency-in-progress`, `Retry-After: 1`) when that answer is not stored yet.
- Same key after the first request's write committed but its answer was lost (a 5xx after the
  commit, or the process died in between): 409 (`idempotency-answer-lost`): read the resource
  instead of retrying.
- A 5xx answer, an exception, or a 401 (the caller was not authenticated) of a request that
  committed nothing is not stored, so a retry runs again.
- The answer to `POST /api/v1/api-keys` (the new key's secret) is never stored: the secret
  exists only in that one answer. A retry after it committed gets 409 (answer lost); list the
  keys, revoke the one whose answer was lost, and make another.
- An answer larger than `store.MAX_ANSWER_BYTES` (256 KiB) is not stored: if the request
  committed, a retry gets 409 (answer lost: read the resource); if it wrote nothing, a retry
  runs again.
- Records are kept 24 hours (`expires_at`); after that the key may be used afresh. Expired
  records are deleted as answers are stored (at most 100 each time) and, all of them, by each
  worker every IDEMPOTENCY_PURGE_SECONDS (app/main.py) or by `chitieu purge`.

Pure ASGI (no BaseHTTPMiddleware). The record is looked up on the request's own session once
the key is authenticated (`store.settle`, called by app/deps.py current_principal, which raises
`store.Settled`, answered by `settled_answer`), inserted by the request's own write transaction,
and its answer stored after the request in a short transaction on the app's engine
(`scope["app"].state.engine`), through the thread pool (app/idempotency/store.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import FieldError, problem_response
from app.idempotency import events, store

log = logging.getLogger("chitieu.idempotency")

HEADER = b"idempotency-key"
REPLAYED = b"idempotent-replayed"
PREFIX = "/api/v1/"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[ -~]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
# Paths whose successful answer carries a secret (a new API key, shown once): it is never stored,
# so a retry of a key creation that committed gets 409 (answer lost), not the secret again.
SECRET_ANSWERS = frozenset({"/api/v1/api-keys"})
STORED_HEADERS = store.STORED_HEADERS


def _bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    values = [v for k, v in headers if k == b"authorization"]
    if len(values) != 1:
        return None
    scheme, _, token = values[0].decode("latin-1").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode("utf-8"), scope.get("query_string", b"")):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.hexdigest()


def _not_stored(status: int) -> bool:
    return status >= 500 or status == 401


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        events.install()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        keys = [v for k, v in scope["headers"] if k == HEADER]
        token = _bearer_token(scope["headers"])
        if not keys or token is None:
            await self.app(scope, receive, send)
            return
        key = keys[0].decode("latin-1")
        if len(keys) > 1 or not _KEY.match(key):
            await _bad_key(scope, receive, send, several=len(keys) > 1)
            return

        body = await _read_body(receive)
        if body is None:  # the client went away before sending the whole body
            return
        engine = scope["app"].state.engine
        ctx = store.Context(
            owner=hashlib.sha256(token.encode("utf-8")).hexdigest(), key=key, fingerprint=_fingerprint(scope, body)
        )
        # The record is looked up once the key is authenticated, in the same thread hop
        # (store.settle, from current_principal); an answer it settles comes back as the app's.
        await self._run(scope, _replaying(body, receive), send, engine, ctx)

    async def _run(self, scope: Scope, receive: Receive, send: Send, engine, ctx: store.Context) -> None:
        """Runs the request with the context in its state; stores the answer, then sends it."""
        scope.setdefault("state", {})[events.STATE_KEY] = ctx
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            else:  # pragma: no cover - no other message types are sent to HTTP requests here
                await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if ctx.record_id is not None:
                with anyio.CancelScope(shield=True):  # also when the request is cancelled
                    await _mark_lost(engine, ctx)
            raise
        if ctx.taken:  # another request with this key committed first: answer as it settled
            await _settled(scope, receive, send, await run_in_threadpool(store.settled_by_other, engine, ctx))
            return
        if start is None or not complete:  # pragma: no cover - the app always answers
            return
        body = b"".join(chunks)
        if ctx.settled or (ctx.record_id is not None and ctx.answer is not None):
            # the earlier request's answer (settled_answer), or this one's, stored with its write: sent as it is
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        status = start["status"]
        secret = scope["path"] in SECRET_ANSWERS and 200 <= status < 300
        if _not_stored(status) or secret:
            if ctx.record_id is not None:  # committed: a retry must not run it again
                await _mark_lost(engine, ctx)
        else:
            kept = store.stored_headers(start.get("headers", []))
            if len(body) + len(kept) > store.MAX_ANSWER_BYTES:  # too large to keep: as if lost (see store.py)
                log.info("answer of %d bytes not stored for idempotency key %r", len(body), ctx.key)
                if ctx.record_id is not None:
                    await _mark_lost(engine, ctx)
                other = None
            else:
                try:
                    other = await run_in_threadpool(store.store_answer, engine, ctx, status=status, headers=kept, body=body)
                except Exception:  # the answer is still sent; a retry then gets 409 or runs again
                    log.exception("could not store the answer for idempotency key %r", ctx.key)
                    other = None
            if other is not None:  # this request wrote nothing, and another with the key settled first
                await _settled(scope, receive, send, other)
                return
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _mark_lost(engine, ctx: store.Context) -> None:
    try:
        await run_in_threadpool(store.mark_lost, engine, ctx)
    except Exception:  # left 'committed', the record reads as lost after ANSWER_WITHIN
        log.exception("could not mark idempotency record %s as lost", ctx.record_id)


async def _settled(scope: Scope, receive: Receive, send: Send, outcome: store.Replay | store.Refused) -> None:
    await _answer(Request(scope), outcome)(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then defers to the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def settled_answer(request: Request, exc: Exception) -> Response:
    """The exception handler for store.Settled: the stored answer, or the refusal."""
    if not isinstance(exc, store.Settled):  # registered for Settled only; Starlette types handlers on Exception
        raise exc
    return _answer(request, exc.outcome)


def _answer(request: Request, outcome: store.Replay | store.Refused) -> Response:
    """What a settled key answers: the stored answer (`Idempotent-Replayed: true`), or the refusal."""
    if isinstance(outcome, store.Replay):
        stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(outcome.headers)]
        response = Response(content=outcome.body, status_code=outcome.status)
        response.raw_headers = [*stored, (b"content-length", str(len(outcome.body)).encode()), (REPLAYED, b"true")]
        return response
    status, slug, title, detail = _REFUSALS[outcome.reason]
    headers = {"Retry-After": "1"} if outcome.reason == "in_progress" else None
    return problem_response(request, status, detail, slug=slug, title=title, headers=headers)


_REFUSALS = {
    "reused": (
        422,
        "idempotency-key-reused",
        "Idempotency key reused",
        "This Idempotency-Key was already used with a different request (method, path, query or body). "
        "Use a new key for a new request.",
    ),
    "in_progress": (
        409,
        "idempotency-in-progress",
        "Request in progress",
        "A request with this Idempotency-Key is still running; retry shortly to get its answer.",
    ),
    "lost": (
        409,
        "idempotency-answer-lost",
        "Answer lost",
        "The first request with this Idempotency-Key was applied, but its answer was lost; "
        "read the resource instead of retrying.",
    ),
}


async def _bad_key(scope: Scope, receive: Receive, send: Send, *, several: bool) -> None:
    message = (
        "send one Idempotency-Key header" if several else f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (space to ~)"
    )
    field = FieldError(field="header.idempotency-key", message=message, type="idempotency_key")
    response = problem_response(Request(scope), 422, f"header.idempotency-key: {message}", errors=[field])
    await response(scope, receive, send)
