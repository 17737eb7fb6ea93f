"""Approval of figures (issue 14), over HTTP, on both databases.

The world: province > city > ward, and a sibling city; the city's plan requires approval. A
ward reporter's figure is `submitted` and does not count until an editor above the ward
approves it; a returned figure does not count and comes back, corrected, as `submitted`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.engine.combine import AWAITING_APPROVAL, RETURNED
from app.submissions.models import SubmissionReview
from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key


@pytest.fixture
def w(app, client, make):
    """Organisations, the city's plan with approval required (one 'at least 90' target), and keys."""
    province = make.org()
    city = make.org(parent_id=province["id"])
    ward = make.org(parent_id=city["id"])
    sibling = make.org(parent_id=province["id"])
    plan = make.plan(city["id"], approval_required=True)
    target = make.target(plan["id"], across_units="sum", comparison="at_least", value=90, unit="ha")
    keys = {
        f"{role}@{name}": bearer(new_key(app, role, org["id"], name=f"{role}@{name}"))
        for role in ("viewer", "reporter", "editor")
        for name, org in (("province", province), ("city", city), ("ward", ward), ("sibling", sibling))
    }
    return {"province": province, "city": city, "ward": ward, "sibling": sibling, "plan": plan, "target": target, "keys": keys}


def send(client, w, who: str, value: float = 40, org: str = "ward", day: str = "2019-06-30", **kw):
    r = client.post(f"{API}/targets/{w['target']['id']}/submissions", headers=w["keys"][who],
                    json={"value": value, "period_date": day, "organization_id": w[org]["id"], **kw})
    assert r.status_code == 201, r.text
    return r.json()


def approve(client, w, figure_id: int, who: str = "editor@city", **kw):
    return client.post(f"{API}/submissions/{figure_id}/approve", headers=w["keys"][who], **kw)


def return_(client, w, figure_id: int, reason: str = "Số liệu chưa khớp", who: str = "editor@city"):
    return client.post(f"{API}/submissions/{figure_id}/return", headers=w["keys"][who], json={"reason": reason})


def target_status(client, w, **params) -> dict:
    r = client.get(f"{API}/targets/{w['target']['id']}/status", params={"as_of": "2019-12-31", **params})
    assert r.status_code == 200, r.text
    return r.json()


def plan_target(client, w, **params) -> dict:
    r = client.get(f"{API}/plans/{w['plan']['id']}/status", params={"as_of": "2019-12-31", **params})
    assert r.status_code == 200, r.text
    (target,) = r.json()["targets"]
    return target


def forbidden(r) -> dict:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


def reasons(status: dict) -> dict[int, str]:
    return {item["submission_id"]: item["reason"] for item in status["explanation"]["not_counted"]}


# ------------------------------------------------------------------ the setting


def test_without_the_setting_every_figure_counts_as_before(client, make, w):
    plan = make.plan(w["city"]["id"])
    assert plan["approval_required"] is False
    target = make.target(plan["id"], across_units="sum")
    r = client.post(f"{API}/targets/{target['id']}/submissions", headers=w["keys"]["reporter@ward"],
                    json={"value": 95, "period_date": "2019-06-30", "organization_id": w["ward"]["id"]})
    assert r.status_code == 201 and r.json()["review"] == "approved", r.text
    status = client.get(f"{API}/targets/{target['id']}/status", params={"as_of": "2019-12-31"}).json()
    assert status["measured"] == 95
    pending = client.get(f"{API}/plans/{plan['id']}/submissions/pending").json()
    assert pending["total"] == 0 and pending["items"] == []


def test_a_reporters_figure_awaits_approval_and_does_not_count(client, w):
    figure = send(client, w, "reporter@ward", 40)
    assert figure["review"] == "submitted"
    status = target_status(client, w)
    assert status["measured"] is None
    assert reasons(status) == {figure["id"]: AWAITING_APPROVAL}
    in_plan = plan_target(client, w)
    assert in_plan["explanation"]["not_counted_by_reason"] == {"awaiting approval": 1}
    # The provisional picture counts it and says so.
    provisional = target_status(client, w, include="submitted")
    assert provisional["measured"] == 40
    assert provisional["explanation"]["awaiting_approval"] == [figure["id"]]
    assert plan_target(client, w, include="submitted")["explanation"]["awaiting_approval"] == [figure["id"]]
    # ... without changing the stored plain status
    assert plan_target(client, w)["measured"] is None
    assert client.get(f"{API}/submissions/{figure['id']}").json()["review"] == "submitted"


def test_editors_and_admins_of_the_plans_organisation_are_approved_on_entry(client, w):
    assert send(client, w, "editor@city", 10)["review"] == "approved"
    assert send(client, w, "editor@province", 20, day="2019-07-31")["review"] == "approved"
    r = client.post(f"{API}/targets/{w['target']['id']}/submissions",  # the admin client
                    json={"value": 30, "period_date": "2019-08-31", "organization_id": w["ward"]["id"]})
    assert r.json()["review"] == "approved"
    # an editor of a unit below the plan's organisation is not: its figure awaits the city
    assert send(client, w, "editor@ward", 5, day="2019-09-30")["review"] == "submitted"
    assert target_status(client, w)["measured"] == 30  # the ward's latest approved level


# ------------------------------------------------------------------ approve and return


def test_an_editor_above_the_unit_approves_and_the_stored_status_follows(client, w):
    figure = send(client, w, "reporter@ward", 95)
    assert plan_target(client, w)["measured"] is None  # computed and stored
    r = approve(client, w, figure["id"])
    assert r.status_code == 201, r.text
    review = r.json()
    assert (review["submission_id"], review["action"], review["reviewed_by"]) == (figure["id"], "approved", "editor@city")
    # The stored evaluation was fingerprinted before the approval: it must not be served again.
    assert plan_target(client, w)["measured"] == 95
    assert target_status(client, w)["measured"] == 95
    detail = client.get(f"{API}/submissions/{figure['id']}").json()
    assert detail["review"] == "approved" and [x["action"] for x in detail["reviews"]] == ["approved"]
    listed = client.get(f"{API}/targets/{w['target']['id']}/submissions").json()["items"]
    assert [x["review"] for x in listed] == ["approved"]


def test_who_may_approve(client, w):
    figure = send(client, w, "reporter@ward")
    for who in ("reporter@city", "viewer@province", "editor@ward", "editor@sibling"):
        forbidden(approve(client, w, figure["id"], who))
    assert client.post(f"{API}/submissions/{figure['id']}/approve").status_code == 201  # an admin anywhere


def test_a_key_never_approves_its_own_figure(client, w, make):
    # The city's editor reports for the ward on the PROVINCE's plan: not an editor of that plan's
    # organisation, so the figure is submitted, and the city is above the ward, yet it is its own.
    plan = make.plan(w["province"]["id"], approval_required=True)
    target = make.target(plan["id"])
    r = client.post(f"{API}/targets/{target['id']}/submissions", headers=w["keys"]["editor@city"],
                    json={"value": 1, "period_date": "2019-06-30", "organization_id": w["ward"]["id"]})
    assert r.json()["review"] == "submitted"
    body = forbidden(approve(client, w, r.json()["id"], "editor@city"))
    assert "own figure" in body["detail"]
    forbidden(return_(client, w, r.json()["id"], who="editor@city"))
    assert approve(client, w, r.json()["id"], "editor@province").status_code == 201


def test_a_figure_is_reviewed_once(client, w):
    figure = send(client, w, "reporter@ward")
    assert approve(client, w, figure["id"]).status_code == 201
    assert_problem(approve(client, w, figure["id"]), 409)
    assert_problem(return_(client, w, figure["id"]), 409)
    approved_on_entry = send(client, w, "editor@city", org="city")
    assert_problem(approve(client, w, approved_on_entry["id"], "editor@province"), 409)


def test_returned_figures_do_not_count_and_come_back_corrected_as_submitted(client, w):
    figure = send(client, w, "reporter@ward", 40)
    assert_problem(return_(client, w, figure["id"], reason="   "), 422, fields={"reason"})
    assert_problem(client.post(f"{API}/submissions/{figure['id']}/return", headers=w["keys"]["editor@city"], json={}),
                   422, fields={"reason"})
    r = return_(client, w, figure["id"], reason="Thiếu số liệu xã B")
    assert r.status_code == 201 and r.json()["action"] == "returned", r.text
    assert reasons(target_status(client, w)) == {figure["id"]: RETURNED}
    assert target_status(client, w, include="submitted")["measured"] is None  # returned: never counts
    returned = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", params={"state": "returned"},
                          headers=w["keys"]["viewer@city"]).json()
    assert [(x["id"], x["returned_reason"], x["review"]) for x in returned["items"]] == [
        (figure["id"], "Thiếu số liệu xã B", "returned")]
    # The reporter corrects it: a new version, submitted again.
    r = client.post(f"{API}/submissions/{figure['id']}/corrections", headers=w["keys"]["reporter@ward"],
                    json={"value": 96, "period_date": "2019-06-30", "organization_id": w["ward"]["id"], "reason": "bổ sung xã B"})
    assert r.status_code == 201 and r.json()["review"] == "submitted", r.text
    corrected = r.json()
    pending = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers=w["keys"]["viewer@city"]).json()
    assert [x["id"] for x in pending["items"]] == [corrected["id"]]
    assert approve(client, w, corrected["id"]).status_code == 201
    assert target_status(client, w)["measured"] == 96
    history = client.get(f"{API}/submissions/{figure['id']}").json()
    assert [(v["id"], v["review"]) for v in history["history"]] == [(figure["id"], "returned"), (corrected["id"], "approved")]
    assert [(x["submission_id"], x["action"]) for x in history["reviews"]] == [
        (figure["id"], "returned"), (corrected["id"], "approved")]


def test_only_the_current_version_is_reviewed(client, w):
    figure = send(client, w, "reporter@ward", 40)
    newer = client.post(f"{API}/submissions/{figure['id']}/corrections", headers=w["keys"]["reporter@ward"],
                        json={"value": 50, "period_date": "2019-06-30", "organization_id": w["ward"]["id"], "reason": "sửa"}).json()
    body = assert_problem(approve(client, w, figure["id"]), 409)
    assert f"submission {newer['id']}" in body["detail"]
    retraction = client.post(f"{API}/submissions/{newer['id']}/retraction", headers=w["keys"]["reporter@ward"],
                             json={"reason": "gửi nhầm"})
    assert retraction.status_code == 201 and retraction.json()["review"] == "approved"  # a withdrawal needs no approval
    assert_problem(approve(client, w, newer["id"]), 409)
    assert target_status(client, w, include="submitted")["measured"] is None


def test_closed_plans_take_reviews_archived_ones_do_not(client, w, make):
    figure = send(client, w, "reporter@ward", 95)
    other = send(client, w, "reporter@ward", 10, day="2019-03-31")
    assert client.patch(f"{API}/plans/{w['plan']['id']}", json={"state": "closed"}).status_code == 200
    assert approve(client, w, figure["id"]).status_code == 201  # an editor, as a closed plan's corrections need
    forbidden(approve(client, w, other["id"], "reporter@city"))
    assert client.delete(f"{API}/plans/{w['plan']['id']}").status_code == 200  # archived: it has figures
    assert_problem(return_(client, w, other["id"]), 409)


def test_known_at_sees_the_review_state_of_its_moment(client, w):
    figure = send(client, w, "reporter@ward", 95)
    before = datetime.now(UTC).isoformat()
    assert approve(client, w, figure["id"]).status_code == 201
    assert target_status(client, w, known_at=before)["measured"] is None
    assert target_status(client, w)["measured"] == 95


def test_turning_the_setting_off_counts_every_figure(client, w):
    send(client, w, "reporter@ward", 95)
    assert plan_target(client, w)["measured"] is None
    assert client.patch(f"{API}/plans/{w['plan']['id']}", json={"approval_required": False}).status_code == 200
    assert plan_target(client, w)["measured"] == 95
    assert client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending").json()["total"] == 0


def test_history_counts_approved_figures(client, w):
    first = send(client, w, "reporter@ward", 30, day="2019-03-31")
    send(client, w, "reporter@ward", 60, day="2019-06-30")
    assert approve(client, w, first["id"]).status_code == 201
    points = client.get(f"{API}/targets/{w['target']['id']}/history", params={"as_of": "2019-12-31"}).json()["points"]
    assert [(p["date"], p["measured"]) for p in points] == [("2019-03-31", 30)]


# ------------------------------------------------------------------ the inbox


def test_the_inboxes_count_per_plan_and_per_organisation(client, w, make):
    a = send(client, w, "reporter@ward", 1, day="2019-03-31")
    b = send(client, w, "reporter@ward", 2, day="2019-04-30")
    c = send(client, w, "reporter@city", 3, org="city", day="2019-05-31")
    send(client, w, "editor@city", 4, org="city", day="2019-06-30")  # approved on entry: not pending
    other_plan = make.plan(w["province"]["id"], approval_required=True)
    other_target = make.target(other_plan["id"])
    d = client.post(f"{API}/targets/{other_target['id']}/submissions", headers=w["keys"]["reporter@ward"],
                    json={"value": 5, "period_date": "2019-06-30", "organization_id": w["ward"]["id"]}).json()
    draft = make.plan(w["province"]["id"], approval_required=True, state="draft")
    e = client.post(f"{API}/targets/{make.target(draft['id'])['id']}/submissions", headers=w["keys"]["reporter@ward"],
                    json={"value": 6, "period_date": "2019-06-30", "organization_id": w["ward"]["id"]})
    assert e.status_code == 404  # the ward may not even see the province's draft

    page = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers=w["keys"]["editor@city"]).json()
    assert page["total"] == 3 and [x["id"] for x in page["items"]] == [a["id"], b["id"], c["id"]]
    assert {x["code"]: x["count"] for x in page["by_organization"]} == {w["ward"]["code"]: 2, w["city"]["code"]: 1}
    assert page["by_plan"] == [{"id": w["plan"]["id"], "code": w["plan"]["code"], "count": 3}]
    assert page["items"][0]["target_code"] == w["target"]["code"] and page["items"][0]["plan_id"] == w["plan"]["id"]
    paged = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", params={"limit": 1, "offset": 1},
                       headers=w["keys"]["editor@city"]).json()
    assert (paged["total"], [x["id"] for x in paged["items"]]) == (3, [b["id"]])

    # The city's office inbox: its own and its units' figures, across plans.
    inbox = client.get(f"{API}/organizations/{w['city']['id']}/submissions/pending", headers=w["keys"]["viewer@city"]).json()
    assert sorted(x["id"] for x in inbox["items"]) == sorted([a["id"], b["id"], c["id"], d["id"]])
    assert {x["code"]: x["count"] for x in inbox["by_plan"]} == {w["plan"]["code"]: 3, other_plan["code"]: 1}
    ward_inbox = client.get(f"{API}/organizations/{w['ward']['id']}/submissions/pending", headers=w["keys"]["viewer@ward"]).json()
    assert sorted(x["id"] for x in ward_inbox["items"]) == sorted([a["id"], b["id"], d["id"]])
    forbidden(client.get(f"{API}/organizations/{w['city']['id']}/submissions/pending", headers=w["keys"]["viewer@ward"]))
    forbidden(client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers=w["keys"]["editor@sibling"]))
    assert client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers={"Authorization": ""}).status_code == 401

    assert approve(client, w, a["id"]).status_code == 201
    assert return_(client, w, b["id"]).status_code == 201
    page = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers=w["keys"]["editor@city"]).json()
    assert [x["id"] for x in page["items"]] == [c["id"]]


# ------------------------------------------------------------------ records: audit, idempotency, append-only


def test_reviews_are_audited_idempotent_and_append_only(app, client, w, session):
    figure = send(client, w, "reporter@ward")
    headers = {**w["keys"]["editor@city"], "Idempotency-Key": "approve-1"}
    first = client.post(f"{API}/submissions/{figure['id']}/approve", headers=headers)
    again = client.post(f"{API}/submissions/{figure['id']}/approve", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    assert len(session.exec(select(SubmissionReview)).all()) == 1
    events = client.get(f"{API}/audit-events", params={"entity": "submission_review"}).json()["items"]
    assert [(e["action"], e["entity_id"], e["after"]["submission_id"], e["organization_id"]) for e in events] == [
        ("approve", first.json()["id"], figure["id"], w["ward"]["id"])]
    # The city's viewer sees it in the trail (its plan, its unit); the sibling's does not.
    assert client.get(f"{API}/audit-events", params={"entity": "submission_review"}, headers=w["keys"]["viewer@city"]).json()["total"] == 1
    assert client.get(f"{API}/audit-events", params={"entity": "submission_review"}, headers=w["keys"]["viewer@sibling"]).json()["total"] == 0
    for statement in ("UPDATE submission_review SET action = 'returned'", "DELETE FROM submission_review"):
        with pytest.raises(DBAPIError, match="append-only"), Session(app.state.engine) as s:
            s.execute(text(statement))
            s.commit()


# ------------------------------------------------------------------ import


def _csv(rows: list[list]) -> dict:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return {"file": ("f.csv", buffer.getvalue().encode("utf-8"), "text/csv")}


def test_import_sends_figures_submitted_or_approved_as_the_key_would(client, w):
    header = ["target_code", "organization_code", "period_date", "value"]
    code = w["target"]["code"]
    r = client.post(f"{API}/plans/{w['plan']['id']}/import/submissions", headers=w["keys"]["reporter@ward"],
                    files=_csv([header, [code, w["ward"]["code"], "2019-03-31", "10"]]))
    assert r.status_code == 200 and r.json()["stored"], r.text
    r = client.post(f"{API}/plans/{w['plan']['id']}/import/submissions", headers=w["keys"]["editor@city"],
                    files=_csv([header, [code, w["city"]["code"], "2019-03-31", "20"]]))
    assert r.status_code == 200 and r.json()["stored"], r.text
    figures = client.get(f"{API}/targets/{w['target']['id']}/submissions").json()["items"]
    assert {(f["organization_id"], f["review"]) for f in figures} == {(w["ward"]["id"], "submitted"), (w["city"]["id"], "approved")}
    pending = client.get(f"{API}/plans/{w['plan']['id']}/submissions/pending", headers=w["keys"]["editor@city"]).json()
    assert [x["organization_id"] for x in pending["items"]] == [w["ward"]["id"]]


# ------------------------------------------------------------------ the write path


def test_the_setting_costs_a_figure_no_extra_statement(app, client, w, make):
    """Entry state and sender go in the figure's own insert: a reporter's figure, or one from an editor of
    the plan's organisation, takes as many statements with the setting as without (an editor of a unit
    below, one: whether its scope covers the plan's organisation)."""
    from sqlalchemy import event

    plain = make.target(make.plan(w["city"]["id"])["id"])
    statements = [0]

    def count(*_args, **_kw):
        statements[0] += 1

    def cost(target: dict, who: str, org: str, day: str) -> tuple[int, str]:
        statements[0] = 0
        event.listen(app.state.engine, "before_cursor_execute", count)
        try:
            r = client.post(f"{API}/targets/{target['id']}/submissions", headers=w["keys"][who],
                            json={"value": 1, "period_date": day, "organization_id": w[org]["id"]})
        finally:
            event.remove(app.state.engine, "before_cursor_execute", count)
        assert r.status_code == 201, r.text
        return statements[0], r.json()["review"]

    for who, org in (("reporter@ward", "ward"), ("editor@city", "city")):
        cost(plain, who, org, "2019-01-31")  # warm: the key's last use is noted at most once a minute
        without, _ = cost(plain, who, org, "2019-02-28")
        with_setting, review = cost(w["target"], who, org, "2019-02-28")
        assert with_setting == without, (who, with_setting, without)
        assert review == ("submitted" if who.startswith("reporter") else "approved")
    cost(plain, "editor@ward", "ward", "2019-04-30")
    without, _ = cost(plain, "editor@ward", "ward", "2019-03-31")
    assert cost(w["target"], "editor@ward", "ward", "2019-03-31") == (without + 1, "submitted")
