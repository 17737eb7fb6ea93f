"""Issue 12, item 2: anonymous status reads with ever new dates neither grow the database nor write."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.status import cache
from tests.api.helpers import API

TARGETS = 3


@pytest.fixture
def plan(make):
    plan = make.plan()
    for i in range(TARGETS):
        target = make.target(plan["id"], value=90 + i)
        make.submission(target["id"], value=50 + i, period_date="2019-06-30", organization_id=plan["organization_id"])
    return plan


def stored_rows(app) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(cache.TABLE)).scalar_one()


class Writes:
    """Counts statements that write target_evaluation, on the app's engine."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        if "TARGET_EVALUATION" in text and text.startswith(("INSERT", "DELETE", "UPDATE")):
            self.count += 1


def read(anonymous, plan_id: int, day: date):
    r = anonymous.get(f"{API}/plans/{plan_id}/status", params={"as_of": day.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_thousand_new_dates_store_a_bounded_number_of_rows(app, anonymous, plan, capsys):
    first = date(2019, 1, 1)
    for i in range(1000):
        read(anonymous, plan["id"], first + timedelta(days=i))
    rows = stored_rows(app)
    with capsys.disabled():
        print(f"\nrows stored after 1,000 anonymous reads with distinct dates ({TARGETS} targets): {rows}")
    assert rows <= cache.MAX_DATES_PER_PLAN * TARGETS


def test_a_flood_of_new_dates_writes_nothing_once_the_plan_is_full(app, anonymous, plan):
    first = date(2019, 1, 1)
    for i in range(cache.MAX_DATES_PER_PLAN):  # these are admitted: the plan has room
        read(anonymous, plan["id"], first + timedelta(days=i))
    assert stored_rows(app) == cache.MAX_DATES_PER_PLAN * TARGETS
    with Writes(app.state.engine) as writes:
        answers = [read(anonymous, plan["id"], first + timedelta(days=100 + i)) for i in range(50)]
        assert writes.count == 0
        # a stored date is read from the store: no write either
        read(anonymous, plan["id"], first)
        assert writes.count == 0
    assert all(a["total"] == TARGETS for a in answers)  # every reader still gets its answer


def test_a_date_read_again_later_evicts_the_least_recently_computed(app, anonymous, plan, monkeypatch):
    first = date(2019, 1, 1)
    for i in range(cache.MAX_DATES_PER_PLAN):
        read(anonymous, plan["id"], first + timedelta(days=i))
    monkeypatch.setattr(cache, "ADMIT_EVERY", timedelta(0))  # as if the stored dates were all old
    newcomer = first + timedelta(days=200)
    before = read(anonymous, plan["id"], newcomer)
    with app.state.engine.connect() as conn:
        dates = set(conn.execute(select(cache.TABLE.c.as_of).distinct()).scalars())
    assert len(dates) == cache.MAX_DATES_PER_PLAN and newcomer in dates and first not in dates
    with Writes(app.state.engine) as writes:
        assert read(anonymous, plan["id"], newcomer) == before  # served from the store
        assert writes.count == 0


def test_plan_statuses_beyond_the_workers_cap_wait_then_503_while_writes_go_through(app, anonymous, client, plan,
                                                                                    monkeypatch):
    """At most MAX_CONCURRENT_STATUS plan statuses are computed at once per worker (app/slots.py): readers,
    however many, use that much of the worker's CPU; a write takes no slot and never queues behind them."""
    from app import slots as slots_module

    monkeypatch.setattr(slots_module, "STATUS_WAIT_SECONDS", 0.2)
    slots = slots_module.slots_of(app, "status")
    taken = 0
    while slots.try_take():  # as if that many statuses were being computed
        taken += 1
    assert taken == app.state.settings.max_concurrent_status
    try:
        started = time.perf_counter()
        r = anonymous.get(f"{API}/plans/{plan['id']}/status", params={"as_of": "2019-07-01"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
        assert time.perf_counter() - started >= 0.2
        target = client.get(f"{API}/plans/{plan['id']}/targets").json()["items"][0]
        body = {"value": 1, "period_date": "2019-07-01", "organization_id": plan["organization_id"]}
        assert client.post(f"{API}/targets/{target['id']}/submissions", json=body).status_code == 201
    finally:
        for _ in range(taken):
            slots.give_back()
    assert anonymous.get(f"{API}/plans/{plan['id']}/status", params={"as_of": "2019-07-01"}).status_code == 200
