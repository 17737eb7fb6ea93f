"""Request size limits: the one place the numbers live, and the middleware that enforces them.

- A request body is at most 1 MiB (`MAX_BODY_BYTES`); the import routes
  (`/api/v1/plans/{id}/import/...` and the JSON batch of figures, `/api/v1/plans/{id}/submissions/batch`)
  take up to 5 MiB (`MAX_IMPORT_BYTES`), which the import router also reads from here.
- A declared `Content-Length` over the limit is answered 413 at once, before the body is read.
- A body without `Content-Length` (chunked) is counted as it streams in and cut off at the
  first byte over the limit, also with 413.
- Every refusal is an RFC 9457 problem (`payload-too-large`).

The other input limits live with the input models (app/common/types.py): pages of at most
`MAX_PAGE` (500) rows, strings of bounded length without NUL, finite figures within ±1e15,
and unknown body fields refused (`InputModel`, `extra="forbid"`).

Enforced by the one ASGI layer around the app (app/edge.py; no BaseHTTPMiddleware, so
streaming is unaffected), outside the idempotency layer, which reads the whole body to
fingerprint it.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, problem_response

MIB = 1024 * 1024
MAX_BODY_BYTES = 1 * MIB
MAX_IMPORT_BYTES = 5 * MIB
_IMPORT_PATH = re.compile(r"^/api/v1/plans/[^/]+/import/")
PARSE_PATH = re.compile(r"^/api/v1/plans/[^/]+/parse$")
_BATCH_PATH = re.compile(r"^/api/v1/plans/[^/]+/submissions/batch$")


def body_limit(path: str) -> int:
    """The largest body, in bytes, a request to this path may send.

    Parsing takes up to 200,000 characters of text; written as JSON with \\uXXXX escapes
    (6 bytes a character) that is up to 1.2 MB, so /parse gets the import limit too.
    """
    if _IMPORT_PATH.match(path) or PARSE_PATH.match(path) or _BATCH_PATH.match(path):
        return MAX_IMPORT_BYTES
    return MAX_BODY_BYTES


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit // MIB} MiB."


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the streamed body passes the limit.

    An HTTPException, so that inside the app FastAPI lets it through body parsing and the
    app's handler answers the problem; outside the app, the edge layer (app/edge.py) answers it.
    """

    def __init__(self, limit: int):
        super().__init__(413, too_large_detail(limit))
        self.limit = limit


async def answer_too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(Request(scope), 413, too_large_detail(limit))
    # The rest of the body is not read: ask the client to close rather than reuse the connection.
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def document(schema: dict) -> None:
    """OpenAPI: every operation that takes a body may answer 413."""
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_name, path in schema.get("paths", {}).items():
        for operation in path.values():
            if "requestBody" in operation:
                limit = body_limit(path_name.replace("{", "").replace("}", ""))
                operation.setdefault("responses", {}).setdefault(
                    "413", {"description": f"The request body is larger than {limit // MIB} MiB.", "content": problem}
                )
    info = schema.setdefault("info", {})
    info["description"] = (
        info.get("description", "")
        + f"\nRequest bodies are at most {MAX_BODY_BYTES // MIB} MiB ({MAX_IMPORT_BYTES // MIB} MiB for imports and parsing); "
        "a larger one is refused with 413.\n"
    )
