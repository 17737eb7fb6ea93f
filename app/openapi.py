"""OpenAPI helpers: documented error responses, all problem+json."""

from __future__ import annotations

from app.errors import PROBLEM_MEDIA_TYPE, Problem

DESCRIPTIONS = {
    400: "The request is malformed.",
    401: "No API key, or one that is unknown, revoked or expired (`WWW-Authenticate: Bearer`).",
    403: "The API key lacks the role or the organisation scope this request needs.",
    404: "A resource the request names does not exist (or the caller may not read it: a draft out of scope).",
    409: "The request conflicts with stored data (e.g. a duplicate code).",
    412: "`If-Match` names a version that is no longer current: read the resource again.",
    413: "The request body is too large.",
    422: "The input is not valid; `errors` lists each field.",
    503: "This worker is at its limit for this kind of work (parsing, imports and exports, plan statuses): "
    "retry after `Retry-After` seconds.",
}


def errors(*statuses: int) -> dict:
    """`responses=` entries for the given statuses, each a problem+json document."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {"description": DESCRIPTIONS[status], "model": Problem, "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }
