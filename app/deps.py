"""Request dependencies every route shares: the session, the caller, paging, language, today, path ids.

The loaders that answer 404/401/403 live with their rows: `app/<domain>/deps.py` (PlanDep,
EditablePlanDep, TargetDep, EditableTargetDep, SubmissionDep, OrganizationDep); AdminDep and
KeyDep (the caller's role) stay here. Each takes the path id under one name everywhere
(`organization_id`, `plan_id`, `target_id`, `submission_id`), returns the row, and checks that
the caller may read it (or change it), so no route repeats a lookup-or-404 block or an access check.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeAlias, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import and_, bindparam, select, true
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import language as languages
from app.auth import policy
from app.auth.models import Role
from app.auth.service import KEY_COLUMNS, Principal, hash_key, live, note_use, principal_of, use_due
from app.common.crud import transaction
from app.common.listing import Listing, Sorts, sort_pattern
from app.common.models import utcnow
from app.common.prepared import Prepared
from app.common.types import MAX_ID, MAX_PAGE, text_checks
from app.errors import BadRequest, FieldError, Unauthorized
from app.idempotency import store


def open_session(request: Request, *, reads_only: bool = False) -> Session:
    """A session on the app's engine for this request (closed by whoever opened it).

    `session.info` carries what the audit trail and idempotency need to know about the
    request: its id (set by the edge layer), once authenticated, the caller (`identify`), and
    the Idempotency-Key whose record the write's commit inserts (app/idempotency/events.py).
    Rows keep their values after a commit (`expire_on_commit=False`): the answer is built from
    what was just written, without reading it back. Making a session does no I/O (it connects
    at its first statement), except `reads_only` on PostgreSQL, which connects to set AUTOCOMMIT:
    for a route that only reads (a key's use noted meanwhile is committed at once, as it would be).
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    session.info["request_id"] = getattr(request.state, "request_id", "")
    session.info["idempotency"] = getattr(request.state, "idempotency", None)
    if reads_only and session.get_bind().dialect.name == "postgresql":
        # Only reads on this session: no transaction, so no BEGIN and no ROLLBACK round trips (each statement
        # reads committed data, as it would in a READ COMMITTED transaction). SQLite reads outside a
        # transaction already (pysqlite begins one only before a write), and setting the level there costs a
        # PRAGMA at each checkout and checkin.
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session


T = TypeVar("T")


class HotLimiters:
    """How many of the hot routes' calls may run at once in a worker (`app.state.hot_limiters`): on
    SQLite one read (a target's status) and one write (POST a figure), on PostgreSQL four of each
    (HOT_ROUTE_THREADS sets another number for both).

    SQLite: Python's sqlite3 lets go of the GIL at every step of every statement, so threads doing
    short database work hand the GIL back and forth at each step, and each connection's page cache is
    dropped whenever another connection commits. Measured in process, 8 requests in flight
    (bench/profile_hot.py --concurrency 8, PROFILE_THREADS): a target's status 0.90 ms of CPU with
    the thread pool, 0.79 with two threads, 0.57 with one; POST a figure 2.75, 3.02 and 1.90 ms, and
    one thread's wall time per request is the lowest too. Reads and writes have a limiter each: a
    POST may wait for the writers' turn (`crud._turn`, held by an import meanwhile), and reads must
    not queue behind it. PostgreSQL's connections wait on the network: there threads overlap those
    waits (one thread: a status 1.40 ms of wall per request against 1.08 with the pool), but the
    pool's 40 hand the GIL around as well: under wrk (bench/run.py --hot-only, two runs each, a noisy
    machine) a status reached 0.45 and 0.49 of the floor with four threads, 0.37 and 0.38 with the pool.

    One limiter per event loop: a limiter wakes only waiters of its own loop (an app served by one
    uvicorn worker has one loop; a test client may run each request on a loop of its own).
    """

    def __init__(self, dialect: str, threads: int = 0) -> None:
        self.tokens = threads or (1 if dialect == "sqlite" else 4)  # HOT_ROUTE_THREADS, else the database's default
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, CapacityLimiter]] = (
            weakref.WeakKeyDictionary()
        )

    def of(self, kind: str) -> CapacityLimiter:
        """The running loop's limiter for `kind` ("read" or "write")."""
        limiters = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        if kind not in limiters:
            limiters[kind] = CapacityLimiter(self.tokens)
        return limiters[kind]


async def in_hot_thread(request: Request, kind: str, work: Callable[[], T]) -> T:
    """A hot route's blocking work (open the session, identify, load, check, write, answer) in one
    thread-pool hand-off, within the app's limiter for `kind`, "read" or "write" (`HotLimiters`)."""
    return await anyio.to_thread.run_sync(work, limiter=request.app.state.hot_limiters.of(kind))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """`SessionDep`: `open_session`, closed after the request.

    `async def`: closing a session that still holds a connection (a rollback, a round trip) goes
    to the thread pool; one that does not costs no hand-off. The two busiest routes (a target's
    status, POST a figure) take no dependency at all: they open, use and close their session in
    their one thread-pool hand-off (FastAPI solves each dependency on every request).
    """
    session = open_session(request)
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
    """`PrincipalDep`: the caller's key, or None without an Authorization header; a bad or
    malformed key is 401 (`identify`).

    `async def`, so that a request without a key costs no thread-pool hand-off; the key's
    lookup (a database read) goes to the thread pool. `credentials` is there for the OpenAPI
    document (the ApiKey scheme); `identify` reads the header itself.
    """
    if request.headers.get("authorization") is None:
        return None
    return await run_in_threadpool(identify, request, session)


def identify(request: Request, session: Session) -> Principal | None:
    """The caller's key (blocking: a database read), or None without an Authorization header.

    A header that is not `Bearer <key>`, or a key that is unknown, revoked or expired, is 401. The
    caller goes on the session (the audit trail reads who acts from it) and on the request. A target's
    status calls it in its own thread-pool hand-off, the other routes through `PrincipalDep`; POST a
    figure reads the key with its target instead (`key_statement`, `identified`: app/targets/deps.py).
    """
    secret = bearer_secret(request)
    if secret is None:
        return None
    ctx = session.info.get("idempotency")
    statement = _KEY if ctx is None else _KEY_AND_RECORD
    params = key_params(session, secret)
    return identified(request, session, statement.first(session.connection(), params), params["now"])[0]


def bearer_secret(request: Request) -> str | None:
    """The key the Authorization header carries, or None without the header; 401 for a header that is not
    `Bearer <key>` (read as HTTPBearer reads it)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, secret = get_authorization_scheme_param(header)
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("The Authorization header must read 'Bearer <key>'.")
    return secret.strip()


KEY_TABLE = KEY_COLUMNS[0].table
# The key's liveness as SQL, for a statement that reads more than the key and should read it only for a
# live key (`key_statement`'s `also`): what `live` tells of the row, at the time `key_params` gives.
KEY_IS_LIVE = KEY_TABLE.c.revoked_at.is_(None) & (
    KEY_TABLE.c.expires_at.is_(None) | (KEY_TABLE.c.expires_at > bindparam("now", type_=KEY_TABLE.c.expires_at.type))
)


def key_statement(*, with_record: bool, also: Any = None, onclause: Any = None, columns: Any = ()) -> Any:
    """The read of a key by its hash (`key_params`): its columns (`KEY_COLUMNS`), with an Idempotency-Key's
    record's (`store.RECORD_COLUMNS`, NULL when there is none) when `with_record`, and with `also` (a
    selectable: a LATERAL subquery on PostgreSQL, joined ON true; else a join ON `onclause`) outer-joined
    after them, selecting `columns` of it: what a route reads with the key in the same round trip (POST a
    figure: its target, app/targets/deps.py). No row: no such key."""
    source: Any = KEY_TABLE
    selected: list[Any] = [*KEY_COLUMNS]
    if with_record:
        source = source.outerjoin(
            store.TABLE, and_(store.TABLE.c.owner == bindparam("owner"), store.TABLE.c.key == bindparam("idem_key"))
        )
        selected += store.RECORD_COLUMNS
    if also is not None:
        source = source.outerjoin(also, onclause if onclause is not None else true())
        selected += list(columns)
    return select(*selected).select_from(source).where(KEY_TABLE.c.key_hash == bindparam("key_hash"))


_KEY = Prepared(key_statement(with_record=False))
# With an Idempotency-Key: the key and the key's record in one round trip (issue 17).
_KEY_AND_RECORD = Prepared(key_statement(with_record=True))


def key_params(session: Session, secret: str) -> dict[str, Any]:
    """The parameters of `key_statement` for this key (and the request's Idempotency-Key, if any)."""
    ctx = session.info.get("idempotency")
    params: dict[str, Any] = {"key_hash": hash_key(secret), "now": utcnow()}
    if ctx is not None:
        params |= {"owner": ctx.owner, "idem_key": ctx.key}
    return params


def identified(request: Request, session: Session, row: Any, now: datetime | None = None) -> tuple[Principal, bool]:
    """The caller, from a row of `key_statement` (None: no such key): 401 unless the key is live; for a POST
    with an Idempotency-Key, an earlier request with it settles the answer (`store.settle_found` raises
    Settled). The key's last use is noted at most once a minute, written and committed at once, apart from
    the request's own write (so before the caller goes on the session: app/idempotency/events.py counts
    only the commits made after it), and inside `transaction` (on SQLite a write before it would hold
    SQLite's lock while waiting its turn). Returns the caller, and whether that commit happened: it ended
    the session's transaction, and with it what the row's other reads held (a row lock). `now`: the time
    `key_params` gave the statement (its SQL judged the key live at it), so both judge at one time.
    """
    ctx = session.info.get("idempotency")
    now = now or utcnow()
    key = live(row, now)
    noted = key is not None and use_due(key, now)
    if noted:
        with transaction(session, "The key's use could not be noted."):
            note_use(session, key.id, now)
    # Otherwise only read: no commit (a round trip on PostgreSQL); the read ends with the request's transaction.
    if key is None:
        raise Unauthorized("The API key is unknown, revoked or expired.")
    if ctx is not None:
        store.settle_found(row, ctx)
    principal = principal_of(key)
    session.info["principal"] = principal
    request.state.principal = principal
    return principal, noted


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]

# The OpenAPI security of a route that calls `identify` itself instead of taking `PrincipalDep` (the
# busiest routes take no dependency): what FastAPI writes for the ApiKey scheme of `_bearer`.
IDENTIFIES_ITSELF: dict[str, Any] = {"security": [{"ApiKey": []}]}


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and each such hand-off costs more than the work itself (docs/PERFORMANCE.md).


def _needs_key(request: Request) -> bool:
    """Every write needs a key. Parsing text (without `apply`) stores nothing and is let through; the route checks `apply`."""
    return request.method not in ("GET", "HEAD", "OPTIONS") and not request.url.path.endswith("/parse")


def open_reads(request: Request) -> bool:
    return request.app.state.settings.open_reads


# ------------------------------------------------------------------ lists (issue 16): one vocabulary

RENAMED = {"since": "from", "until": "to", "order": "sort"}  # old names a client may still send: the 400 says which to use


def _query_names(dependant: Dependant, out: set[str]) -> set[str]:
    for param in dependant.query_params:
        out.add(param.alias)
    for sub in dependant.dependencies:
        _query_names(sub, out)
    return out


_KNOWN: dict[int, frozenset[str]] = {}  # route -> the query parameters it declares (static, built at the first request)


async def api_gate(request: Request) -> None:
    """Every /api/v1 route, before anything else (the API router's one dependency: FastAPI solves each
    dependency on every request, so the two checks are one):

    - a query parameter the route does not declare is a 400 naming it (never silently ignored:
      `?code=` on a list that had no such filter used to answer the whole list);
    - a write without an Authorization header is 401 before the body is even read (a header with a
      bad key is 401 where the route identifies its caller: `PrincipalDep` or `identify`).
    """
    if request.query_params:
        _check_query(request)
    if "authorization" not in request.headers and _needs_key(request):
        raise Unauthorized(policy.NO_KEY)


def _check_query(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:  # pragma: no cover - every API route is an APIRoute
        return
    known = _KNOWN.get(id(route))
    if known is None:
        known = _KNOWN[id(route)] = frozenset(_query_names(dependant, set()))
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        hints = [f"{name}: use '{RENAMED[name]}'" for name in unknown if RENAMED.get(name) in known]
        raise BadRequest(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"This route takes: {', '.join(sorted(known)) or 'none'}." + (f" ({'; '.join(hints)})" if hints else ""),
            [FieldError(field=f"query.{name}", message="unknown query parameter") for name in unknown],
        )


SearchText: TypeAlias = Annotated[str, *text_checks(200, min_length=1)]


class ListRequest:
    """A list route's paging, order and search (`listing`, handed to the service), and its answer's
    RFC 8288 `Link` header (next / prev pages, the request's other parameters kept)."""

    def __init__(self, request: Request, response: Response, listing: Listing):
        self.request, self.response, self.listing = request, response, listing

    def answer(self, page: Any) -> Any:
        """The page as the service returned it (a dict or a model with `limit`, `offset`, `total`), with
        `Link: <...>; rel="next"` / `rel="prev"` set."""
        fields = page if isinstance(page, dict) else vars(page)
        limit, offset, total = fields["limit"], fields["offset"], fields["total"]
        links = []
        if offset + limit < total:
            links.append(f'<{self.request.url.include_query_params(offset=offset + limit, limit=limit)}>; rel="next"')
        if offset > 0:
            links.append(f'<{self.request.url.include_query_params(offset=max(0, offset - limit), limit=limit)}>; rel="prev"')
        if links:
            self.response.headers["Link"] = ", ".join(links)
        return page


def listing(sorts: Sorts, *, default: str, searches: str | None = None) -> Callable[..., Awaitable[ListRequest]]:
    """The dependency of one list route (`page: Annotated[ListRequest, Depends(listing(...))]`): `limit`,
    `offset`, `sort` (the service's sort keys, documented) and `q` when the list is searchable
    (`searches` says on what, for the documentation)."""
    sort_doc = (
        f"Order by one of: {', '.join(f'`{k}`' for k in sorts)}; `-` first for descending (`-{next(iter(sorts))}`). "
        f"Default: `{default}`."
    )

    async def dependency(request: Request, response: Response, page: Paging, sort: str | None = None, q: str | None = None):
        return ListRequest(request, response, Listing(page.limit, page.offset, sort, q))

    # The signature FastAPI reads, built here: the annotations are objects of this call (this module
    # postpones annotations, so local aliases in a nested def would not resolve).
    parameters = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter("response", inspect.Parameter.KEYWORD_ONLY, annotation=Response),
        inspect.Parameter("page", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Paging, Depends(paging)]),
        inspect.Parameter(
            "sort",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Query(pattern=sort_pattern(sorts), max_length=40, description=sort_doc)],
        ),
    ]
    if searches is not None:
        described = Query(description=f"Only those whose {searches} contains this text (case-insensitive).")
        parameters.append(
            inspect.Parameter(
                "q", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[SearchText | None, described]
            )
        )
    dependency.__signature__ = inspect.Signature(parameters, return_annotation=ListRequest)  # type: ignore[attr-defined]
    return dependency


class Paging:
    """limit/offset query parameters, with the documented cap."""

    def __init__(self, limit: int, offset: int):
        self.limit, self.offset = limit, offset


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip.")] = 0,
) -> Paging:
    return Paging(limit, offset)


async def today(request: Request) -> date:
    """Today in the configured time zone (Asia/Ho_Chi_Minh by default)."""
    return request.app.state.settings.today()


TodayDep = Annotated[date, Depends(today)]


LangQuery = Annotated[
    languages.Language | None, Query(description="Language of messages and headlines; overrides Accept-Language.")
]


async def language(request: Request, response: Response, lang: LangQuery = None) -> str:
    """`?lang=`, else the most preferred of vi/en in Accept-Language, else Vietnamese (app/language.py).

    The answer says which (`Content-Language`) and that Accept-Language chose it (`Vary`). Routes that
    return their own Response (plan status, reports, exports) copy `language.headers(lang)` onto it.
    """
    chosen = resolve_language(request, lang)
    response.headers["Content-Language"] = chosen
    response.headers["Vary"] = languages.add_vary(response.headers.get("Vary"))
    return chosen


def resolve_language(request: Request, lang: str | None) -> str:
    """The negotiation alone (app/language.py `negotiate`), without the headers: for a route's one
    request-context dependency (app/status/router.py `reading`), whose route sets them on its own Response."""
    return languages.negotiate(lang, request.headers.get("accept-language"))


LangDep = Annotated[str, Depends(language)]


def admin(session: SessionDep, principal: PrincipalDep) -> Principal:
    return policy.require(session, principal, Role.ADMIN)


def any_key(session: SessionDep, principal: PrincipalDep) -> Principal:
    return policy.require(session, principal, Role.VIEWER)


AdminDep = Annotated[Principal, Depends(admin)]
KeyDep = Annotated[Principal, Depends(any_key)]
