"""The two busiest routes take no dependency but the API router's gate (issue 17): a target's status and
POST a figure identify their caller, open and close their session in their one thread-pool hand-off.
What the dependencies did must still hold, on both databases: who may call, in which order the
refusals come, what the OpenAPI document says, and how few statements a figure costs."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, select, text
from sqlmodel import Session

from app.common.crud import transaction
from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key


def test_a_targets_status_identifies_its_caller(app, anonymous, make):
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/status"
    assert anonymous.get(path).status_code == 200  # reads are open
    assert anonymous.get(path, headers=bearer(new_key(app, "viewer", org["id"]))).status_code == 200
    for header in ("Basic dXNlcjpwdw==", "Bearer ", "Bearer ct_not_a_key"):
        r = anonymous.get(path, headers={"Authorization": header})
        assert r.status_code == 401, (header, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    draft = make.target(make.plan(org["id"], state="draft")["id"])
    hidden = f"{API}/targets/{draft['id']}/status"
    assert_problem(anonymous.get(hidden), 404)  # a draft's target: as if it did not exist
    assert anonymous.get(hidden, headers=bearer(new_key(app, "viewer", org["id"]))).status_code == 200
    assert_problem(anonymous.get(f"{API}/targets/{target['id']}/status?as_of=2019-13-01"), 422, fields={"query.as_of"})
    assert_problem(anonymous.get(f"{API}/targets/{target['id']}/status?asof=2019-06-30"), 400, fields={"query.asof"})


def test_posting_a_figure_without_a_key_is_refused_before_its_body_is_validated(app, anonymous, make):
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    body = {"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]}
    assert anonymous.post(path, json={"value": "not a figure"}).status_code == 401  # not validated first
    assert anonymous.post(path, json=body, headers=bearer("ct_not_a_key")).status_code == 401
    viewer = anonymous.post(path, json=body, headers=bearer(new_key(app, "viewer", org["id"])))
    assert viewer.status_code == 403, viewer.text
    other = make.org()
    out_of_scope = anonymous.post(path, json=body, headers=bearer(new_key(app, "reporter", other["id"])))
    assert out_of_scope.status_code == 403, out_of_scope.text  # the plan is readable, the unit is not the key's
    reporter = bearer(new_key(app, "reporter", org["id"]))
    outside = anonymous.post(path, json={**body, "organization_id": other["id"]}, headers=reporter)
    assert outside.status_code == 403, outside.text  # outside the key's scope comes before outside the plan's tree
    missing = anonymous.post(path, json={**body, "organization_id": 2_000_000}, headers=reporter)
    assert_problem(missing, 422, fields={"organization_id"})  # no such organisation: the field says so
    created = anonymous.post(path, json=body, headers=reporter)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{API}/submissions/{created.json()['id']}"


def test_a_figures_key_is_read_with_its_target_and_refused_first(app, client, anonymous, make):
    """POST a figure reads the key with the target, in one statement: the key's refusals still come first.
    An unknown, revoked or expired key is 401 for a target that does not exist too (not 404); a viewer is 404
    for a target it may not read and 403 for one it may."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    body = {"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]}
    revoked = client.post(f"{API}/api-keys", json={"name": "gone", "role": "reporter", "organization_id": org["id"]}).json()
    assert client.post(f"{API}/api-keys/{revoked['id']}/revoke").status_code == 200
    expired = client.post(f"{API}/api-keys", json={"name": "old", "role": "admin", "expires_at": "2030-01-01T00:00:00Z"}).json()
    with Session(app.state.engine) as session, transaction(session):
        session.execute(text("UPDATE api_key SET expires_at = :past WHERE id = :id"), {"past": "2020-01-01 00:00:00+00:00", "id": expired["id"]})
    for secret in ("ct_not_a_key", revoked["key"], expired["key"]):
        for target_id in (target["id"], 2_000_000):
            r = anonymous.post(f"{API}/targets/{target_id}/submissions", json=body, headers=bearer(secret))
            assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json", (secret, target_id, r.text)
    other = make.org()
    draft = make.target(make.plan(other["id"], state="draft")["id"])
    viewer = bearer(new_key(app, "viewer", org["id"]))
    assert_problem(anonymous.post(f"{API}/targets/2000000/submissions", json=body, headers=viewer), 404)
    assert_problem(anonymous.post(f"{API}/targets/{draft['id']}/submissions", json=body, headers=viewer), 404)
    assert anonymous.post(f"{API}/targets/{target['id']}/submissions", json=body, headers=viewer).status_code == 403


def test_a_keys_first_figure_notes_its_use_and_locks_the_target_again(app, anonymous, make, backend):
    """A key's use is noted (at most once a minute) in a commit of its own, before the figure's write: that
    commit ends the transaction in which the key and the target were read, and the target's lock with it,
    so the target is read and locked again. The use is noted whatever becomes of the figure."""
    from app.auth.models import ApiKey

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    reporter = new_key(app, "reporter", org["id"])  # never used: its first use is noted
    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        r = anonymous.post(path, json={"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]},
                           headers=bearer(reporter))
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert r.status_code == 201, r.text
    assert any(s.startswith("UPDATE api_key SET last_used_at") for s in statements), statements
    reads = [s for s in statements if "FROM target JOIN plan" in s.replace('"plan"', "plan")]
    assert len(reads) == 2 and "FROM api_key" in reads[0] and "FROM api_key" not in reads[1], reads
    if backend == "postgresql":
        assert all("FOR NO KEY UPDATE OF target" in s for s in reads)
    assert client_figure(anonymous, r, reporter)["value"] == 1
    viewer = new_key(app, "viewer", org["id"])  # a refused request notes the key's use as well
    refused = anonymous.post(path, json={"value": 2, "period_date": "2019-07-31", "organization_id": org["id"]},
                             headers=bearer(viewer))
    assert refused.status_code == 403, refused.text
    with Session(app.state.engine) as session:
        used = {k.role: k.last_used_at for k in session.exec(select(ApiKey).where(ApiKey.organization_id == org["id"])).scalars()}
    assert used["reporter"] is not None and used["viewer"] is not None, used


def client_figure(anonymous, created, secret: str) -> dict:
    """The figure a 201 names, read back with the key that stored it."""
    got = anonymous.get(created.headers["location"], headers=bearer(secret))
    assert got.status_code == 200, got.text
    return got.json()


def test_a_refused_viewer_takes_no_figure_id(app, anonymous, make):
    """On PostgreSQL the target's read takes the new figure's id from the sequence, but only for a key that
    may report: a viewer's refused POST takes none, so the next figures' ids follow each other."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    reporter, viewer = bearer(new_key(app, "reporter", org["id"])), bearer(new_key(app, "viewer", org["id"]))
    first = anonymous.post(path, json={"value": 1, "period_date": "2019-05-31", "organization_id": org["id"]}, headers=reporter)
    for n in range(3):
        refused = anonymous.post(path, json={"value": 1, "period_date": f"2019-06-0{n + 1}", "organization_id": org["id"]},
                                 headers=viewer)
        assert refused.status_code == 403, refused.text
    second = anonymous.post(path, json={"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]}, headers=reporter)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert second.json()["id"] == first.json()["id"] + 1


def test_both_routes_declare_the_api_key_scheme(app):
    paths = app.openapi()["paths"]
    for path, method in (("/targets/{target_id}/status", "get"), ("/targets/{target_id}/submissions", "post")):
        assert {"ApiKey": []} in paths[API + path][method]["security"], (path, method)


def test_a_figure_costs_six_statements(app, client, backend, make):
    """With an admin key and an Idempotency-Key: the key with its record, the target and plan with the
    figure's organisation and those above it, whether any webhook subscription is active, and on PostgreSQL
    the new figure's id from the sequence (1); the target's row lock (1); the unit's figures with the
    other-shape check (1); the figure and its audit event (2); the key's record (1). It was 12, then 9, 8
    and 7; a 7th would be a regression to look at. On PostgreSQL 2: the row lock is taken with the target
    and plan (FOR NO KEY UPDATE), and the figure, its audit event, the key's record and the unit's figures
    for the rules are one statement (the figure's id known ahead, its answer too). No subscription is
    active here: none is read (one active is read at the write: the test below). A figure naming its
    organisation's code reads its organisation's line on its own (one more)."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    path = f"{API}/targets/{target['id']}/submissions"
    client.post(path, json={"value": 1, "period_date": "2019-05-31", "organization_id": org["id"]})  # the key's use noted
    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        r = client.post(
            path,
            json={"value": 2, "period_date": "2019-06-30", "organization_id": org["id"]},
            headers={"Idempotency-Key": "six-statements"},
        )
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert r.status_code == 201, r.text
    sent = [s for s in statements if not s.startswith("PRAGMA")]
    assert len(sent) == (6 if backend == "sqlite" else 2), sent
    assert "FROM api_key" in sent[0] and "FROM target JOIN plan" in sent[0].replace('"plan"', "plan"), sent[0]
    assert not any("FROM webhook_subscription" in s and "EXISTS" not in s for s in sent), sent
    if backend == "postgresql":
        assert not any(s.startswith("UPDATE target") for s in statements)
        assert any("FOR NO KEY UPDATE OF target" in s for s in statements)
        assert not any(s.startswith("INSERT INTO audit_event") for s in sent), sent  # in the figure's statement
        assert not any(s.startswith("INSERT INTO idempotency_record") for s in sent), sent
        assert any("INSERT INTO submission" in s and "INSERT INTO audit_event" in s and "INSERT INTO idempotency_record" in s
                   and "AS reading" in s for s in sent), sent


def test_a_bad_key_with_a_bad_body_on_a_figure_is_the_bodys_422(anonymous, make):
    """The one difference the route's shape makes, pinned: FastAPI validates the body before the route
    identifies its caller in its hand-off, so a bad key with a bad body is the body's 422 here (401 on the
    other writes, which identify through a dependency). Without a key at all, 401 comes first everywhere
    (api_gate). With a valid body, a bad key is 401 (test above)."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    assert_problem(anonymous.post(path, json={"value": "x"}, headers=bearer("ct_not_a_key")), 422, fields={"value"})
    assert anonymous.post(f"{API}/organizations", json={"code": 5}, headers=bearer("ct_not_a_key")).status_code == 401


def test_a_keys_use_is_noted_within_the_writers_turn(app, backend, monkeypatch):
    """SQLite: noting a key's use (once a minute) writes inside `transaction`, so it takes its turn before
    SQLite's lock. Written before it, it held SQLite's lock while waiting for the turn held by a writer that
    waited for SQLite's lock: both stalled for TURN_SECONDS (found in review)."""
    if backend != "sqlite":
        pytest.skip("the writers' turn is SQLite's")
    from types import SimpleNamespace

    from app.common import crud
    from app.deps import _KEY, identified, key_params

    monkeypatch.setattr(crud, "TURN_SECONDS", 2.0)
    secret = new_key(app, "admin")  # never used: its first use is noted
    engine = app.state.engine
    has_turn = threading.Event()
    took: dict[str, float] = {}

    def other_writer() -> None:
        with Session(engine) as session, transaction(session):
            has_turn.set()
            time.sleep(0.3)  # the key's use is being noted meanwhile
            started = time.monotonic()
            session.execute(text("UPDATE api_key SET name = name WHERE 1 = 0"))
            took["other"] = time.monotonic() - started

    thread = threading.Thread(target=other_writer)
    thread.start()
    has_turn.wait()
    with Session(engine) as session:
        started = time.monotonic()
        identified(SimpleNamespace(state=SimpleNamespace()), session, _KEY.first(session.connection(), key_params(session, secret)))
        took["noting"] = time.monotonic() - started
    thread.join()
    assert took["noting"] < 1.0 and took["other"] < 1.0, took


def test_a_subscription_committed_before_the_figure_gets_its_event(app, client, make, monkeypatch):
    """Whether anyone subscribes is read with the key and the target, in the figure's transaction: a
    subscription committed while the request ran, up to that statement (here: just before it), gets the
    figure's event. One committed after it, while the figure is checked and written, may miss it, as one
    committed between any read and the figure's commit would."""
    from app.events.models import WebhookEvent, WebhookSubscription
    from app.targets import deps

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    real = deps.key_params

    def subscribe_meanwhile(session, secret):
        with Session(app.state.engine) as other, transaction(other):
            other.add(WebhookSubscription(url="https://example.org/hook", event_types=["figure.submitted"], secret="whsec_x"))
        return real(session, secret)

    monkeypatch.setattr(deps, "key_params", subscribe_meanwhile)
    r = client.post(
        f"{API}/targets/{target['id']}/submissions", json={"value": 2, "period_date": "2019-06-30", "organization_id": org["id"]}
    )
    assert r.status_code == 201, r.text
    with Session(app.state.engine) as session:
        types = session.execute(select(WebhookEvent.type)).scalars().all()
    assert types == ["figure.submitted"], types


def test_the_hot_routes_run_within_the_apps_limiters(app, client, backend, make, monkeypatch):
    """SQLite: a target's status runs one at a time, and POST a figure one at a time, each under its own
    limiter (app.deps.HotLimiters: threads that each do short SQLite work spend more on handing the GIL
    over than on the work; a read never queues behind a write waiting for the writers' turn);
    PostgreSQL: four of each."""
    import anyio.to_thread

    given = []
    original = anyio.to_thread.run_sync

    async def recorded(func, *args, limiter=None, **kwargs):
        given.append((getattr(func, "__qualname__", ""), limiter))
        return await original(func, *args, limiter=limiter, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recorded)
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    r = client.post(f"{API}/targets/{target['id']}/submissions", json={"value": 1, "period_date": "2019-05-31", "organization_id": org["id"]})
    assert r.status_code == 201, r.text
    assert client.get(f"{API}/targets/{target['id']}/status").status_code == 200
    hot = [(name, used) for name, used in given if name.split(".")[0] in ("create_submission", "get_target_status")]
    assert [name for name, _ in hot] == ["create_submission.<locals>.write", "get_target_status.<locals>.answer"]
    write, read = hot[0][1], hot[1][1]
    assert write is not None and read is not None and write is not read
    assert write.total_tokens == read.total_tokens == (1 if backend == "sqlite" else 4)


def test_the_hot_limiters_serve_requests_from_many_event_loops(app, make):
    """A limiter wakes only waiters of its own event loop: one per loop (a test client without `with` runs
    each request on a loop of its own; 8 threads of them at once hung with one limiter for all)."""
    from fastapi.testclient import TestClient

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    loose = TestClient(app)  # no `with`: a loop per request
    answers: list[int] = []

    def read() -> None:
        for _ in range(20):
            answers.append(loose.get(f"{API}/targets/{target['id']}/status").status_code)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), f"{len(answers)} of 160 answered in 60 s"
    assert answers == [200] * 160


def test_an_unknown_query_parameter_on_a_figure_is_a_400(client, make):
    """api_gate runs on the LeanRoute's own path too (it reads the gate from the route as included)."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    r = client.post(f"{API}/targets/{target['id']}/submissions?dry=1", json={"value": 1, "period_date": "2019-05-31", "organization_id": org["id"]})
    assert_problem(r, 400, fields={"query.dry"})


def test_one_key_sent_at_once_from_many_clients_is_stored_once(app, client, make):
    """The target's row lock (on PostgreSQL taken with the loader's read, FOR NO KEY UPDATE) makes the rules'
    check and the insert one step: of 8 figures for one unit and date sent at the same moment, one is stored
    and the others are 409s naming it."""
    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    start = threading.Barrier(8)

    def send(n: int):
        start.wait()
        return client.post(path, json={"value": n, "period_date": "2019-06-30", "organization_id": org["id"]})

    threads, answers = [], []
    for n in range(8):
        threads.append(threading.Thread(target=lambda n=n: answers.append(send(n))))
        threads[-1].start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in answers) == [201] + [409] * 7, [r.text for r in answers]
    stored = next(r.json()["id"] for r in answers if r.status_code == 201)
    assert {r.json()["existing_submission_id"] for r in answers if r.status_code == 409} == {stored}


def test_a_figure_sent_while_another_is_being_written_sees_it(app, client, make, monkeypatch):
    """The rules read the unit's figures after the target's lock (on PostgreSQL in the statement that writes
    the figure): a figure for the same unit and date sent while the first one is checked and written, not
    yet committed, waits for it and then finds it (409 naming it), whatever the timing."""
    from app.submissions import rules

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    first_checked = threading.Event()
    real = rules.check_rows

    def slow_first(*args, **kwargs):
        real(*args, **kwargs)
        if not first_checked.is_set():
            first_checked.set()
            time.sleep(0.5)  # holding the lock, the figure written or about to be, not committed

    monkeypatch.setattr(rules, "check_rows", slow_first)
    answers: dict[str, object] = {}

    def send(name: str, value: int):
        answers[name] = client.post(path, json={"value": value, "period_date": "2019-06-30", "organization_id": org["id"]})

    first = threading.Thread(target=send, args=("first", 1))
    first.start()
    assert first_checked.wait(30)
    second = threading.Thread(target=send, args=("second", 2))
    second.start()
    first.join(30)
    second.join(30)
    won, lost = answers["first"], answers["second"]
    assert (won.status_code, lost.status_code) == (201, 409), (won.text, lost.text)
    assert lost.json()["existing_submission_id"] == won.json()["id"]


def test_a_refused_figure_leaves_nothing_and_its_key_replays_the_refusal(app, client, make):
    """A figure the rules refuse (on PostgreSQL after its statement wrote it, the rules' read being part of
    that statement) leaves no row, no audit event and no event for webhooks; its Idempotency-Key replays the
    refusal, and the figure it collided with is untouched."""
    from app.audit.models import AuditEvent
    from app.submissions.models import Submission

    org = make.org()
    target = make.target(make.plan(org["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    stored = client.post(path, json={"value": 1, "period_date": "2019-06-30", "organization_id": org["id"]})
    assert stored.status_code == 201, stored.text

    def counts():
        with Session(app.state.engine) as session:
            figures = session.execute(select(Submission.id).where(Submission.target_id == target["id"])).all()
            events = session.execute(select(AuditEvent.id).where(AuditEvent.entity == "submission")).all()
            return len(figures), len(events)

    before = counts()
    body = {"value": 2, "period_date": "2019-06-30", "organization_id": org["id"]}
    refused = client.post(path, json=body, headers={"Idempotency-Key": "refused-figure"})
    problem = assert_problem(refused, 409)
    assert problem["existing_submission_id"] == stored.json()["id"]
    assert counts() == before
    again = client.post(path, json=body, headers={"Idempotency-Key": "refused-figure"})
    assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == refused.json()
    ratio = client.post(path, json={"numerator": 1, "denominator": 2, "period_date": "2019-09-30", "organization_id": org["id"]})
    assert_problem(ratio, 422, fields={"numerator"})  # values and ratios never mix: refused the same way
    assert counts() == before
    later = client.post(path, json={"value": 3, "period_date": "2019-09-30", "organization_id": org["id"]})
    assert later.status_code == 201, later.text  # the refusals' ids skipped, nothing else left behind
    assert client.get(stored.headers["location"]).json()["value"] == 1


def test_a_figures_organisation_by_id_or_code_in_and_out_of_scope(app, client, make):
    """The organisation's line read with the target (an id) or on its own (a code) gives the same answers:
    201 for the plan's tree, 422 for an organisation that does not exist or lies outside the plan's tree,
    403 for one outside the key's scope."""
    city = make.org()
    ward = make.org(parent_id=city["id"])
    other = make.org()
    target = make.target(make.plan(city["id"])["id"])
    path = f"{API}/targets/{target['id']}/submissions"
    by_id = client.post(path, json={"value": 1, "period_date": "2019-03-31", "organization_id": ward["id"]})
    by_code = client.post(path, json={"value": 2, "period_date": "2019-06-30", "organization_code": ward["code"]})
    assert (by_id.status_code, by_code.status_code) == (201, 201), (by_id.text, by_code.text)
    assert by_id.json()["organization_id"] == by_code.json()["organization_id"] == ward["id"]
    for field, value in (("organization_id", 10**6), ("organization_id", other["id"]), ("organization_code", other["code"])):
        r = client.post(path, json={"value": 3, "period_date": "2019-09-30", field: value})
        assert r.status_code == 422, r.text
        assert any(e["field"] == "organization_id" for e in r.json()["errors"]), r.text
    ward_key = new_key(app, role="reporter", organization_id=ward["id"])
    for field, value in (("organization_id", city["id"]), ("organization_code", city["code"])):
        r = client.post(path, json={"value": 4, "period_date": "2019-12-31", field: value}, headers=bearer(ward_key))
        assert r.status_code == 403, r.text
    r = client.post(path, json={"value": 4, "period_date": "2019-12-31", "organization_id": ward["id"]}, headers=bearer(ward_key))
    assert r.status_code == 201, r.text


def test_hot_route_threads_is_zero_or_more():
    """HOT_ROUTE_THREADS: 0 is the database's default (SQLite 1, PostgreSQL 4), a number sets it, below 0 is refused."""
    from pydantic import ValidationError

    from app.config import Settings
    from app.deps import HotLimiters

    assert HotLimiters("sqlite", Settings(hot_route_threads=0).hot_route_threads).tokens == 1
    assert HotLimiters("postgresql", Settings(hot_route_threads=3).hot_route_threads).tokens == 3
    with pytest.raises(ValidationError, match="hot_route_threads"):
        Settings(hot_route_threads=-1)
