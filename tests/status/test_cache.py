"""The plan status's stored evaluations (app/status/cache.py), over HTTP, on both databases.

The one promise: a plan status served from `target_evaluation` equals one computed from
scratch, whatever changed in between. Each test reads the plan status (which stores every
target's evaluation), changes one thing, reads again, then empties the table and reads a
third time (computed from scratch): the second answer must equal the third, and must differ
from the first (else the change proved nothing about the fingerprint).
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.status import cache
from tests.api.helpers import API

AS_OF = "2019-06-30"


@pytest.fixture
def scene(make):
    """A 2019 plan with three targets: a level (at least 90 %), a flow (sum, at least 1000 t) and a ceiling."""
    org = make.org()
    plan = make.plan(org["id"])
    level = make.target(plan["id"], code="LEVEL")
    flow = make.target(plan["id"], code="FLOW", unit="tấn", value=1000, aggregation="sum")
    ceiling = make.target(plan["id"], code="CEIL", unit="%", comparison="at_most", value=5)
    figures = {
        "level": make.submission(level["id"], value=85, period_date="2019-03-31", organization_id=org["id"]),
        "flow": make.submission(flow["id"], value=300, period_date="2019-03-31", organization_id=org["id"]),
        "ceiling": make.submission(ceiling["id"], value=4.5, period_date="2019-03-31", organization_id=org["id"]),
    }
    return {"org": org["id"], "plan": plan["id"], "level": level["id"], "flow": flow["id"], "ceiling": ceiling["id"], **{
        f"{k}_figure": v["id"] for k, v in figures.items()}}


def plan_status(client, scene, **params) -> dict:
    r = client.get(f"{API}/plans/{scene['plan']}/status", params={"as_of": AS_OF, **params})
    assert r.status_code == 200, r.text
    return r.json()


def stored(app) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM target_evaluation")).scalar_one()


def from_scratch(app, client, scene) -> dict:
    with app.state.engine.begin() as conn:
        conn.execute(text("DELETE FROM target_evaluation"))
    return plan_status(client, scene)


def check(app, client, scene, change) -> tuple[dict, dict]:
    """Reads (stores), changes, reads again; the second read must equal a computation from scratch."""
    before = plan_status(client, scene)
    assert stored(app) == len(before["targets"])
    change()
    after = plan_status(client, scene)
    assert after == from_scratch(app, client, scene)
    assert after != before, "the change did not change the status: the test proves nothing"
    return before, after


def by_code(answer: dict) -> dict[str, dict]:
    return {t["code"]: t for t in answer["targets"]}


def test_stored_evaluations_are_used_when_nothing_changed(app, client, scene):
    first = plan_status(client, scene)
    assert stored(app) == 3
    # Tamper with a stored row: served as stored, which shows the table is read...
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE target_evaluation SET payload = replace(payload, 'on_track', 'off_track') WHERE target_id = :t"),
                     {"t": scene["ceiling"]})
    tampered = plan_status(client, scene)
    assert by_code(first)["CEIL"]["status"] == "on_track"
    assert by_code(tampered)["CEIL"]["status"] == "off_track"
    # ...and a new engine version makes every stored row stale.
    cache_version = cache.ENGINE_VERSION
    try:
        cache.ENGINE_VERSION = cache_version + "-next"
        assert plan_status(client, scene) == first
    finally:
        cache.ENGINE_VERSION = cache_version


def test_known_at_is_never_served_from_the_table(app, client, scene):
    plan_status(client, scene)
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE target_evaluation SET payload = replace(payload, 'on_track', 'off_track')"))
    later = plan_status(client, scene, known_at="2100-01-01T00:00:00Z")
    assert by_code(later)["CEIL"]["status"] == "on_track"
    assert later["known_at"] is not None


def test_a_new_figure_is_seen(app, client, scene, make):
    check(app, client, scene, lambda: make.submission(scene["flow"], value=200, period_date="2019-04-30", organization_id=scene["org"]))


def test_a_correction_is_seen(app, client, scene):
    def change():
        r = client.post(f"{API}/submissions/{scene['level_figure']}/corrections",
                        json={"value": 95, "period_date": "2019-03-31", "organization_id": scene["org"], "reason": "số chính thức"})
        assert r.status_code == 201, r.text

    _, after = check(app, client, scene, change)
    assert by_code(after)["LEVEL"]["measured"] == 95


def test_a_retraction_is_seen(app, client, scene):
    def change():
        r = client.post(f"{API}/submissions/{scene['ceiling_figure']}/retraction", json={"reason": "gửi nhầm"})
        assert r.status_code == 201, r.text

    _, after = check(app, client, scene, change)
    assert by_code(after)["CEIL"]["status"] == "no_data"


def test_a_changed_target_is_seen(app, client, scene):
    def change():
        r = client.patch(f"{API}/targets/{scene['level']}", json={"value": 80})
        assert r.status_code == 200, r.text

    check(app, client, scene, change)


def test_a_changed_unit_or_title_is_seen_in_the_messages(app, client, scene):
    def change():
        r = client.patch(f"{API}/targets/{scene['flow']}", json={"unit": "nghìn tấn", "title": "Sản lượng"})
        assert r.status_code == 200, r.text

    _, after = check(app, client, scene, change)
    assert "nghìn tấn" in by_code(after)["FLOW"]["message_vi"]


def test_changed_judging_settings_are_seen(app, client, scene):
    def change():
        r = client.patch(f"{API}/plans/{scene['plan']}", json={"on_track_from": 0.5, "at_risk_from": 0.2})
        assert r.status_code == 200, r.text

    check(app, client, scene, change)


def test_a_changed_period_is_seen(app, client, scene):
    def change():
        r = client.patch(f"{API}/plans/{scene['plan']}", json={"end_date": "2019-06-30"})
        assert r.status_code == 200, r.text

    _, after = check(app, client, scene, change)
    assert after["phase"] == "final"


def test_an_archived_target_leaves_and_a_new_one_comes(app, client, scene, make):
    def change():
        assert client.delete(f"{API}/targets/{scene['ceiling']}").status_code == 200
        make.target(scene["plan"], code="NEW")

    _, after = check(app, client, scene, change)
    assert sorted(by_code(after)) == ["FLOW", "LEVEL", "NEW"]


def test_an_assessment_is_read_live(app, client, scene):
    def change():
        r = client.post(f"{API}/targets/{scene['level']}/assessments",
                        json={"verdict": "achieved", "reason": "Ban Thường vụ đánh giá", "assessed_by": "BTV", "assessed_on": "2019-07-01"})
        assert r.status_code == 201, r.text

    _, after = check(app, client, scene, change)
    assert by_code(after)["LEVEL"]["assessment"]["verdict"] == "achieved"


def test_a_deleted_target_takes_its_stored_rows_with_it(app, client, scene, make):
    bare = make.target(scene["plan"], code="BARE")  # no figures: DELETE removes it for good
    plan_status(client, scene)
    assert stored(app) == 4
    assert client.delete(f"{API}/targets/{bare['id']}").status_code in (200, 204)
    assert stored(app) == 3


def test_a_failed_store_does_not_fail_the_read(app, client, scene, monkeypatch, caplog):
    def broken(bind, values):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(cache, "_upsert", broken)
    with caplog.at_level(logging.WARNING, logger="app.status.cache"):
        answer = plan_status(client, scene)
    assert len(answer["targets"]) == 3 and stored(app) == 0
    assert "could not store 3 target evaluations" in caplog.text
    monkeypatch.undo()
    assert plan_status(client, scene) == answer and stored(app) == 3


def test_the_plan_views_list_the_20_latest_figures_and_count_them_all(app, client, scene, make):
    ids = [
        make.submission(scene["flow"], value=1, period_date=f"2019-05-{day:02d}", organization_id=scene["org"])["id"]
        for day in range(1, 26)
    ]
    everything = [scene["flow_figure"], *ids]
    own = client.get(f"{API}/targets/{scene['flow']}/status", params={"as_of": AS_OF}).json()
    assert (own["submission_ids"], own["submission_count"]) == (everything, 26)
    for answer in (plan_status(client, scene), plan_status(client, scene)):  # computed, then stored
        flow = by_code(answer)["FLOW"]
        assert (flow["submission_ids"], flow["submission_count"], flow["measured"]) == (everything[-20:], 26, 325)
        assert by_code(answer)["LEVEL"]["submission_count"] == 1
    orgs = client.get(f"{API}/plans/{scene['plan']}/status/organizations", params={"as_of": AS_OF}).json()
    flow = {t["code"]: t for t in orgs["organizations"][0]["targets"]}["FLOW"]
    assert (flow["submission_count"], "submission_ids" in flow) == (26, False)  # the by-organisation view counts them


def test_the_answer_written_piece_by_piece_is_what_the_model_writes(app, client, scene):
    """plan_status_json splices stored judged parts after each target's head: byte for byte PlanStatus's JSON."""
    from app.status.models import PlanStatus

    r = client.post(f"{API}/targets/{scene['flow']}/assessments",
                    json={"verdict": "not_achieved", "reason": "Chưa đạt", "assessed_by": "BTV", "assessed_on": "2019-07-01"})
    assert r.status_code == 201, r.text
    answers = []
    for params in ({}, {}, {"lang": "en"}, {"known_at": "2019-07-01T00:00:00+07:00"}):  # computed, stored, stored in English, known_at
        r = client.get(f"{API}/plans/{scene['plan']}/status", params={"as_of": AS_OF, **params})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert PlanStatus.model_validate_json(r.content).model_dump_json().encode() == r.content, params
        answers.append(by_code(r.json())["FLOW"])
    computed, stored_vi, stored_en, known = answers
    assert computed == stored_vi and computed["assessment"]["verdict"] == "not_achieved"
    assert stored_vi["message"] == stored_vi["message_vi"] and stored_en["message"] == stored_en["message_en"] != stored_vi["message"]
    assert known["assessment"] is None and known["known_at"] is not None  # recorded after that moment


def test_a_figure_committed_out_of_id_order_is_seen(app, client, scene, backend):
    """PostgreSQL hands out ids from a sequence: a figure with a lower id may commit after one with a
    higher id. A read between the two commits stores an evaluation whose largest id is already the
    higher one; the lower one's commit must still make it stale (target_figures.version)."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids commit in order")
    insert = text(
        "INSERT INTO submission (id, target_id, organization_id, period_date, value, is_estimate, recorded_at, kind, reason, "
        "note, evidence_url) VALUES (:id, :t, :org, :day, :v, false, now(), 'original', '', '', '')"
    )
    with app.state.engine.connect() as late:  # takes the lower id first, commits last
        lower = late.execute(text("SELECT nextval(pg_get_serial_sequence('submission', 'id'))")).scalar_one()
        late.commit()
        with app.state.engine.begin() as early:
            higher = early.execute(text("SELECT nextval(pg_get_serial_sequence('submission', 'id'))")).scalar_one()
            early.execute(insert, {"id": higher, "t": scene["flow"], "org": scene["org"], "day": date(2019, 5, 31), "v": 100})
        assert lower < higher
        between = plan_status(client, scene)  # stores the flow target's evaluation with max id = higher
        late.execute(insert, {"id": lower, "t": scene["flow"], "org": scene["org"], "day": date(2019, 4, 30), "v": 250})
        late.commit()
    after = plan_status(client, scene)
    assert after == from_scratch(app, client, scene)
    assert by_code(after)["FLOW"]["measured"] == by_code(between)["FLOW"]["measured"] + 250


def test_the_stored_lines_come_back_whatever_the_step():
    """The roll-up by organisation is stored compressed and read back line by line (issue 17: never whole);
    lines cut across the decompression's steps come back intact, and an empty last line too."""
    from app.status.cache import compress_lines, stored_lines as _lines

    lines = [b'{"envelope":1}', *(f'{{"org":{n},"name":"\\u0110\\u01a1n v\\u1ecb {n}"}}'.encode() * (n % 5 + 1) for n in range(300)), b""]
    stored = compress_lines(lines)
    for step in (1, 7, 64, 1000, 1 << 20):
        assert list(_lines(stored, step)) == lines[:-1], step  # a trailing empty line is not a line
    assert list(_lines(compress_lines([b"one"]), 2)) == [b"one"]


def test_a_plan_without_targets_is_written_as_the_model_writes_it(client, make):
    """plan_json joins its pieces once (issue 17): with no target the list closes where the envelope's did."""
    from app.status.models import PlanStatus

    plan = make.plan(make.org()["id"])
    r = client.get(f"{API}/plans/{plan['id']}/status", params={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    assert PlanStatus.model_validate_json(r.content).model_dump_json().encode() == r.content
    assert r.json()["targets"] == [] and r.json()["total"] == 0


@pytest.mark.parametrize("step", ["admission", "upsert"])
def test_a_stored_evaluation_does_not_wait_behind_a_lock_queued_after_the_callers_read(app, client, scene, backend, caplog, step):
    """The stored evaluations are written on a connection of their own while the caller's session may still hold its
    read. A lock requested between the two (here LOCK TABLE, as a TRUNCATE or a migration's ALTER would) waits for that
    read, and the read's thread waits for the write: before app/db.py DISPOSABLE_LOCK_TIMEOUT the three waited for
    ever (the test suite hung so on 2026-12-07). Now each step gives up, is logged, and the lock is granted after:
    the admission's read (`wait_briefly`), and the upsert itself (given an admission, as a caller that read a stored
    row of the date does: no admission read before it)."""
    import threading
    import time

    from app.status.models import Status

    if backend != "postgresql":
        pytest.skip("SQLite's readers take no lock that a writer queues behind")
    plan_status(client, scene)  # stores the three evaluations
    engine = app.state.engine
    with engine.connect() as conn:
        rows = [
            (r.target_id, r.fingerprint, cache.Stored(Status(r.status), r.message_vi, r.message_en, r.payload.encode()))
            for r in conn.execute(text("SELECT * FROM target_evaluation"))
        ]
    assert len(rows) == 3
    admission = None if step == "admission" else cache.Admission(scene["plan"], new_date=False)
    locker_done = threading.Event()

    def lock() -> None:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE target_evaluation IN ACCESS EXCLUSIVE MODE"))
            conn.rollback()
        locker_done.set()

    # this schema's table (the tests' private schema is on the search path), not another run's of the same name
    waiting = text("SELECT count(*) FROM pg_locks WHERE relation = 'target_evaluation'::regclass AND NOT granted")
    reader = engine.connect()
    try:
        reader.execute(text("SELECT count(*) FROM target_evaluation")).scalar_one()  # the caller's read, held open
        locker = threading.Thread(target=lock, daemon=True)
        locker.start()
        with engine.connect() as conn:
            deadline = time.monotonic() + 10
            while not conn.execute(waiting).scalar_one() and time.monotonic() < deadline:
                conn.rollback()
                time.sleep(0.02)
            assert conn.execute(waiting).scalar_one(), "the lock request did not queue"
        writer = threading.Thread(target=cache.write, args=(engine, date(2019, 6, 30), rows, admission), daemon=True)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="app.status.cache"):
            writer.start()
            writer.join(timeout=20)
        finished = not writer.is_alive()
    finally:  # the caller's read ends whatever happened: the lock is granted, then released (never a hung suite)
        reader.rollback()
        reader.close()
    assert locker_done.wait(timeout=20)
    writer.join(timeout=20)
    assert finished, f"the write ({step}) waited behind the lock queued after the caller's read"
    assert time.monotonic() - started < 15
    assert "could not store 3 target evaluations" in caplog.text
