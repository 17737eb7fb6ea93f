"""Assessments (đánh giá) over HTTP: recording, listing, validation, and how the
committee's verdict sits beside the computed status without either changing the other."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.assessments.models import Assessment
from tests.api.helpers import API, MAX_ID, assert_problem, assert_recent_aware, total

BODY = {
    "verdict": "basically_achieved",
    "reason": "Đạt 94,6%, thiếu 0,4 điểm do hai xã chưa hoàn thành; Ban Thường vụ đánh giá cơ bản đạt.",
    "assessed_by": "Ban Thường vụ Thành ủy",
    "assessed_on": "2020-01-15",
}


def assessments_of(target_id: int) -> str:
    return f"{API}/targets/{target_id}/assessments"


def record(client, target_id: int, **kw) -> dict:
    r = client.post(assessments_of(target_id), json={**BODY, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def target_status(client, target_id: int, **params) -> dict:
    r = client.get(f"{API}/targets/{target_id}/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def measured(make):
    """A 2019 target (at least 90 %) reported at 95 % on 31 December: exceeded."""
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"], comparison="at_least", value=90)
    make.submission(target["id"], period_date="2019-12-31", organization_id=org["id"], value=95)
    return org, plan, target


def test_recording_an_assessment_echoes_it(client, make):
    target = make.target(make.plan()["id"])
    r = client.post(assessments_of(target["id"]), json=BODY)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "target_id", "verdict", "reason", "assessed_by", "assessed_on", "recorded_at"}
    assert body["id"] >= 1 and body["target_id"] == target["id"]
    assert {k: body[k] for k in BODY} == BODY
    assert_recent_aware(body["recorded_at"])
    listed = client.get(assessments_of(target["id"])).json()
    assert listed == {"items": [body], "total": 1, "limit": 100, "offset": 0}


def test_assessments_are_listed_newest_first_with_paging(client, make):
    target = make.target(make.plan()["id"])
    other = make.target(make.plan()["id"])
    made = [record(client, target["id"], verdict=v, reason=f"lần {i}") for i, v in enumerate(("not_achieved", "achieved", "exceeded"))]
    record(client, other["id"])  # another target's assessment is not listed
    newest_first = [a["id"] for a in reversed(made)]
    page = client.get(assessments_of(target["id"])).json()
    assert ([a["id"] for a in page["items"]], page["total"]) == (newest_first, 3)
    assert [a["verdict"] for a in page["items"]] == ["exceeded", "achieved", "not_achieved"]
    stamps = [datetime.fromisoformat(a["recorded_at"]) for a in page["items"]]
    assert stamps == sorted(stamps, reverse=True)
    for params, ids in (({"limit": 2}, newest_first[:2]), ({"limit": 2, "offset": 2}, newest_first[2:]),
                        ({"offset": 3}, []), ({"limit": 1, "offset": 1}, newest_first[1:2])):
        page = client.get(assessments_of(target["id"]), params=params).json()
        assert ([a["id"] for a in page["items"]], page["total"]) == (ids, 3), params
        assert (page["limit"], page["offset"]) == (params.get("limit", 100), params.get("offset", 0)), params
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        assert_problem(client.get(assessments_of(target["id"]), params=params), 422, fields={f"query.{next(iter(params))}"})


def test_invalid_assessments_are_refused_and_nothing_is_stored(client, make):
    target = make.target(make.plan()["id"])
    path = assessments_of(target["id"])
    cases = [
        ({"verdict": "great"}, "verdict"),
        ({"verdict": "on_track"}, "verdict"),  # a computed status, not a verdict a committee records
        ({"verdict": None}, "verdict"),
        ({"reason": "a\x00b"}, "reason"),
        ({"reason": "x" * 20_001}, "reason"),
        ({"assessed_by": ""}, "assessed_by"),
        ({"assessed_by": "Ban\x00"}, "assessed_by"),
        ({"assessed_on": "1899-12-31"}, "assessed_on"),
        ({"assessed_on": "2101-01-01"}, "assessed_on"),
        ({"assessed_on": "2020-02-30"}, "assessed_on"),
        ({"score": 5}, "score"),
        ({"target_id": target["id"]}, "target_id"),
        ({"recorded_at": "2019-01-01T00:00:00Z"}, "recorded_at"),
    ]
    for change, field in cases:
        assert_problem(client.post(path, json={**BODY, **change}), 422, fields={field})
    for missing in BODY:
        assert_problem(client.post(path, json={k: v for k, v in BODY.items() if k != missing}), 422, fields={missing})
    assert total(client, path) == 0
    # the edges of the date range are accepted
    for edge in ("1900-01-01", "2100-12-31"):
        assert record(client, target["id"], assessed_on=edge)["assessed_on"] == edge


def test_an_assessment_without_a_reason_is_refused(client, make):
    target = make.target(make.plan()["id"])
    r = client.post(assessments_of(target["id"]), json={**BODY, "reason": ""})
    assert_problem(r, 422, fields={"reason"})
    assert total(client, assessments_of(target["id"])) == 0


def test_assessments_of_an_unknown_or_bad_target(client):
    for path in (assessments_of(999_999),):
        assert_problem(client.get(path), 404)
        assert_problem(client.post(path, json=BODY), 404)
    for bad in ("0", "-1", str(MAX_ID + 1)):
        assert_problem(client.get(f"{API}/targets/{bad}/assessments"), 422, fields={"path.target_id"})
        assert_problem(client.post(f"{API}/targets/{bad}/assessments", json=BODY), 422, fields={"path.target_id"})


def test_the_status_shows_the_latest_assessment_beside_the_computed_one(client, make, measured):
    org, plan, target = measured
    assert target_status(client, target["id"])["assessment"] is None
    disagree = record(client, target["id"], verdict="not_achieved", reason="Số liệu chưa được thẩm định.")
    st = target_status(client, target["id"])
    # the committee disagrees; the computed status stays what the figures say
    assert (st["status"], st["verdict_if_final"], st["measured"]) == ("exceeded", "exceeded", 95)
    assert st["assessment"] == disagree
    latest = record(client, target["id"], verdict="achieved", reason="Đã thẩm định lại.")
    assert target_status(client, target["id"])["assessment"] == latest
    plan_view = client.get(f"{API}/plans/{plan['id']}/status").json()
    assert (plan_view["targets"][0]["status"], plan_view["targets"][0]["assessment"]) == ("exceeded", latest)
    assert plan_view["counts"]["exceeded"] == 1 and plan_view["counts"]["achieved"] == 0
    # a corrected figure changes the computed status, never the recorded assessment
    (figure,) = client.get(f"{API}/targets/{target['id']}/submissions").json()["items"]
    r = client.post(f"{API}/submissions/{figure['id']}/corrections",
                    json={"period_date": "2019-12-31", "organization_id": org["id"], "value": 85, "reason": "số chính thức"})
    assert r.status_code == 201, r.text
    st = target_status(client, target["id"])
    assert (st["status"], st["assessment"]) == ("not_achieved", latest)
    assert [a["id"] for a in client.get(assessments_of(target["id"])).json()["items"]] == [latest["id"], disagree["id"]]
    # another target's assessment stays with its own target
    assert target_status(client, make.target(plan["id"])["id"])["assessment"] is None


def _insert(session, target_id: int, verdict: str, recorded_at: datetime) -> int:
    row = Assessment(target_id=target_id, verdict=verdict, reason="r", assessed_by="Ban Thường vụ",
                     assessed_on=date(2020, 1, 15), recorded_at=recorded_at)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row.id


def test_known_at_before_an_assessment_was_recorded_hides_it(client, session, measured):
    _, plan, target = measured
    first = _insert(session, target["id"], "not_achieved", datetime(2020, 1, 15, 3, 0, tzinfo=UTC))
    second = _insert(session, target["id"], "achieved", datetime(2020, 2, 1, 3, 0, tzinfo=UTC))
    for known_at, expected in (
        ("2020-01-15T02:59:59Z", None),
        ("2020-01-15T03:00:00Z", first),
        ("2020-01-20T00:00:00", first),
        ("2020-02-01T09:59:59", first),  # no zone: read in the configured zone (Asia/Ho_Chi_Minh, UTC+7)
        ("2020-02-01T10:00:00", second),
        (None, second),
    ):
        params = {"known_at": known_at} if known_at else {}
        st = target_status(client, target["id"], **params)
        got = st["assessment"]["id"] if st["assessment"] else None
        assert got == expected, known_at
        # the figure was recorded now, so any past known_at leaves the computed status without data
        assert st["status"] == ("exceeded" if known_at is None else "no_data"), known_at
        plan_target = client.get(f"{API}/plans/{plan['id']}/status", params=params).json()["targets"][0]
        assert (plan_target["assessment"]["id"] if plan_target["assessment"] else None) == expected, known_at
    # the list shows every assessment whatever the status asks
    assert [a["id"] for a in client.get(assessments_of(target["id"])).json()["items"]] == [second, first]


def test_known_at_with_a_time_zone_offset_hides_a_later_assessment(client, session, measured):
    """Recorded at 03:00 UTC = 10:00 in Vietnam: known_at 09:00+07:00 (02:00 UTC) is before it.

    Once wrong on SQLite, which stores times without an offset: the filter compared clocks in SQL."""
    _, _, target = measured
    recorded = _insert(session, target["id"], "achieved", datetime(2020, 1, 15, 3, 0, tzinfo=UTC))
    before = target_status(client, target["id"], known_at="2020-01-15T09:00:00+07:00")  # 02:00 UTC
    after = target_status(client, target["id"], known_at="2020-01-15T02:30:00-01:00")  # 03:30 UTC
    assert (after["assessment"] or {}).get("id") == recorded
    assert before["assessment"] is None
