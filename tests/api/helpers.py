"""Shared assertions for the HTTP API tests: problem documents, totals, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

API = "/api/v1"
PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://chitieu.dev/problems/"
MAX_ID = 2_147_483_647

# status -> (type slug, title) every generic problem of that status carries
PROBLEM_KINDS = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    422: ("invalid-input", "Invalid input"),
    503: ("service-unavailable", "Service unavailable"),
}


def assert_problem(response, status: int, *, fields: set[str] | None = None) -> dict:
    """Checks an RFC 9457 problem; for 422 also that `errors` names every field in `fields`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM, response.headers
    body = response.json()
    slug, title = PROBLEM_KINDS[status]
    assert body["type"] == PROBLEM_BASE + slug
    assert body["title"] == title
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"].strip()
    assert body["instance"] == response.request.url.path
    if status in (400, 422) and (status == 422 or fields is not None):
        assert body["errors"], body
        for err in body["errors"]:
            assert isinstance(err["field"], str) and err["field"]
            assert isinstance(err["message"], str) and err["message"]
        if fields is not None:
            named = {e["field"] for e in body["errors"]}
            assert fields <= named, f"expected {fields} in errors, got {named}: {body}"
    else:
        assert fields is None
    return body


def error_fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def total(client, path: str) -> int:
    """The `total` of a list endpoint (no filters)."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    return r.json()["total"]


def assert_recent_aware(stamp: str) -> datetime:
    """An ISO timestamp with a UTC offset, set by the server just now."""
    parsed = datetime.fromisoformat(stamp)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, stamp
    assert abs(datetime.now(UTC) - parsed) < timedelta(minutes=5), stamp
    return parsed


def post_raw(client, path: str, raw: str | bytes):
    """POSTs a body as-is with content-type application/json (for NaN, broken JSON...)."""
    data = raw.encode() if isinstance(raw, str) else raw
    return client.post(path, content=data, headers={"content-type": "application/json"})


def patch_raw(client, path: str, raw: str | bytes):
    data = raw.encode() if isinstance(raw, str) else raw
    return client.patch(path, content=data, headers={"content-type": "application/json"})
