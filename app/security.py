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

Applied by the one ASGI layer around the app (app/edge.py), outside the body limits and the
idempotency layer, inside the request id.
"""

from __future__ import annotations

NOSNIFF = ("X-Content-Type-Options", "nosniff")
NO_STORE = ("Cache-Control", "no-store")
