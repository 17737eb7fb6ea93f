"""Request dependencies every route shares: the session, the caller, paging, language, today, path ids.

The loaders that answer 404/401/403 live with their rows: `app/<domain>/deps.py` (PlanDep,
EditablePlanDep, TargetDep, ReportableTargetDep, SubmissionDep, OrganizationDep); AdminDep and
KeyDep (the caller's role) stay here. Each takes the path id under one name everywhere
(`organization_id`, `plan_id`, `target_id`, `submission_id`), returns the row, and checks that
the caller may read it (or change it), so no route repeats a lookup-or-404 block or an access check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import and_, bindparam, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import policy
from app.auth.models import Role
from app.auth.service import KEY_COLUMNS, Principal, hash_key, live, principal_of
from app.common.crud import transaction
from app.common.models import utcnow
from app.common.types import MAX_ID, MAX_PAGE
from app.errors import Unauthorized
from app.idempotency import store


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session on the app's engine, closed after the request.

    `session.info` carries what the audit trail and idempotency need to know about the
    request: its id (set by the request-id middleware), once authenticated, the caller, and
    the Idempotency-Key whose record the write's commit inserts (app/idempotency/events.py).

    `async def`: making a session does no I/O (it connects at its first statement), so it
    costs no thread-pool hand-off; closing one that still holds a connection (a rollback, a
    round trip) goes to the thread pool. Rows keep their values after a commit
    (`expire_on_commit=False`): the answer is built from what was just written, without
    reading it back.
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    session.info["request_id"] = getattr(request.state, "request_id", "")
    session.info["idempotency"] = getattr(request.state, "idempotency", None)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key (`ct_...`), made by `chitieu keys create` or by an admin through `POST /api/v1/api-keys`.",
)


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller's key, or None without an Authorization header. A bad or malformed key is 401.

    `async def`, so that a request without a key costs no thread-pool hand-off; the key's
    lookup (a database read) goes to the thread pool.
    """
    header = request.headers.get("authorization")
    if header is None:
        return None
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("The Authorization header must read 'Bearer <key>'.")
    key = await run_in_threadpool(_identify, session, credentials.credentials.strip())
    principal = principal_of(key)
    # The audit trail reads who acts from the session; the request id comes from the middleware.
    session.info["principal"] = principal
    request.state.principal = principal
    return principal


_KEY = select(*KEY_COLUMNS).where(KEY_COLUMNS[0].table.c.key_hash == bindparam("key_hash"))
# With an Idempotency-Key: the key and the key's record in one round trip (issue 17).
_KEY_AND_RECORD = (
    select(*KEY_COLUMNS, *store.RECORD_COLUMNS)
    .select_from(
        KEY_COLUMNS[0].table.outerjoin(
            store.TABLE, and_(store.TABLE.c.owner == bindparam("owner"), store.TABLE.c.key == bindparam("idem_key"))
        )
    )
    .where(KEY_COLUMNS[0].table.c.key_hash == bindparam("key_hash"))
)


def _identify(session: Session, secret: str):
    """The live key (else 401) and, for a POST with an Idempotency-Key, the key's record: an earlier
    request with it settles the answer (`store.Settled`). One thread hop and one query for both."""
    ctx = session.info.get("idempotency")
    if ctx is None:
        row = session.execute(_KEY, {"key_hash": hash_key(secret)}).first()
    else:
        params = {"key_hash": hash_key(secret), "owner": ctx.owner, "idem_key": ctx.key}
        row = session.execute(_KEY_AND_RECORD, params).first()
    key, noted = live(session, row, utcnow())
    if noted:  # last_used_at, at most once a minute: committed now, apart from the request's own write
        with transaction(session, "The key's use could not be noted."):
            pass
    # Otherwise only read: no commit (a round trip on PostgreSQL); the read ends with the request's transaction.
    if key is None:
        raise Unauthorized("The API key is unknown, revoked or expired.")
    if ctx is not None:
        store.settle_found(row, ctx)
    return key


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and each such hand-off costs more than the work itself (docs/PERFORMANCE.md).


async def key_for_writes(request: Request, principal: PrincipalDep) -> None:
    """Every write needs a key: refused with 401 before the body is even read.

    Parsing text (without `apply`) stores nothing and is let through; the route checks `apply`.
    """
    if principal is None and request.method not in ("GET", "HEAD", "OPTIONS") and not request.url.path.endswith("/parse"):
        raise Unauthorized(policy.NO_KEY)


def open_reads(request: Request) -> bool:
    return request.app.state.settings.open_reads


class Paging:
    """limit/offset query parameters, with the documented cap."""

    def __init__(self, limit: int, offset: int):
        self.limit, self.offset = limit, offset


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]


async def today(request: Request) -> date:
    """Today in the configured time zone (Asia/Ho_Chi_Minh by default)."""
    return request.app.state.settings.today()


TodayDep = Annotated[date, Depends(today)]


LangQuery = Annotated[
    Literal["vi", "en"] | None, Query(description="Language of messages and headlines; overrides Accept-Language.")
]


async def language(request: Request, lang: LangQuery = None) -> str:
    """`?lang=`, else the most preferred of vi/en in Accept-Language, else Vietnamese (`resolve_language`)."""
    return resolve_language(request, lang)


def resolve_language(request: Request, lang: str | None) -> str:
    """`?lang=`, else the most preferred of vi/en in Accept-Language, else Vietnamese.

    Ties go to the one listed first; q=0 means "not acceptable" (RFC 9110 §12.5.4). A plain
    function too, so a route's one request-context dependency can call it (app/status/router.py).
    """
    if lang:
        return lang
    ranked = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("vi", "en") and q > 0:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else "vi"


LangDep = Annotated[str, Depends(language)]


def admin(session: SessionDep, principal: PrincipalDep) -> Principal:
    return policy.require(session, principal, Role.ADMIN)


def any_key(session: SessionDep, principal: PrincipalDep) -> Principal:
    return policy.require(session, principal, Role.VIEWER)


AdminDep = Annotated[Principal, Depends(admin)]
KeyDep = Annotated[Principal, Depends(any_key)]
