"""Prepared (app/common/prepared.py): a Core statement run on the driver's cursor gives what
SQLAlchemy's `Connection.execute` gives: the same rows with the same keys and Python types, the
same stored values, the same exception classes, and the engine's cursor events."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.bulk import _INSERT_EVENT, _inserts
from app.audit.models import AuditEvent
from app.common.models import table_of
from app.common.prepared import Prepared
from app.deps import _KEY_AND_RECORD
from app.idempotency.models import IdempotencyRecord
from app.organizations.service import _ANCESTORS, above_of, ancestors
from app.status.queries import TARGET_STATUS
from app.submissions.models import Submission
from app.submissions.rules import _AGAINST_STORED
from app.targets.deps import _KEY_WITH_TARGET, _TARGET_AND_PLAN_ROW
from tests.conftest import new_key

_EVENTS = table_of(AuditEvent)
_RECORDS = table_of(IdempotencyRecord)


def _same(prepared: Prepared, connection, params: dict, *, changing: tuple[str, ...] = ()) -> list:
    """The prepared rows, checked against SQLAlchemy's rows for the same statement and parameters.
    `changing`: columns whose value each run changes (a sequence's next value): their types are compared."""
    ours = prepared.rows(connection, params)
    theirs = connection.execute(prepared.statement, params).all()

    def kept(rows):
        return [tuple(v for name, v in zip(r._fields, r, strict=True) if name not in changing) for r in rows]

    assert kept(ours) == kept(theirs)
    assert [[type(v) for v in r] for r in ours] == [[type(v) for v in r] for r in theirs]
    if theirs:
        assert list(ours[0]._fields) == list(theirs[0]._fields)
    return ours


def test_reads_give_sqlalchemys_rows(app, seeded, session):
    """The statements of POST a figure, on the seeded plan: dates, booleans, NULLs, a recursive CTE, a union."""
    figures = session.exec(select(Submission.target_id, Submission.organization_id).limit(5)).all()
    assert figures
    connection = session.connection()
    for target_id, organization_id in figures:
        params = {"target_id": target_id, "organization_id": organization_id, "takes_id": True}
        row = _same(_TARGET_AND_PLAN_ROW, connection, params, changing=("figure_id",))[0]
        assert isinstance(row.plan_start_date, date) and isinstance(row.plan_approval_required, bool)
        # the new figure's id from the sequence on PostgreSQL (each read takes the next), none on SQLite
        after = _TARGET_AND_PLAN_ROW.first(connection, params).figure_id
        assert (row.figure_id, after) == ((None, None) if connection.dialect.name == "sqlite" else (row.figure_id, row.figure_id + 2))
        # the figure's organisation and those above it, in the same row: what `ancestors` reads on its own
        assert above_of(row.above) == ancestors(session, organization_id) and organization_id in above_of(row.above)
        other = _TARGET_AND_PLAN_ROW.first(connection, {"target_id": target_id, "organization_id": 10**9, "takes_id": False})
        assert other.above is None and other.figure_id is None  # a key that may not report takes no id
        assert len(_same(_ANCESTORS, connection, {"organization_id": organization_id})) >= 1
        # the target's status row: 60 columns, numerics (Decimal or float by the database's column type), JSON text
        status = _same(TARGET_STATUS, connection, {"target_id": target_id, "as_of": date(2019, 12, 31)})[0]
        assert status.plan_id == row.plan_id == row.target_plan_id
        for shape in ("value", "ratio", "milestone"):
            # a window as wide as any plan: the unit's official figures come back (dates, NULLs, booleans)
            window = {"is_estimate": False, "period_start": date(1900, 1, 1), "period_date": date(2999, 12, 31)}
            params = {"target_id": target_id, "organization_id": organization_id, "chain": 0, **window}
            _same(_AGAINST_STORED[shape], connection, params)
    key = new_key(app)
    from app.auth.service import hash_key

    params = {"key_hash": hash_key(key), "owner": "nobody", "idem_key": "none"}
    row = _same(_KEY_AND_RECORD, connection, params)[0]
    assert row.record_id is None and row.role == "admin"
    assert _KEY_AND_RECORD.first(connection, {**params, "key_hash": "unknown"}) is None
    # POST a figure's statement: the key, its record and the target (a LATERAL subquery on PostgreSQL)
    dialect = connection.dialect.name
    target_id, organization_id = figures[0]
    now = datetime.now(UTC)
    with_target = {**params, "now": now, "target_id": target_id, "organization_id": organization_id}
    for with_record in (False, True):
        row = _same(_KEY_WITH_TARGET[with_record][dialect], connection, with_target, changing=("figure_id",))[0]
        assert (row.role, row.target_id, row.plan_id) == ("admin", target_id, status.plan_id)
        assert above_of(row.above) == ancestors(session, organization_id)
        assert (row.figure_id is None) == (dialect == "sqlite")  # an admin may report: an id on PostgreSQL
        missing = _same(_KEY_WITH_TARGET[with_record][dialect], connection, {**with_target, "target_id": 10**9})[0]
        assert missing.role == "admin" and missing.target_id is None and missing.figure_id is None  # 404, not 401
    # an expired key: its row (401 follows), the target not read (no lock, no id)
    from app.auth.models import ApiKey

    keys = table_of(ApiKey)
    connection.execute(update(keys).where(keys.c.key_hash == params["key_hash"]).values(expires_at=datetime(2100, 1, 1, tzinfo=UTC)))
    expired = _same(_KEY_WITH_TARGET[True][dialect], connection, {**with_target, "now": datetime(2200, 1, 1, tzinfo=UTC)},
                    changing=("figure_id",))
    assert expired and expired[0].target_id is None and expired[0].figure_id is None


def test_an_insert_stores_what_sqlalchemy_stores(app, session):
    """An audit event through Prepared and through Connection.execute: the same stored row (JSON, times)."""
    now = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)  # whole seconds: SQLAlchemy's format keeps the microseconds
    event_row = {
        "occurred_at": now,
        "actor_key_id": None,
        "actor": "test",
        "request_id": "r1",
        "action": "figure.created",
        "entity": "submission",
        "entity_id": 7,
        "organization_id": None,
        "before": None,
        "after": {"value": 1.5, "note": "Lạng Sơn", "nested": [1, None]},
    }
    connection = session.connection()
    assert _INSERT_EVENT.rows(connection, event_row) == []
    connection.execute(insert(_EVENTS), {**event_row, "request_id": "r2"})
    stored = connection.execute(select(_EVENTS).where(_EVENTS.c.request_id.in_(["r1", "r2"])).order_by(_EVENTS.c.id)).all()
    assert len(stored) == 2
    ours, theirs = (r._asdict() for r in stored)
    for row in (ours, theirs):
        row.pop("id"), row.pop("request_id")
    assert ours == theirs and ours["after"] == event_row["after"]
    # the raw stored text as well (what another reader of the table sees)
    raw = connection.exec_driver_sql("SELECT occurred_at FROM audit_event WHERE request_id IN ('r1', 'r2') ORDER BY id").all()
    assert raw[0] == raw[1]
    session.rollback()


def test_returning_and_missing_defaults(app, session):
    """INSERT ... RETURNING gives the new id; an INSERT that leaves out a column with a Python-side
    default is handed to SQLAlchemy, which fills it in."""
    connection = session.connection()
    record = {**_record("k1", "a"), "response_body": b"\x00bytes"}
    records = Prepared(insert(_RECORDS).returning(_RECORDS.c.id), insert=True)
    new_id = records.scalar(connection, record)
    assert isinstance(new_id, int)
    assert connection.execute(select(_RECORDS.c.response_body).where(_RECORDS.c.id == new_id)).scalar_one() == b"\x00bytes"
    # the idempotency table has no Python-side defaults; the audit table's occurred_at has one
    assert records._plan(connection.dialect, record) is not None
    without_time = {k: v for k, v in _event_columns().items() if k != "occurred_at"}
    assert _INSERT_EVENT._plan(connection.dialect, without_time) is None
    _INSERT_EVENT.rows(connection, without_time)
    stored = connection.execute(select(_EVENTS.c.occurred_at).where(_EVENTS.c.request_id == "defaults")).scalar_one()
    assert stored is not None
    session.rollback()


def _record(owner: str, key: str) -> dict:
    """An Idempotency-Key record's columns (a table without Python-side defaults)."""
    return {"owner": owner, "key": key, "fingerprint": "f", "state": "pending", "created_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC), "response_status": None, "response_headers": None, "response_body": None}


def _event_columns() -> dict:
    return {
        "occurred_at": datetime.now(UTC),
        "actor_key_id": None,
        "actor": "test",
        "request_id": "defaults",
        "action": "figure.created",
        "entity": "submission",
        "entity_id": 1,
        "organization_id": None,
        "before": None,
        "after": None,
    }


def test_errors_are_sqlalchemys(app, session):
    """A unique violation is SQLAlchemy's IntegrityError (what on_conflict and the routes catch)."""
    connection = session.connection()
    plain = Prepared(insert(_RECORDS), insert=True)
    record = _record("k2", "b")
    plain.rows(connection, record)
    with pytest.raises(IntegrityError):
        plain.rows(connection, record)
    session.rollback()


def test_cursor_events_see_the_statements(app, session):
    """The engine's before/after_cursor_execute listeners are called, with the SQL that ran."""
    seen: list[tuple[str, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("before", statement))

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", statement))

    event.listen(app.state.engine, "before_cursor_execute", before)
    event.listen(app.state.engine, "after_cursor_execute", after)
    try:
        with app.state.engine.connect() as connection:
            _ANCESTORS.rows(connection, {"organization_id": 1})
    finally:
        event.remove(app.state.engine, "before_cursor_execute", before)
        event.remove(app.state.engine, "after_cursor_execute", after)
    assert [kind for kind, _ in seen] == ["before", "after"]
    assert "RECURSIVE" in seen[0][1].upper()


def test_one_row_inserts_of_the_write_path_are_prepared():
    """POST a figure's INSERTs (the figure, its audit event) take this path: a guard against a rename."""
    assert isinstance(_inserts(table_of(Submission))[0], Prepared)
    assert isinstance(_INSERT_EVENT, Prepared)


def test_the_hot_routes_statements_run_prepared(app, client, make, monkeypatch):
    """After a POST of a figure and a read of its target's status, every statement of the two routes ran
    on the driver's cursor: none was handed back to SQLAlchemy (a statement that cannot be compiled once,
    e.g. one with a separator SQLAlchemy renders at each execution, silently loses the gain). On
    PostgreSQL the figure, its audit event, the key's record and the rules' read are one statement
    (`_with_event`)."""
    from app.audit import bulk
    from app.deps import _KEY
    from app.idempotency.store import _INSERT
    from app.submissions.rules import _LOCK_TARGET

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    dialect = app.state.engine.dialect
    # the figures: the key (with its record, or not) and the target in one statement; the status: the key alone
    hot = [_KEY_WITH_TARGET[True][dialect.name], _KEY_WITH_TARGET[False][dialect.name], _KEY, TARGET_STATUS]
    if dialect.name == "sqlite":  # PostgreSQL locks with the target's read, and writes with one statement
        hot += [_AGAINST_STORED["value"], _LOCK_TARGET, _INSERT[dialect.name], _inserts(table_of(Submission))[0], _INSERT_EVENT]
    for prepared in hot:  # what other tests ran (e.g. an INSERT without a defaulted column) is forgotten
        prepared._plans.pop(dialect, None)
    combined: list[Prepared] = []
    real = bulk._with_event

    def recorded(*args):
        combined.append(real(*args))
        combined[-1]._plans.pop(dialect, None)
        return combined[-1]

    monkeypatch.setattr(bulk, "_with_event", recorded)
    posted = client.post(f"/api/v1/targets/{target['id']}/submissions", headers={"Idempotency-Key": "prepared-1"},
                         json={"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]})
    assert posted.status_code == 201, posted.text
    # without an Idempotency-Key: on PostgreSQL the figure and its event alone (another statement)
    unkeyed = client.post(f"/api/v1/targets/{target['id']}/submissions",
                          json={"value": 1, "period_date": "2019-07-31", "organization_id": org["id"]})
    assert unkeyed.status_code == 201, unkeyed.text
    assert client.get(f"/api/v1/targets/{target['id']}/status?as_of=2019-12-31").status_code == 200
    assert len({id(p) for p in combined}) == (0 if dialect.name == "sqlite" else 2)
    for prepared in hot + combined:
        plans = prepared._plans.get(dialect, {})
        assert plans and None not in plans.values(), prepared.statement


def test_the_hot_routes_statements_are_parsed_once_by_psycopg(app, client, make, monkeypatch):
    """psycopg turns a statement's %(name)s placeholders into $n by parsing its text, and caches that only for
    statements of at most 50 parameters and 4,096 characters (psycopg._queries); past either, it parses again
    on every execute, a tenth of POST's CPU (issue 17: the rules' read took POST's statement to 52 parameters
    for a while). After a first round, the same requests parse nothing."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's parsing")
    from psycopg import _queries

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    url = f"/api/v1/targets/{target['id']}/submissions"

    def one_round(n: int) -> None:
        posted = client.post(url, headers={"Idempotency-Key": f"parsed-{n}"},
                             json={"value": n, "period_date": f"2019-0{n}-01", "organization_id": org["id"]})
        assert posted.status_code == 201, posted.text
        assert client.post(url, json={"value": n, "period_date": f"2019-0{n}-02", "organization_id": org["id"]}).status_code == 201
        assert client.get(f"/api/v1/targets/{target['id']}/status?as_of=2019-12-31").status_code == 200

    one_round(1)
    parsed: list[bytes] = []
    real = _queries._query2pg_nocache

    def counted(query, *args):
        parsed.append(bytes(query)[:80])
        return real(query, *args)

    monkeypatch.setattr(_queries, "_query2pg_nocache", counted)  # what convert calls for a query it does not cache
    one_round(2)
    assert parsed == []


# ------------------------------------------------------------------ what an independent review found


def test_a_connection_without_a_transaction_begins_one(app):
    """As Connection.execute: the statement begins the connection's transaction, so commit() keeps it and
    rollback() undoes it."""
    plain = Prepared(insert(_RECORDS), insert=True)
    record = _record("begin", "k")
    with app.state.engine.connect() as connection:
        plain.rows(connection, {**record, "key": "undone"})
        assert connection.in_transaction()
        connection.rollback()
        plain.rows(connection, record)
        connection.commit()
    with app.state.engine.connect() as connection:
        keys = connection.execute(select(_RECORDS.c.key).where(_RECORDS.c.owner == "begin")).scalars().all()
        connection.execute(_RECORDS.delete().where(_RECORDS.c.owner == "begin"))
        connection.commit()
    assert keys == ["k"]


def test_what_cannot_run_compiled_once_is_sqlalchemys(app):
    """A parameter computed at each execution, a text() statement (rows not described), a TypeDecorator that
    turns NULL into something, a column whose name cannot be a field: SQLAlchemy's answers."""
    from itertools import count

    from sqlalchemy import Integer, TypeDecorator, bindparam, literal_column, text
    from sqlalchemy import select as core_select

    class NoneAsZero(TypeDecorator):
        impl = Integer
        cache_ok = True

        def process_result_value(self, value, dialect):
            return 0 if value is None else value

    counter = count(1)
    each_time = Prepared(core_select(bindparam("n", callable_=lambda: next(counter), type_=Integer)))
    rows_of_text = Prepared(text("SELECT 1 AS one"))
    null_as_zero = Prepared(core_select(literal_column("NULL", NoneAsZero).label("x")))
    odd_name = Prepared(core_select(literal_column("1").label("class")))
    with app.state.engine.connect() as connection:
        assert [each_time.scalar(connection) for _ in range(3)] == [1, 2, 3]
        assert [tuple(r) for r in rows_of_text.rows(connection)] == [(1,)]
        assert null_as_zero.scalar(connection) == 0
        assert odd_name.first(connection)._mapping["class"] == 1


def test_a_parameter_name_the_driver_cannot_read_as_given(app):
    """PostgreSQL: SQLAlchemy rewrites a bind name psycopg cannot read ("the.id"); Prepared sends it rewritten."""
    from sqlalchemy import Integer, bindparam
    from sqlalchemy import select as core_select

    dotted = Prepared(core_select(bindparam("the.id", type_=Integer) + 1))
    with app.state.engine.connect() as connection:
        assert dotted.scalar(connection, {"the.id": 41}) == 42


def test_a_failed_statement_drops_its_cursor(app):
    """A listener that fails after the statement ran: the kept cursor is dropped (not left mid-read), the
    error is the listener's, and the next statement runs on a new cursor."""
    from app.common.prepared import _CURSOR

    def fail(*_args):
        raise RuntimeError("listener")

    with app.state.engine.connect() as connection:
        _ANCESTORS.rows(connection, {"organization_id": 1})
        kept = connection.connection.info[_CURSOR][1]
        event.listen(app.state.engine, "after_cursor_execute", fail)
        try:
            with pytest.raises(RuntimeError, match="listener"):
                _ANCESTORS.rows(connection, {"organization_id": 1})
        finally:
            event.remove(app.state.engine, "after_cursor_execute", fail)
        assert _CURSOR not in connection.connection.info
        assert _ANCESTORS.rows(connection, {"organization_id": 1}) == []
        assert connection.connection.info[_CURSOR][1] is not kept


def test_a_lost_server_connection_fails_one_request(backend, database_urls):
    """PostgreSQL restarted (every backend gone) while connections sat in the pool, checked out again within
    the idle-ping delay: the first statement fails and, as SQLAlchemy does, the pool drops every older
    connection, so the next requests connect again instead of each failing once."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool
    from sqlmodel import Session

    from app.config import Settings
    from app.db import make_engine
    from app.deps import _KEY

    engine = make_engine(Settings(database_url=database_urls["postgresql"]))
    killer = create_engine(database_urls["postgresql"], poolclass=NullPool)
    try:
        sessions = [Session(engine) for _ in range(4)]
        pids = [s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() for s in sessions]
        for s in sessions:
            s.close()
        with killer.connect() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        answers = []
        for _ in range(4):
            with Session(engine) as s:
                try:
                    _KEY.first(s.connection(), {"key_hash": "none"})
                    answers.append("ok")
                except Exception as exc:  # SQLAlchemy's class for the lost connection
                    answers.append(type(exc).__name__)
        assert answers == ["OperationalError", "ok", "ok", "ok"]
    finally:
        killer.dispose()
        engine.dispose()
