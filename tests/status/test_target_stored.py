"""A target's own status from its stored evaluation (issue 17), over HTTP, on both databases.

`GET /targets/{id}/status` reads the row the plan views keep in `target_evaluation`, under the same
fingerprint, and sends the stored (untrimmed) judged part after a head read now. The promises:
the stored answer is byte for byte the computed one; every change that changes the status
(a new figure, a correction, an approval or a return, a target's edit) is seen at once; `known_at`
and `include=submitted` reads are computed and never stored; the plan view and the target's own
status read one row, so they agree.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.status import service
from tests.api.helpers import API
from tests.status.conftest import forget, send

AS_OF = "2019-06-30"


def get(client, target_id: int, **params):
    r = client.get(f"{API}/targets/{target_id}/status", params={"as_of": AS_OF, **params})
    assert r.status_code == 200, r.text
    return r


def stored_payloads(app) -> dict[int, str | None]:
    with app.state.engine.connect() as conn:
        return dict(conn.execute(text("SELECT target_id, target_payload FROM target_evaluation")).all())


@pytest.fixture
def no_judging(monkeypatch):
    """Makes judging a target fail: what is answered then was read from the table."""

    def refuse(*args, **kwargs):
        raise AssertionError("judged, but the stored evaluation should have been sent")

    def arm():
        monkeypatch.setattr(service, "_evaluate_target", refuse)

    return arm


def test_the_stored_answer_is_byte_for_byte_the_computed_one(app, client, varied, no_judging):
    codes = varied["targets"]
    requests = [(code, lang) for code in codes for lang in ("vi", "en")]
    computed = {}
    for code, lang in requests:  # each computes (and stores: both languages come from one row)
        forget(app)
        computed[code, lang] = get(client, codes[code], lang=lang).content
    forget(app)
    for code in codes:
        get(client, codes[code])  # stores every target once, in Vietnamese
    assert all(stored_payloads(app)[tid] for tid in codes.values())
    no_judging()
    for code, lang in requests:
        r = get(client, codes[code], lang=lang)
        assert r.content == computed[code, lang], (code, lang)
        assert r.headers["content-language"] == lang and r.headers["vary"] == "Accept-Language"
        assert r.headers["content-type"] == "application/json"
    flow = get(client, codes["FLOW"]).json()
    assert flow["submission_count"] == 26 and len(flow["submission_ids"]) == 26  # untrimmed: its own status lists all
    assert flow["assessment"]["verdict"] == "not_achieved"
    assert get(client, codes["LEVEL"]).json()["explanation"]["not_counted"]  # the corrected figure, listed with why


def test_the_stored_row_is_what_is_sent(app, client, varied):
    level = varied["targets"]["LEVEL"]
    first = get(client, level).json()
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE target_evaluation SET target_payload = replace(target_payload, :a, :b) WHERE target_id = :t"),
                     {"a": f'"status":"{first["status"]}"', "b": '"status":"no_data"', "t": level})
    assert get(client, level).json()["status"] == "no_data"
    # known_at and include=submitted are computed, never read from (or written to) the table
    assert get(client, level, known_at="2100-01-01T00:00:00Z").json()["status"] == first["status"]
    forget(app)
    get(client, level, known_at="2100-01-01T00:00:00Z")
    assert stored_payloads(app) == {}


def test_the_plan_view_and_the_target_agree_on_one_row(app, client, varied, no_judging):
    codes = varied["targets"]
    own = {code: get(client, tid).json() for code, tid in codes.items()}  # stores every row, with both parts
    no_judging()
    plan = client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF}).json()  # reads them: judges nothing
    for t in plan["targets"]:
        mine = own[t["code"]]
        assert (t["status"], t["measured"], t["message"], t["submission_count"]) == (
            mine["status"], mine["measured"], mine["message"], mine["submission_count"])


def test_the_plan_views_rows_are_completed_by_the_target_route(app, client, varied):
    codes = varied["targets"]
    plan = client.get(f"{API}/plans/{varied['plan']}/status", params={"as_of": AS_OF})
    assert plan.status_code == 200
    assert set(stored_payloads(app).values()) == {None}  # the plan view stores its trimmed part only
    first = get(client, codes["FLOW"]).content
    assert stored_payloads(app)[codes["FLOW"]] is not None
    assert get(client, codes["FLOW"]).content == first


def check(app, client, target_id: int, change, **params) -> tuple[dict, dict]:
    """Reads (stores), changes, reads again: the second answer must equal one computed from scratch and
    differ from the first (else the change proved nothing about the fingerprint)."""
    before = get(client, target_id, **params)
    assert stored_payloads(app).get(target_id)
    change()
    after = get(client, target_id, **params)
    forget(app)
    assert after.content == get(client, target_id, **params).content
    assert after.json() != before.json(), "the change did not change the status: the test proves nothing"
    return before.json(), after.json()


def test_a_new_figure_is_seen(app, client, varied, make):
    flow = varied["targets"]["FLOW"]
    _, after = check(app, client, flow, lambda: make.submission(flow, value=200, period_date="2019-06-20", organization_id=varied["ward"]))
    assert after["submission_count"] == 27


def test_a_correction_is_seen(app, client, varied, make):
    ceiling = varied["targets"]["CEIL"]
    figure = make.submission(ceiling, value=4, period_date="2019-05-31", organization_id=varied["ward"])

    def change():
        r = client.post(f"{API}/submissions/{figure['id']}/corrections",
                        json={"value": 7, "period_date": "2019-05-31", "organization_id": varied["ward"], "reason": "sai số"})
        assert r.status_code == 201, r.text

    _, after = check(app, client, ceiling, change)
    assert any(item["reason"].startswith("superseded") for item in after["explanation"]["not_counted"])


def test_a_target_edit_is_seen(app, client, varied):
    level = varied["targets"]["LEVEL"]

    def change():
        r = client.patch(f"{API}/targets/{level}", json={"value": 80, "unit": "phần trăm"})
        assert r.status_code == 200, r.text

    _, after = check(app, client, level, change)
    assert after["unit"] == "phần trăm" and "phần trăm" in after["message_vi"]


def test_a_changed_plan_or_tree_is_seen(app, client, varied, make):
    level = varied["targets"]["LEVEL"]

    def change():
        r = client.patch(f"{API}/plans/{varied['plan']}", json={"end_date": "2019-06-30"})
        assert r.status_code == 200, r.text

    _, after = check(app, client, level, change)
    assert after["phase"] == "final"

    def new_ward():
        plan = client.get(f"{API}/plans/{varied['plan']}").json()
        make.org(parent_id=plan["organization_id"], is_reporting_unit=True)

    before, after = check(app, client, varied["targets"]["FLOW"], new_ward)  # summed across units: a new unit is expected
    assert after["coverage"]["expected"] == before["coverage"]["expected"] + 1


def test_an_approval_is_seen(app, client, approval):
    figure = send(client, approval, 40, "2019-05-31")

    def change():
        r = client.post(f"{API}/submissions/{figure['id']}/approve", headers=approval["keys"]["editor"])
        assert r.status_code == 201, r.text

    before, after = check(app, client, approval["target"], change)
    assert before["measured"] is None and after["measured"] == 40


def test_a_return_is_seen(app, client, approval):
    figure = send(client, approval, 40, "2019-05-31")

    def change():
        r = client.post(f"{API}/submissions/{figure['id']}/return", headers=approval["keys"]["editor"],
                        json={"reason": "Số liệu chưa khớp"})
        assert r.status_code == 201, r.text

    before, after = check(app, client, approval["target"], change)
    reasons = [item["reason"] for item in after["explanation"]["not_counted"]]
    assert before["explanation"]["not_counted"] and reasons and reasons != [
        item["reason"] for item in before["explanation"]["not_counted"]]


def test_include_submitted_is_computed_and_not_stored(app, client, approval):
    send(client, approval, 40, "2019-05-31")
    provisional = get(client, approval["target"], include="submitted").json()
    assert provisional["measured"] == 40 and stored_payloads(app) == {}
    plain = get(client, approval["target"]).json()  # stored now
    assert plain["measured"] is None
    assert get(client, approval["target"], include="submitted").json() == provisional
