"""OpenAPI text of the idempotency layer: the `Idempotency-Key` header, the `Idempotent-Replayed`
answer header and the 409/422 refusals on every POST under /api/v1 (the semantics: middleware.py)."""

from __future__ import annotations

from app.idempotency.middleware import KEY_PATTERN, MAX_KEY_LENGTH, PREFIX


def document(schema: dict) -> None:
    """OpenAPI: the `Idempotency-Key` header, the `Idempotent-Replayed` answer header, and the 409/422 refusals
    on every POST under /api/v1."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Makes the POST safe to retry: a retry with the same key and the same request (method, path, query, body) "
            "gets the first answer back (`Idempotent-Replayed: true`), 4xx answers included, and nothing runs twice. "
            "Keys are per API key and kept 24 hours. 1 to 255 printable ASCII characters, e.g. a UUID."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    }
    conflict = (
        "`Idempotency-Key`: a request with this key is still running (retry shortly), or the first one was applied "
        "but its answer was lost (read the resource)."
    )
    invalid = "`Idempotency-Key`: malformed, or already used with a different request."
    for path_name, path in schema.get("paths", {}).items():
        operation = path.get("post")
        if operation is None or not path_name.startswith(PREFIX):
            continue
        operation.setdefault("parameters", []).append(parameter)
        responses = operation.setdefault("responses", {})
        for status, text in (("409", conflict), ("422", invalid)):
            if status in responses:
                responses[status]["description"] = f"{responses[status]['description']} Or: {text}"
            else:
                responses[status] = {"description": text, "content": problem}
        for status, response in responses.items():
            if status.startswith(("2", "4")) and status not in ("401",):
                response.setdefault("headers", {})["Idempotent-Replayed"] = {
                    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
    info = schema.setdefault("info", {})
    info["description"] = (
        info.get("description", "")
        + "\nEvery POST takes an optional `Idempotency-Key` header: retries with the same key get the first answer.\n"
    )
