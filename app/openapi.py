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


# The groups of operations, in the order the interactive docs show them (`openapi_tags`).
TAGS = [
    {
        "name": "organizations",
        "description": "The tree of organisations: the province, its departments and districts, "
        "the units that report. Keys and drafts are scoped to a branch of it.",
    },
    {
        "name": "plans",
        "description": "Resolutions and plans (*nghị quyết*, *kế hoạch*): a period, an issuing "
        "organisation, a state (`draft`, `active`, `closed`), and the thresholds its statuses use.",
    },
    {
        "name": "targets",
        "description": "The numeric targets (*chỉ tiêu*) of a plan: what is measured, the goal, the "
        "baseline, and how figures combine over time and across reporting units.",
    },
    {
        "name": "submissions",
        "description": "Progress figures reported against a target. Append-only: a correction "
        "or a retraction is a new version; nothing stored is changed or deleted. On plans that require "
        "approval, figures are approved or returned, and inboxes list those awaiting approval.",
    },
    {
        "name": "status",
        "description": "Where each target and plan stands on a date, and why: verdicts after the "
        "period, pace during it, the figures counted and those left out, in Vietnamese or English.",
    },
    {"name": "assessments", "description": "Verdicts recorded by hand by a committee, kept beside the computed status."},
    {
        "name": "exchange",
        "description": "Spreadsheets and text in and out: import targets and figures (CSV, XLSX), "
        "export a plan, and parse a resolution's text into draft targets.",
    },
    {
        "name": "reports",
        "description": "The committee's report (HTML, DOCX, PDF) and SVG charts and badges, with ETags for `If-None-Match`.",
    },
    {
        "name": "api keys",
        "description": "Keys for writes and protected reads: a role over an organisation's branch. Admins only.",
    },
    {"name": "audit", "description": "Who changed what and when: every write, with the key and the request id."},
    {
        "name": "webhooks",
        "description": "Signed events to other applications (Standard Webhooks): subscriptions, the delivery log "
        "and redelivery. Admins only.",
    },
    {"name": "health", "description": "Liveness and readiness probes for the platform that runs the API."},
]
