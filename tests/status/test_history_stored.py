"""A target's history from its stored row (issue 17), over HTTP, on both databases.

`GET /targets/{id}/history` keeps its answer in the row of the target's evaluation on that date
(`target_evaluation.history_payload`), under the same fingerprint. The promises: the stored answer
is byte for byte the computed one; every change that changes the history (a new figure, a
correction, a target's edit, the plan, the tree, an approval) is seen at once; `known_at`
reads are computed and never stored; a row refreshed for other figures never keeps an old history,
and one refreshed under the same fingerprint keeps it; a history read that finds no row stores the
target's evaluation as well, which the status routes then send unjudged.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.status import service
from tests.api.helpers import API
from tests.status.conftest import forget, send

AS_OF = "2019-06-30"


def history(client, target_id: int, **params):
    r = client.get(f"{API}/targets/{target_id}/history", params={"as_of": AS_OF, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r


def stored(app) -> dict[int, bool]:
    """target_id -> whether its row of AS_OF carries a history."""
    with app.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT target_id, history_payload FROM target_evaluation WHERE as_of = :d"), {"d": AS_OF})
        return {tid: payload is not None for tid, payload in rows}


@pytest.fixture
def no_computing(monkeypatch):
    """Makes computing a history (and judging a target) fail: what is answered then was read from the table."""

    def refuse(*args, **kwargs):
        raise AssertionError("computed, but the stored answer should have been sent")

    def arm():
        monkeypatch.setattr(service, "_history_of", refuse)
        monkeypatch.setattr(service, "_judge_figures", refuse)

    return arm


def test_the_stored_history_is_byte_for_byte_the_computed_one(app, client, varied, no_computing):
    codes = varied["targets"]
    computed = {}
    for code, tid in codes.items():
        forget(app)
        computed[code] = history(client, tid).content
    forget(app)
    for tid in codes.values():
        history(client, tid)  # stores each
    assert all(stored(app)[tid] for tid in codes.values())
    no_computing()
    for code, tid in codes.items():
        assert history(client, tid).content == computed[code], code
    flow = history(client, codes["FLOW"]).json()
    assert len(flow["points"]) == 26 and flow["points"][-1]["submission_ids"]  # a point per figure date


def test_the_stored_row_is_what_is_sent(app, client, varied):
    level = varied["targets"]["LEVEL"]
    first = history(client, level).json()
    assert first["points"]
    with app.state.engine.begin() as conn:  # what the table holds is what is sent
        from app.status.cache import stored_history

        doctored = stored_history(history(client, level).content.replace(b'"points":[', b'"points":[] ,"was":['))
        conn.execute(text("UPDATE target_evaluation SET history_payload = :h WHERE target_id = :t"), {"h": doctored, "t": level})
    assert b'"was":[' in history(client, level).content
    # known_at is computed: never read from, nor written to, the table
    assert history(client, level, known_at="2100-01-01T00:00:00Z").json()["points"] == first["points"]
    forget(app)
    history(client, level, known_at="2100-01-01T00:00:00Z")
    assert stored(app) == {}


def test_a_read_without_a_row_stores_the_evaluation_too(app, client, varied, no_computing):
    """The history route writes a whole row: the status routes then send it without judging, and it is
    what they compute."""
    codes = varied["targets"]
    status = {}
    for code, tid in codes.items():
        forget(app)
        status[code] = client.get(f"{API}/targets/{tid}/status", params={"as_of": AS_OF}).content
    plan_view = client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).json()
    forget(app)
    for tid in codes.values():
        history(client, tid)
    no_computing()
    for code, tid in codes.items():
        assert client.get(f"{API}/targets/{tid}/status", params={"as_of": AS_OF}).content == status[code], code
    assert client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).json() == plan_view


def test_a_row_stored_by_the_plan_view_gains_the_history_and_keeps_it(app, client, varied, no_computing):
    codes = varied["targets"]
    flow = codes["FLOW"]
    assert client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).status_code == 200
    assert stored(app) and not any(stored(app).values())  # the plan view stores no history
    first = history(client, flow).content
    assert stored(app)[flow]
    # the target's own status completes the same row (same fingerprint): the history stays
    assert client.get(f"{API}/targets/{flow}/status", params={"as_of": AS_OF}).status_code == 200
    assert stored(app)[flow]
    no_computing()
    assert history(client, flow).content == first


def test_a_refresh_for_other_figures_drops_the_old_history(app, client, varied, make):
    flow = varied["targets"]["FLOW"]
    history(client, flow)
    assert stored(app)[flow]
    make.submission(flow, value=500, period_date="2019-06-25", organization_id=varied["ward"])
    # the plan view refreshes the row under the new fingerprint: the old history must not survive it
    assert client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).status_code == 200
    assert stored(app)[flow] is False
    assert history(client, flow).json()["points"][-1]["date"] == "2019-06-25"


def check(app, client, target_id: int, change) -> tuple[dict, dict]:
    """Reads (stores), changes, reads again: the second answer must equal one computed from scratch and
    differ from the first (else the change proved nothing about the fingerprint)."""
    before = history(client, target_id)
    assert stored(app).get(target_id)
    change()
    after = history(client, target_id)
    forget(app)
    assert after.content == history(client, target_id).content
    assert after.json() != before.json(), "the change did not change the history: the test proves nothing"
    return before.json(), after.json()


def test_a_new_figure_is_seen(app, client, varied, make):
    flow = varied["targets"]["FLOW"]
    _, after = check(app, client, flow, lambda: make.submission(flow, value=200, period_date="2019-06-20", organization_id=varied["ward"]))
    assert after["points"][-1]["date"] == "2019-06-20"


def test_a_correction_is_seen(app, client, varied, make):
    flow = varied["targets"]["FLOW"]
    figure = make.submission(flow, value=4, period_date="2019-06-20", organization_id=varied["ward"])

    def change():
        r = client.post(f"{API}/submissions/{figure['id']}/corrections",
                        json={"value": 7, "period_date": "2019-06-20", "organization_id": varied["ward"], "reason": "sai số"})
        assert r.status_code == 201, r.text

    before, after = check(app, client, flow, change)
    assert before["points"][-1]["measured"] != after["points"][-1]["measured"]


def test_a_target_edit_plan_change_and_new_unit_are_seen(app, client, varied, make):
    level, flow = varied["targets"]["LEVEL"], varied["targets"]["FLOW"]

    def edit():
        r = client.patch(f"{API}/targets/{level}", json={"value": 80, "unit": "phần trăm"})
        assert r.status_code == 200, r.text

    _, after = check(app, client, level, edit)
    assert after["unit"] == "phần trăm"

    def shorter_plan():
        r = client.patch(f"{API}/plans/{varied['plan']}", json={"end_date": "2019-06-30"})
        assert r.status_code == 200, r.text

    check(app, client, level, shorter_plan)

    def new_ward_with_a_figure():  # a unit that reports only counts once the tree knows it
        plan = client.get(f"{API}/plans/{varied['plan']}").json()
        ward = make.org(parent_id=plan["organization_id"], is_reporting_unit=True)
        make.submission(flow, value=1, period_date="2019-06-29", organization_id=ward["id"])

    check(app, client, flow, new_ward_with_a_figure)


def test_approvals_are_seen(app, client, approval):
    """The history counts approved figures only (a return leaves it as it was: the figure did not count)."""
    first = send(client, approval, 40, "2019-05-31")
    second = send(client, approval, 30, "2019-06-10")

    def approve(figure):
        r = client.post(f"{API}/submissions/{figure['id']}/approve", headers=approval["keys"]["editor"])
        assert r.status_code == 201, r.text

    before, after = check(app, client, approval["target"], lambda: approve(first))
    assert before["points"] == [] and [p["measured"] for p in after["points"]] == [40]
    _, after = check(app, client, approval["target"], lambda: approve(second))
    assert [p["measured"] for p in after["points"]] == [40, 30]  # the ward's latest level


def test_a_history_computed_while_its_row_was_refreshed_is_not_attached_to_it(app, client, varied, monkeypatch):
    """The history of a fresh row goes in only while the row still has the fingerprint it was computed for."""
    flow = varied["targets"]["FLOW"]
    assert client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).status_code == 200  # a row, no history
    real = service._figures_of

    def and_meanwhile(*args, **kwargs):  # the row refreshed for other figures after the history's fingerprint was read
        got = real(*args, **kwargs)
        with app.state.engine.begin() as conn:
            conn.execute(text("UPDATE target_evaluation SET fingerprint = 'refreshed' WHERE target_id = :t"), {"t": flow})
        return got

    monkeypatch.setattr(service, "_figures_of", and_meanwhile)
    history(client, flow)
    assert stored(app)[flow] is False


def test_an_unreadable_or_other_format_history_is_computed_again(app, client, varied):
    import zlib

    level = varied["targets"]["LEVEL"]
    computed = history(client, level).content
    for doctored in (b"not zlib", b"\x01" + b"not zlib", b"\x00" + zlib.compress(b'{"old":"format"}')):
        with app.state.engine.begin() as conn:
            conn.execute(text("UPDATE target_evaluation SET history_payload = :h WHERE target_id = :t"), {"h": doctored, "t": level})
        assert history(client, level).content == computed
        assert history(client, level).content == computed  # stored again, readable


def test_a_history_too_large_to_store_is_computed_at_each_read(app, client, varied, monkeypatch, no_computing):
    from app.status import cache

    flow, level = varied["targets"]["FLOW"], varied["targets"]["LEVEL"]
    monkeypatch.setattr(cache, "MAX_STORED_HISTORY", len(cache.stored_history(history(client, level).content)))
    forget(app)
    big, small = history(client, flow).content, history(client, level).content  # FLOW's 26 points do not fit
    assert stored(app) == {flow: False, level: True}
    assert client.get(f"{API}/targets/{flow}/status", params={"as_of": AS_OF}).status_code == 200  # the row is complete
    assert history(client, flow).content == big and stored(app)[flow] is False
    no_computing()
    assert history(client, level).content == small


def test_emptying_the_figures_empties_the_stored_answers(app, client, varied):
    """app/maintenance.empty_tables lifts the triggers that count figures on PostgreSQL: the stored answers go too."""
    from app.maintenance import empty_tables

    flow = varied["targets"]["FLOW"]
    assert client.get(f"{API}/targets/{flow}/status", params={"as_of": AS_OF}).json()["submission_count"] == 26
    assert history(client, flow).json()["points"]
    with app.state.engine.begin() as conn:
        empty_tables(conn, ["submission_review", "submission"])
    assert client.get(f"{API}/targets/{flow}/status", params={"as_of": AS_OF}).json()["submission_count"] == 0
    assert history(client, flow).json()["points"] == []


def test_concurrent_computing_reads_hold_one_connection_each(app, client, varied):
    """A history read gives its session's connection back before it writes: as many computing reads at once as
    the pool has connections all answer, and all are stored (two connections each would wait on the pool)."""
    import asyncio

    import httpx
    from sqlalchemy import create_engine

    from app.common.models import json_text

    targets = list(varied["targets"].values())[:3]
    forget(app)
    engine = app.state.engine  # swapped by hand: monkeypatch loses an attribute of Starlette's State on undo
    small = create_engine(engine.url, pool_size=len(targets), max_overflow=0, pool_timeout=2, json_serializer=json_text)
    app.state.engine = small

    async def read_all():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await asyncio.gather(*(c.get(f"{API}/targets/{t}/history", params={"as_of": AS_OF}) for t in targets))

    try:
        answers = asyncio.run(read_all())
    finally:
        app.state.engine = engine
        small.dispose()
    assert [r.status_code for r in answers] == [200] * len(targets)
    assert all(stored(app).get(t) for t in targets)
