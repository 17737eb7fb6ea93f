"""ETags and If-Match: one place for how a version of a row is named and checked.

- The ETag of a row is strong: the SHA-256 of its public representation (the route's
  response model, as JSON with sorted keys), quoted. Any change a client could see
  changes it; `updated_at` is part of every representation, so every write does.
- `If-Match` on PATCH and DELETE: a list of entity tags, or `*`. The write proceeds when
  one of them equals the row's current ETag (strong comparison: a weak `W/"..."` tag
  never matches), or with `*` (the row exists, or the loader would have answered 404).
  Otherwise 412 problem+json, and nothing changes. Without the header the write proceeds.
- `If-None-Match` on the reads that carry an ETag (plans, targets, organisations, figures, keys):
  when one of its tags equals the current ETag (weak comparison, RFC 9110 §13.1.2) or it is `*`,
  304 with the ETag and no body. A client polling a resource pays no body while it is unchanged.
- A `201 Created` carries `Location` (the new resource's path) and the `ETag` a read of that
  path would give, so a client can go straight on to a conditional PATCH or a 304-aware poll.
- Race safety: before comparing, the row is locked for the rest of the transaction
  (a no-op UPDATE of its own id: a row lock on PostgreSQL, the write lock on SQLite)
  and read again, so two writers holding the same ETag cannot both succeed.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any

from fastapi import Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.orm import object_mapper
from sqlmodel import Session, SQLModel

from app.common.models import table_of
from app.errors import PreconditionFailed

_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')

ETAG_HEADER = {
    "ETag": {
        "description": "The strong entity tag of this version of the resource; send it back in `If-Match` to "
        "change or delete exactly this version.",
        "schema": {"type": "string", "example": '"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"'},
    }
}

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=2000,
        description='Apply the change only if the resource\'s current ETag is one of these (`"..."`, '
        "comma-separated) or `*`; otherwise 412 and nothing changes. Without it the change proceeds.",
        examples=['"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"'],
    ),
]


IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=2000,
        description='The ETag of a copy you hold (`"..."`, comma-separated, or `*`): if it is still current, 304 with no body.',
        examples=['"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"'],
    ),
]

LOCATION_HEADER = {
    "Location": {
        "description": "The path of the resource just created.",
        "schema": {"type": "string", "example": "/api/v1/targets/42"},
    }
}


def etag_of(model: type[BaseModel], row: Any) -> str:
    """The strong ETag of a row as `model` (the route's response model) represents it (a `model` already: as is)."""
    return tag_of((row if type(row) is model else model.model_validate(row, from_attributes=True)).model_dump(mode="json"))


def tag_of(public: Any) -> str:
    """The strong ETag of an answer given as its JSON-safe data (`model_dump(mode="json")`)."""
    text = json.dumps(public, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest() + '"'


def matches(if_match: str, current: str) -> bool:
    """Whether an If-Match header value matches the current ETag (strong comparison; `*` matches any)."""
    if if_match.strip() == "*":
        return True
    return any(not weak and tag == current for weak, tag in _tags(if_match))


def _tags(header: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(header):
        match = _TAG.match(header, position)
        if match is None or match.end() == position:
            return out  # the rest is not a list of entity tags: it matches nothing
        out.append((match.group(1) or "", match.group(2)))
        position = match.end()
    return out


def require_match(session: Session, row: SQLModel, model: type[BaseModel], if_match: str | None) -> None:
    """412 unless `If-Match` (when given) matches the row's current ETag; locks the row when it checks."""
    if if_match is None or if_match.strip() == "*":
        return
    table = table_of(type(row))
    (row_id,) = object_mapper(row).primary_key_from_instance(row)  # its id
    session.execute(update(table).where(table.c.id == row_id).values(id=table.c.id))
    session.refresh(row)
    current = etag_of(model, row)
    if not matches(if_match, current):
        raise PreconditionFailed(
            f"If-Match does not match the current version of this resource (ETag {current}): it was changed "
            "since you read it. Read it again, then send the change with its new ETag."
        )


def set_etag(response: Response, model: type[BaseModel], row: Any) -> None:
    """Puts the row's ETag on the response."""
    response.headers["ETag"] = etag_of(model, row)


def fresh(if_none_match: str, current: str) -> bool:
    """Whether an If-None-Match value names the current ETag (weak comparison: `W/` is ignored; `*` matches any)."""
    if if_none_match.strip() == "*":
        return True
    return any(tag == current for _, tag in _tags(if_none_match))


def read(response: Response, model: type[BaseModel], row: Any, if_none_match: str | None) -> Response | None:
    """A read's ETag on the response; or, when `If-None-Match` names it, the 304 to answer instead."""
    current = etag_of(model, row)
    if if_none_match is not None and fresh(if_none_match, current):
        return Response(status_code=304, headers={"ETag": current})
    response.headers["ETag"] = current
    return None


def created(request: Request, response: Response, model: type[BaseModel], row: Any, route: str, **path: Any) -> None:
    """A 201's `Location` (the path of the route named `route`, e.g. `get_target`) and the ETag a read of it gives.

    `model` is what that read answers with, which may be more than the 201's body (a figure's read has its history).
    """
    response.headers.update(created_headers(request, etag_of(model, row), route, **path))


def created_headers(request: Request, tag: str, route: str, **path: Any) -> dict[str, str]:
    """`created`'s two headers from the read's ETag (`etag_of`, or `tag_of` of its JSON-safe data), for a
    route that sends its own Response (and stores them with its Idempotency-Key's record before its
    commit: app/submissions/router.py `create_submission`)."""
    return {"ETag": tag, "Location": request.scope.get("root_path", "") + _path_of(request, route, **path)}


_PATHS: dict[str, str] = {}  # route name -> its path template: static, learnt at its first use


def _path_of(request: Request, route: str, **path: Any) -> str:
    """The path of the route named `route` with `path` filled in (ids): `url_path_for`'s answer, whose search
    through every route cost a POST more than its ETag did; the template is looked up once (issue 17)."""
    template = _PATHS.get(route)
    if template is None:
        marks = {name: f"{{{name}}}" for name in path}  # url_path_for with the placeholders gives the template
        template = _PATHS[route] = str(request.app.url_path_for(route, **marks))
    return template.format(**{name: str(value) for name, value in path.items()})


def documented(status: int = 200) -> dict:
    """`responses=` entry saying that `status` carries an ETag header."""
    return {status: {"headers": ETAG_HEADER}}


def documented_read() -> dict:
    """`responses=` entries of a read with an ETag: 200 carries it, 304 answers a current `If-None-Match`."""
    return {
        200: {"headers": ETAG_HEADER},
        304: {"description": "Not modified: `If-None-Match` names the current ETag; no body.", "headers": ETAG_HEADER},
    }


def documented_created() -> dict:
    """`responses=` entry for a 201 that carries `Location` and `ETag`."""
    return {201: {"headers": {**LOCATION_HEADER, **ETAG_HEADER}}}
