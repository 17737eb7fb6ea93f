"""Idempotency-Key on POST (issue 4, "Retries"), on both databases.

A retry with the same key and request gets the first answer (`Idempotent-Replayed: true`) and
nothing runs twice; another request under the same key is 422; a key whose request is running,
or whose write committed without a stored answer, is 409; keys are per API key; 5xx and
exceptions are not stored; records are kept 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from app.common.models import as_utc, utcnow
from app.auth.models import ApiKey
from app.idempotency import store
from app.idempotency.middleware import IdempotencyMiddleware, _fingerprint, settled_answer
from app.organizations.models import Organization
from tests.api.helpers import API, PROBLEM, PROBLEM_BASE, assert_problem, total

T = store.TABLE
ORGS = f"{API}/organizations"


def idem(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def records(app) -> list:
    with app.state.engine.connect() as conn:
        return conn.execute(select(T).order_by(T.c.id)).all()


def post_json(client, path: str, body: dict, key: str, **headers):
    """POSTs a JSON body as exact bytes, so the fingerprint can be computed by the test."""
    raw = json.dumps(body).encode()
    return client.post(path, content=raw, headers={"content-type": "application/json", **idem(key), **headers})


def fingerprint(path: str, body: dict, query: bytes = b"") -> str:
    return _fingerprint({"method": "POST", "path": path, "query_string": query}, json.dumps(body).encode())


def owner_of(client) -> str:
    token = client.headers["authorization"].split(" ", 1)[1]
    return hashlib.sha256(token.encode()).hexdigest()


def put_record(app, *, owner: str, key: str, fp: str, state: str, age: timedelta = timedelta(0), **extra) -> int:
    created = utcnow() - age
    values = {"owner": owner, "key": key, "fingerprint": fp, "state": state, "created_at": created,
              "expires_at": created + store.TTL, **extra}
    with app.state.engine.begin() as conn:
        return conn.execute(insert(T).values(**values).returning(T.c.id)).scalar_one()


def org_body(code: str = "IDEM-1") -> dict:
    return {"code": code, "name": "Sở Tài chính"}


# ------------------------------------------------------------------ replay


def test_retry_replays_the_first_answer_and_stores_one_row(client, app):
    key = str(uuid.uuid4())
    first = post_json(client, ORGS, org_body(), key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = post_json(client, ORGS, org_body(), key)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-length"] == str(len(first.content))
    assert again.headers["x-request-id"] != first.headers["x-request-id"]  # each sending has its own id
    assert total(client, ORGS) == 1
    [row] = records(app)
    assert (row.state, row.response_status, row.key, row.owner) == ("done", 201, key, owner_of(client))
    assert as_utc(row.expires_at) - as_utc(row.created_at) == timedelta(hours=24)
    assert bytes(row.response_body) == first.content


def test_without_a_key_nothing_is_recorded_and_retries_run_again(client, app):
    assert client.post(ORGS, json=org_body()).status_code == 201
    assert_problem(client.post(ORGS, json=org_body()), 409)  # the duplicate code, not a replay
    assert records(app) == []


@pytest.fixture
def world(make):
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"])
    return {"org": org["id"], "plan": plan["id"], "target": target["id"]}


def creating_posts(w) -> list[tuple[str, dict, str]]:
    """(path, body, list whose total one creation raises) for each POST that creates with a JSON body."""
    return [
        (f"{API}/plans", {"code": "NEW-PLAN", "title": "T", "organization_id": w["org"], "start_date": "2020-01-01",
                          "end_date": "2020-12-31"}, f"{API}/plans"),
        (f"{API}/plans/{w['plan']}/targets", {"code": "NEW", "title": "T", "comparison": "at_least", "value": 1},
         f"{API}/plans/{w['plan']}/targets"),
        (f"{API}/targets/{w['target']}/submissions", {"value": 2, "period_date": "2019-07-01", "organization_id": w["org"]},
         f"{API}/targets/{w['target']}/submissions"),
        (f"{API}/targets/{w['target']}/assessments", {"verdict": "achieved", "reason": "r", "assessed_by": "Ban",
                                                      "assessed_on": "2020-01-10"}, f"{API}/targets/{w['target']}/assessments"),
        (f"{API}/plans/{w['plan']}/parse?apply=true", {"text": "Thu ngân sách tăng khoảng 5%."},
         f"{API}/plans/{w['plan']}/targets"),
    ]


@pytest.mark.parametrize("index", range(5), ids=["plan", "target", "submission", "assessment", "parse-apply"])
def test_every_creating_post_runs_once(client, app, world, index):
    path, body, listing = creating_posts(world)[index]
    before = total(client, listing)
    key = str(uuid.uuid4())
    first = post_json(client, path, body, key)
    assert first.status_code in (200, 201), first.text
    again = post_json(client, path, body, key)
    assert (again.status_code, again.content, again.headers["idempotent-replayed"]) == (first.status_code, first.content, "true")
    assert total(client, listing) == before + 1
    assert [r.state for r in records(app)] == ["done"]


def test_import_runs_once(client, app, world):
    path = f"{API}/plans/{world['plan']}/import/submissions"
    csv = "target_code,organization_code,value,period_date\nT-x,ORG-x,1,2019-06-30\n"
    code = client.get(f"{API}/targets/{world['target']}").json()["code"]
    org_code = client.get(f"{API}/organizations/{world['org']}").json()["code"]
    csv = csv.replace("ORG-x", org_code)
    rows = csv.replace("T-x", code)
    # The same bytes both times (a client would make a fresh random boundary for each request).
    boundary = "b0undary"
    raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\n"
           f"Content-Type: text/csv\r\n\r\n{rows}\r\n--{boundary}--\r\n").encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}", **idem("import-1")}
    first = client.post(path, content=raw, headers=headers)
    assert first.status_code == 200 and first.json()["stored"], first.text
    again = client.post(path, content=raw, headers=headers)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert total(client, f"{API}/targets/{world['target']}/submissions") == 1


def test_a_4xx_answer_is_stored_and_replayed(client, app):
    key = str(uuid.uuid4())
    bad = {"code": "bad code", "name": ""}
    first = post_json(client, ORGS, bad, key)
    assert_problem(first, 422, fields={"code", "name"})
    again = post_json(client, ORGS, bad, key)
    assert again.status_code == 422 and again.content == first.content
    assert again.headers["content-type"] == PROBLEM and again.headers["idempotent-replayed"] == "true"
    # A conflict too: the same refusal, even after the conflicting row is gone.
    assert post_json(client, ORGS, org_body("DUP"), "k-1").status_code == 201
    conflict = post_json(client, ORGS, org_body("DUP"), "k-2")
    assert_problem(conflict, 409)
    assert post_json(client, ORGS, org_body("DUP"), "k-2").content == conflict.content
    assert [r.response_status for r in records(app)] == [422, 201, 409]


def test_stored_headers_location_etag_content_type_are_replayed(app):
    """Relevant headers (Location, ETag, Content-Type) come back; others (here X-Other) are not stored.

    The app behind the middleware settles the key before it runs (as current_principal does)."""
    calls = []

    async def create(request):
        try:
            with app.state.engine.connect() as conn:
                store.settle(conn, request.state.idempotency)
        except store.Settled as exc:
            return await settled_answer(request, exc)
        calls.append(await request.body())
        return Response(b'{"id": 7}', status_code=201, media_type="application/json",
                        headers={"Location": "/api/v1/things/7", "ETag": '"v1"', "X-Other": "x"})

    tiny = Starlette(routes=[Route("/api/v1/things", create, methods=["POST"])])
    tiny.state.engine = app.state.engine
    tiny.add_middleware(IdempotencyMiddleware)
    with TestClient(tiny, headers={"Authorization": "Bearer ct_tiny", **idem("tiny")}) as c:
        first = c.post("/api/v1/things", content=b"{}")
        again = c.post("/api/v1/things", content=b"{}")
    assert len(calls) == 1 and calls[0] == b"{}"
    assert again.status_code == 201 and again.content == b'{"id": 7}'
    for name in ("location", "etag", "content-type"):
        assert again.headers[name] == first.headers[name]
    assert "x-other" in first.headers and "x-other" not in again.headers
    assert again.headers["idempotent-replayed"] == "true"


# ------------------------------------------------------------------ refusals


def test_same_key_with_another_request_is_422_and_runs_nothing(client, app):
    key = "order-42"
    assert post_json(client, ORGS, org_body("A"), key).status_code == 201
    for r in (
        post_json(client, ORGS, org_body("B"), key),  # another body
        post_json(client, ORGS + "?x=1", org_body("A"), key),  # another query
        post_json(client, f"{API}/plans", org_body("A"), key),  # another path
    ):
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
        body = r.json()
        assert body["type"] == PROBLEM_BASE + "idempotency-key-reused"
        assert body["status"] == 422 and "different request" in body["detail"]
        assert "idempotent-replayed" not in r.headers
    assert total(client, ORGS) == 1
    assert len(records(app)) == 1


def test_keys_are_per_api_key(client, app, key_for):
    other = key_for("admin")
    key = "shared-key"
    assert post_json(client, ORGS, org_body("MINE"), key).status_code == 201
    # The same key and request under another API key is not a retry: it runs (and meets the duplicate code).
    theirs = post_json(client, ORGS, org_body("MINE"), key, **other)
    assert_problem(theirs, 409)
    assert "idempotent-replayed" not in theirs.headers
    # The same key with another request under another API key is not a reuse either.
    assert post_json(client, ORGS, org_body("THEIRS"), "their-key", **other).status_code == 201
    # Their record of `key` holds their first request: another body under it is a reuse, for them.
    assert post_json(client, ORGS, org_body("THEIRS2"), key, **other).json()["type"] == PROBLEM_BASE + "idempotency-key-reused"
    assert total(client, ORGS) == 2
    assert len({r.owner for r in records(app)}) == 2


def test_a_duplicate_of_a_request_whose_answer_is_on_its_way_is_409(client, app):
    """Committed moments ago, answer not stored yet: the first request is still finishing."""
    key = "in-flight"
    put_record(app, owner=owner_of(client), key=key, fp=fingerprint(ORGS, org_body()), state="committed")
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == PROBLEM_BASE + "idempotency-in-progress"
    assert r.headers["retry-after"] == "1"
    assert total(client, ORGS) == 0
    assert [x.state for x in records(app)] == ["committed"]  # untouched


def test_a_duplicate_that_loses_the_race_at_commit_writes_nothing(client, app, monkeypatch):
    """Both requests ran at once; the other one committed first with the key: this one's write is
    rolled back, and it answers with the other's stored answer."""
    from app.organizations import service

    key = "race"
    fp = fingerprint(ORGS, org_body())
    real = service.create_organization

    def other_commits_first(**kwargs):
        put_record(app, owner=owner_of(client), key=key, fp=fp, state="done", response_status=201,
                   response_headers=json.dumps([["content-type", "application/json"]]), response_body=b'{"id": 999}')
        return real(**kwargs)

    monkeypatch.setattr(service, "create_organization", other_commits_first)
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"
    assert r.json() == {"id": 999}
    assert total(client, ORGS) == 0  # this request's write was rolled back
    assert [x.state for x in records(app)] == ["done"]


def test_a_duplicate_that_loses_the_race_before_the_answer_is_stored_is_409(client, app, monkeypatch):
    from app.organizations import service

    key = "race-2"
    real = service.create_organization

    def other_commits_first(**kwargs):
        put_record(app, owner=owner_of(client), key=key, fp=fingerprint(ORGS, org_body()), state="committed")
        return real(**kwargs)

    monkeypatch.setattr(service, "create_organization", other_commits_first)
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM_BASE + "idempotency-in-progress"
    assert total(client, ORGS) == 0


def test_a_figure_that_loses_the_race_for_its_key_writes_nothing(client, app, world, monkeypatch, backend):
    """POST a figure: the other request with the key commits first, while this one is checked. On PostgreSQL
    the record goes in with the figure, in its statement (inserting nothing there: the key is held); on
    SQLite at the commit. Either way nothing of this one is stored (figure, audit event) and it answers
    with the other's stored answer."""
    from app.submissions import service

    path = f"{API}/targets/{world['target']}/submissions"
    body = {"value": 2, "period_date": "2019-07-01", "organization_id": world["org"]}
    real = service.create_submission

    def other_commits_first(**kwargs):
        put_record(app, owner=owner_of(client), key="figure-race", fp=fingerprint(path, body), state="done",
                   response_status=201, response_headers=json.dumps([["content-type", "application/json"]]),
                   response_body=b'{"id": 999}')
        return real(**kwargs)

    monkeypatch.setattr(service, "create_submission", other_commits_first)
    r = post_json(client, path, body, "figure-race")
    assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true", (backend, r.text)
    assert r.json() == {"id": 999}
    assert total(client, path) == 0  # the figure was rolled back
    assert [x.state for x in records(app)] == ["done"]
    with Session(app.state.engine) as session:
        from app.audit.models import AuditEvent

        assert session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "submission")).scalar_one() == 0


def test_a_figures_key_held_by_a_void_record_is_taken_over(client, app, world):
    """A record nothing committed behind (an old 'pending' claim, or expired): the figure's write replaces it,
    in its own transaction (on PostgreSQL after its statement found the key held), and a retry replays."""
    path = f"{API}/targets/{world['target']}/submissions"
    for n, (state, age) in enumerate((("pending", timedelta(0)), ("done", store.TTL + timedelta(minutes=1)))):
        body = {"value": 2, "period_date": f"2019-07-0{n + 1}", "organization_id": world["org"]}
        put_record(app, owner=owner_of(client), key=f"void-{n}", fp=fingerprint(path, body), state=state, age=age)
        r = post_json(client, path, body, f"void-{n}")
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
        again = post_json(client, path, body, f"void-{n}")
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == r.json()
        stored = client.get(again.headers["location"])  # the answer names the stored row
        assert stored.status_code == 200 and stored.json()["value"] == 2 and stored.json()["id"] == r.json()["id"]
    assert total(client, path) == 2
    assert sorted(x.state for x in records(app)) == ["done", "done"]


def test_a_committed_record_without_answer_is_409_and_never_runs_again(client, app):
    key = "lost-answer"
    put_record(app, owner=owner_of(client), key=key, fp=fingerprint(ORGS, org_body()), state="lost")
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM_BASE + "idempotency-answer-lost"
    assert "read the resource" in r.json()["detail"]
    assert total(client, ORGS) == 0


def test_a_committed_record_whose_answer_never_came_reads_as_lost(client, app):
    """Committed over a minute ago and still no answer: its process died after the commit."""
    key = "died"
    put_record(app, owner=owner_of(client), key=key, fp=fingerprint(ORGS, org_body()), state="committed",
               age=timedelta(seconds=90))
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 409 and r.json()["type"] == PROBLEM_BASE + "idempotency-answer-lost"
    assert total(client, ORGS) == 0


def test_a_pending_claim_of_the_earlier_design_does_not_block_the_key(client, app):
    """Records made before the record moved into the write's transaction could be 'pending':
    nothing of their request committed, so the key runs afresh."""
    key = "old-claim"
    put_record(app, owner=owner_of(client), key=key, fp=fingerprint(ORGS, org_body()), state="pending")
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert [x.state for x in records(app)] == ["done"]
    assert post_json(client, ORGS, org_body(), key).headers["idempotent-replayed"] == "true"


def test_a_malformed_key_is_422(client, app):
    for bad in (b"", b"x" * 256, b"tab\there", "é".encode("utf-8"), b"\x7f"):
        r = client.post(ORGS, json=org_body(), headers={"Idempotency-Key": bad})
        body = assert_problem(r, 422, fields={"header.idempotency-key"})
        assert "printable ASCII" in body["detail"]
    two = client.post(ORGS, json=org_body(), headers=[("Idempotency-Key", "a"), ("Idempotency-Key", "b")])
    assert_problem(two, 422, fields={"header.idempotency-key"})
    assert records(app) == [] and total(client, ORGS) == 0
    longest = "~ !" + "k" * 252
    assert post_json(client, ORGS, org_body(), longest).status_code == 201
    assert records(app)[0].key == longest


def test_a_request_without_authorization_is_not_handled(anonymous, app, world):
    r = anonymous.post(ORGS, json=org_body(), headers=idem())
    assert r.status_code == 401
    parsed = anonymous.post(f"{API}/plans/{world['plan']}/parse", json={"text": "Thu ngân sách tăng khoảng 5%."}, headers=idem())
    assert parsed.status_code == 200
    assert records(app) == []


def test_a_401_is_not_stored(anonymous, app):
    r = anonymous.post(ORGS, json=org_body(), headers={"Authorization": "Bearer ct_unknown", **idem("k")})
    assert r.status_code == 401
    assert records(app) == []


# ------------------------------------------------------------------ failures


def test_a_5xx_is_not_stored_and_the_retry_runs(client, app, monkeypatch):
    from app.organizations import service

    def boom(**_):
        raise RuntimeError("database fell over")

    real = service.create_organization
    monkeypatch.setattr(service, "create_organization", boom)
    key = str(uuid.uuid4())
    r = post_json(client, ORGS, org_body(), key)
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert records(app) == []
    monkeypatch.setattr(service, "create_organization", real)
    again = post_json(client, ORGS, org_body(), key)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert total(client, ORGS) == 1


def test_a_5xx_after_the_write_committed_keeps_the_record_committed(client, app, monkeypatch):
    """The write happened; running the retry would make it twice: 409 (answer lost) instead."""
    from app.organizations import service

    real = service.create_organization

    def commit_then_fail(**kwargs):
        real(**kwargs)
        kwargs["session"].commit()  # the write is durable (as the route's transaction would make it), then:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(service, "create_organization", commit_then_fail)
    key = str(uuid.uuid4())
    assert post_json(client, ORGS, org_body(), key).status_code == 500
    assert [r.state for r in records(app)] == ["lost"]
    monkeypatch.setattr(service, "create_organization", real)
    again = post_json(client, ORGS, org_body(), key)
    assert again.status_code == 409 and again.json()["type"] == PROBLEM_BASE + "idempotency-answer-lost"
    assert total(client, ORGS) == 1


def test_noting_the_keys_use_does_not_count_as_the_write(app, monkeypatch):
    """A fresh key's first request commits last_used_at before the route runs; that commit must not mark
    the record 'committed' (else a request that then failed would answer 409 forever)."""
    from app.organizations import service
    from tests.conftest import bearer, new_key

    monkeypatch.setattr(service, "create_organization", lambda **_: (_ for _ in ()).throw(RuntimeError("x")))
    with TestClient(app, raise_server_exceptions=False, headers=bearer(new_key(app))) as fresh:
        assert post_json(fresh, ORGS, org_body(), "first-use").status_code == 500
    assert records(app) == []


def test_a_new_api_keys_secret_is_never_stored(client, app):
    key = "make-key"
    body = {"name": "robot", "role": "admin"}
    first = post_json(client, f"{API}/api-keys", body, key)
    assert first.status_code == 201, first.text
    secret = first.json()["key"]
    [row] = records(app)
    assert row.state == "lost" and row.response_body is None
    again = post_json(client, f"{API}/api-keys", body, key)
    assert again.status_code == 409 and again.json()["type"] == PROBLEM_BASE + "idempotency-answer-lost"
    assert secret.encode() not in again.content
    assert total(client, f"{API}/api-keys") == 2  # the test's own key and the new one
    # A refused key creation (no secret in it) is stored as usual.
    refused = post_json(client, f"{API}/api-keys", {"name": "x", "role": "editor"}, "make-key-2")
    assert refused.status_code == 422
    assert post_json(client, f"{API}/api-keys", {"name": "x", "role": "editor"}, "make-key-2").content == refused.content


# ------------------------------------------------------------------ the record and the write


def _context(key: str) -> store.Context:
    return store.Context(owner="o", key=key, fingerprint="f")


def test_the_record_commits_with_the_write_and_only_with_it(app, session):
    from app.auth.service import CLI

    ctx = _context("k")
    session.info.update(idempotency=ctx, principal=CLI)
    session.add(Organization(code="ROLLED", name="n"))
    session.flush()
    session.rollback()
    assert records(app) == [] and ctx.record_id is None
    # Committed with the write.
    session.add(Organization(code="KEPT", name="n"))
    session.commit()
    [row] = records(app)
    assert row.state == "committed" and ctx.record_id == row.id
    # A second commit of the same request records nothing more.
    session.add(Organization(code="KEPT-2", name="n"))
    session.commit()
    assert len(records(app)) == 1
    # Before the caller is known (no principal), a commit is bookkeeping and records nothing.
    early = _context("k2")
    with Session(app.state.engine, info={"idempotency": early}) as s:
        s.add(Organization(code="EARLY", name="n"))
        s.commit()
    assert len(records(app)) == 1 and early.record_id is None


def test_a_write_whose_flush_fails_leaves_no_record(app, session):
    from app.auth.service import CLI

    ctx = _context("dup")
    session.add(Organization(code="SAME", name="n"))
    session.commit()
    session.info.update(idempotency=ctx, principal=CLI)
    session.add(Organization(code="SAME", name="again"))  # unique code: the flush fails
    with pytest.raises(Exception):
        session.commit()
    session.rollback()
    assert records(app) == [] and ctx.record_id is None


def test_a_key_taken_by_another_request_refuses_the_commit(app, session):
    from app.auth.service import CLI

    put_record(app, owner="o", key="taken", fp="f", state="done")
    ctx = _context("taken")
    session.info.update(idempotency=ctx, principal=CLI)
    session.add(Organization(code="LATE", name="n"))
    with pytest.raises(store.KeyTaken):
        session.commit()
    session.rollback()
    assert ctx.taken and ctx.record_id is None
    with app.state.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Organization.__table__)).scalar_one() == 0


# ------------------------------------------------------------------ expiry


def test_records_expire_after_24_hours(client, app):
    key = "yesterday"
    first = post_json(client, ORGS, org_body(), key)
    assert first.status_code == 201
    with app.state.engine.begin() as conn:
        conn.execute(update(T).values(created_at=utcnow() - timedelta(hours=25), expires_at=utcnow() - timedelta(hours=1)))
    again = post_json(client, ORGS, org_body(), key)
    # Not replayed: the request ran again (and is refused as a duplicate code, since the first one was stored).
    assert_problem(again, 409)
    assert "idempotent-replayed" not in again.headers
    [row] = records(app)
    assert row.state == "done" and row.response_status == 409 and as_utc(row.expires_at) > utcnow()


def test_expired_records_are_purged_in_bounded_batches(client, app):
    for n in range(store.PURGE_BATCH + 5):
        put_record(app, owner="someone", key=f"old-{n}", fp="f", state="done", age=timedelta(hours=30))
    put_record(app, owner="someone", key="fresh", fp="f", state="done")
    assert post_json(client, ORGS, org_body(), "trigger").status_code == 201
    left = {r.key for r in records(app)}
    assert "fresh" in left and "trigger" in left
    assert len(left) == 2 + 5  # one batch of 100 went; 5 wait for the next stored answer
    assert post_json(client, ORGS, org_body("B"), "trigger-2").status_code == 201
    assert {r.key for r in records(app)} == {"fresh", "trigger", "trigger-2"}


# ------------------------------------------------------------------ documentation


def test_openapi_documents_the_header_on_every_post(client):
    schema = client.get("/openapi.json").json()
    posts = [(p, ops["post"]) for p, ops in schema["paths"].items() if "post" in ops and p.startswith(API)]
    assert len(posts) >= 9
    for path, op in posts:
        [param] = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert param["in"] == "header" and not param["required"], path
        assert param["schema"]["maxLength"] == 255
        assert "409" in op["responses"] and "Idempotency-Key" in op["responses"]["409"]["description"], path
        assert "422" in op["responses"] and "Idempotency-Key" in op["responses"]["422"]["description"], path
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method != "post":
                assert all(p["name"] != "Idempotency-Key" for p in op.get("parameters", [])), (method, path)


def test_a_retry_is_authenticated_before_it_is_replayed(app, client):
    """The key's record is looked up only once the caller is known: a retry with a revoked key is 401."""
    from tests.conftest import bearer, new_key

    with TestClient(app, headers=bearer(new_key(app))) as fresh:
        assert post_json(fresh, ORGS, org_body(), "revoked-later").status_code == 201
        with app.state.engine.begin() as conn:
            conn.execute(update(ApiKey.__table__).where(ApiKey.__table__.c.key_hash == owner_of(fresh)).values(revoked_at=utcnow()))
        again = post_json(fresh, ORGS, org_body(), "revoked-later")
    assert again.status_code == 401 and "idempotent-replayed" not in again.headers
    assert [r.state for r in records(app)] == ["done"]


def test_a_body_answered_before_the_key_is_looked_up_still_respects_the_key(client, app):
    """A body that is not JSON is answered 400 before the caller is authenticated (and the key looked
    up); storing that answer finds the key taken, and the key's record decides: reused (422)."""
    key = "early-answer"
    assert post_json(client, ORGS, org_body(), key).status_code == 201
    broken = client.post(ORGS, content=b"{not json", headers={"content-type": "application/json", **idem(key)})
    assert broken.status_code == 422 and broken.json()["type"] == PROBLEM_BASE + "idempotency-key-reused"
    fresh = client.post(ORGS, content=b"{not json", headers={"content-type": "application/json", **idem("early-2")})
    assert fresh.status_code == 400
    again = client.post(ORGS, content=b"{not json", headers={"content-type": "application/json", **idem("early-2")})
    assert again.status_code == 400 and again.headers["idempotent-replayed"] == "true"
