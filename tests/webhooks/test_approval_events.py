"""Approval (issue 14) and webhooks together: the review transitions are events, and an approval that
changes what counts is a target.status_changed, decided on the review's write path."""

from __future__ import annotations

import pytest

from tests.api.helpers import API
from tests.conftest import bearer, new_key
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import deliver, subscribe, verified

TYPES = ["figure.submitted", "figure.approved", "figure.returned", "figure.corrected", "target.status_changed"]


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def w(app, client, make):
    city = make.org()
    ward = make.org(parent_id=city["id"])
    plan = make.plan(city["id"], approval_required=True)  # 2019: over, so statuses are final verdicts
    target = make.target(plan["id"], across_units="sum", comparison="at_least", value=90, unit="ha")
    keys = {
        "reporter": bearer(new_key(app, "reporter", ward["id"], name="reporter@ward")),
        "editor": bearer(new_key(app, "editor", city["id"], name="editor@city")),
    }
    return {"city": city, "ward": ward, "plan": plan, "target": target, "keys": keys}


def send(client, w, value: float) -> dict:
    r = client.post(f"{API}/targets/{w['target']['id']}/submissions", headers=w["keys"]["reporter"],
                    json={"value": value, "period_date": "2019-06-30", "organization_id": w["ward"]["id"]})
    assert r.status_code == 201, r.text
    return r.json()


def received(sub, receiver) -> list[dict]:
    return [verified(sub, x) for x in receiver.received]


def test_submitted_then_approved_moves_the_status(app, client, w, receiver):
    sub = subscribe(client, receiver.url, TYPES)
    figure = send(client, w, 90)
    assert figure["review"] == "submitted"
    deliver(app)
    # Awaiting approval, the figure does not count: the status did not move, so no status event.
    assert [p["type"] for p in received(sub, receiver)] == ["figure.submitted"]

    r = client.post(f"{API}/submissions/{figure['id']}/approve", headers=w["keys"]["editor"], json={"note": "khớp"})
    assert r.status_code == 201, r.text
    deliver(app)
    payloads = received(sub, receiver)[1:]
    assert sorted(p["type"] for p in payloads) == ["figure.approved", "target.status_changed"]
    approved = next(p for p in payloads if p["type"] == "figure.approved")["data"]
    assert approved == {**r.json(), "submission": {**figure, "review": "approved"}}
    changed = next(p for p in payloads if p["type"] == "target.status_changed")["data"]
    now = client.get(f"{API}/targets/{w['target']['id']}/status").json()
    assert changed["status"] == now["status"] == "achieved" and changed["previous_status"] != "achieved"
    assert changed["submission_ids"] == [figure["id"]]


def test_a_returned_figure_is_an_event_and_moves_nothing(app, client, w, receiver):
    sub = subscribe(client, receiver.url, TYPES)
    figure = send(client, w, 95)
    r = client.post(f"{API}/submissions/{figure['id']}/return", headers=w["keys"]["editor"], json={"reason": "sai đơn vị"})
    assert r.status_code == 201, r.text
    deliver(app)
    payloads = received(sub, receiver)  # one worker sends several at once: any order
    assert sorted(p["type"] for p in payloads) == ["figure.returned", "figure.submitted"]
    returned = next(p for p in payloads if p["type"] == "figure.returned")["data"]
    assert returned["reason"] == "sai đơn vị" and returned["submission"]["id"] == figure["id"]
    assert returned["submission"]["review"] == "returned"
