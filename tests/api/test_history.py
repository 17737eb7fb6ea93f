"""GET /targets/{id}/history: the status at each figure's date and the expected path."""

from __future__ import annotations

from zoneinfo import ZoneInfo
from datetime import UTC, date, datetime

import pytest

from app.submissions.models import Submission
from tests.api.helpers import API, MAX_ID, assert_problem

# days from 1 January 2019 to each month end, inclusive
MONTH_END_DAYS = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]
MONTH_ENDS_2019 = ["2019-01-31", "2019-02-28", "2019-03-31", "2019-04-30", "2019-05-31", "2019-06-30",
                   "2019-07-31", "2019-08-31", "2019-09-30", "2019-10-31", "2019-11-30", "2019-12-31"]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the default TIMEZONE


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def history(client, target_id: int, **params) -> dict:
    r = client.get(f"{API}/targets/{target_id}/history", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_flow_has_one_point_per_figure_date_and_a_linear_expected_path(client, make):
    """3,650 t for 2019, i.e. 10 t a day: 900 by 31 March, 1,810 by 30 June, all of it by 31 December."""
    root = make.org()
    child = make.org(parent_id=root["id"])
    plan = make.plan(root["id"])
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=3650, aggregation="sum")
    # posted out of date order, two organisations on 30 June
    june_child = make.submission(t["id"], period_date="2019-06-30", organization_id=child["id"], value=300)
    march = make.submission(t["id"], period_date="2019-03-31", organization_id=root["id"], value=900)
    december = make.submission(t["id"], period_date="2019-12-31", organization_id=root["id"], value=1900)
    june_root = make.submission(t["id"], period_date="2019-06-30", organization_id=root["id"], value=500)

    h = history(client, t["id"])
    assert (h["target_id"], h["unit"], h["goal"], h["known_at"]) == (t["id"], "tấn", 3650, None)
    # (date, measured, status, expected, pace, submission ids): a flow rests on every figure so far of the
    # root (the target counts the plan organisation's own figures; the child's 300 t is context, never added)
    expected_points = [
        ("2019-03-31", 900, "on_track", 900, 1.0, [march["id"]]),
        ("2019-06-30", 1400, "off_track", 1810, 1400 / 1810, [march["id"], june_root["id"]]),
        ("2019-12-31", 3300, "not_achieved", None, None, [march["id"], june_root["id"], december["id"]]),
    ]
    assert [p["date"] for p in h["points"]] == [p[0] for p in expected_points]
    for point, (day, measured, status, expected, pace, ids) in zip(h["points"], expected_points):
        assert set(point) == {"date", "measured", "status", "expected", "pace", "submission_ids"}, day
        assert (point["measured"], point["status"]) == (measured, status), day
        assert point["expected"] == (approx(expected) if expected is not None else None), day
        assert point["pace"] == (approx(pace) if pace is not None else None), day
        assert point["submission_ids"] == ids, day

    assert [p["date"] for p in h["expected_path"]] == MONTH_ENDS_2019
    for point, days in zip(h["expected_path"], MONTH_END_DAYS):
        assert point["expected"] == approx(10 * days), point["date"]

    # as_of cuts the points, not the path
    mid = history(client, t["id"], as_of="2019-06-30")
    assert (mid["as_of"], [p["date"] for p in mid["points"]]) == ("2019-06-30", ["2019-03-31", "2019-06-30"])
    assert mid["points"] == h["points"][:2]
    assert mid["expected_path"] == h["expected_path"]
    assert history(client, t["id"], as_of="2019-03-30")["points"] == []


def test_a_level_without_a_baseline_is_expected_flat_at_its_goal(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="at_least", value=90)
    first = make.submission(t["id"], period_date="2019-03-31", organization_id=org["id"], value=72)
    second = make.submission(t["id"], period_date="2019-09-30", organization_id=org["id"], value=90)
    h = history(client, t["id"])
    assert h["expected_path"] == [{"date": d, "expected": 90.0} for d in MONTH_ENDS_2019]
    # a level rests on its latest figure only
    assert [(p["date"], p["measured"], p["status"], p["expected"], p["pace"], p["submission_ids"]) for p in h["points"]] == [
        ("2019-03-31", 72, "off_track", 90, 0.8, [first["id"]]),
        ("2019-09-30", 90, "on_track", 90, 1.0, [second["id"]]),
    ]


def test_a_level_with_a_baseline_is_expected_along_the_line_from_it(client, make):
    """Baseline 20 %, goal 93 %: 73 points over 365 days, 0.2 a day."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="at_least", value=93, baseline_value=20)
    h = history(client, t["id"])
    assert (h["goal"], h["points"]) == (93, [])
    assert [p["date"] for p in h["expected_path"]] == MONTH_ENDS_2019
    for point, days in zip(h["expected_path"], MONTH_END_DAYS):
        assert point["expected"] == approx(20 + days / 5), point["date"]
    assert h["expected_path"][-1]["expected"] == approx(93)


def test_the_path_ends_on_the_period_end_and_follows_checkpoints(client, make):
    """A period from 15 January to 10 March: month ends of January and February, then 10 March."""
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-15", end_date="2019-03-10")
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=550, aggregation="sum")  # 55 days: 10 t a day
    h = history(client, t["id"], as_of="2019-03-10")
    assert [(p["date"], p["expected"]) for p in h["expected_path"]] == [
        ("2019-01-31", approx(170)), ("2019-02-28", approx(450)), ("2019-03-10", approx(550))]
    # a checkpoint bends the path: 50 % by 30 June, then the rest by 31 December
    plan = make.plan(org["id"])
    bent = make.target(plan["id"], unit="tấn", comparison="at_least", value=1000, aggregation="sum",
                       checkpoints=[{"date": "2019-06-30", "share": 50}])
    path = {p["date"]: p["expected"] for p in history(client, bent["id"])["expected_path"]}
    assert len(path) == 12
    assert (path["2019-03-31"], path["2019-06-30"], path["2019-09-30"], path["2019-12-31"]) == (
        approx(500 * 90 / 181), 500, approx(750), 1000)


def test_a_milestone_has_no_expected_path(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="milestone", value=None, unit="")
    s = make.submission(t["id"], period_date="2019-05-01", organization_id=org["id"], done=False)
    h = history(client, t["id"])
    assert (h["goal"], h["expected_path"]) == (None, [])
    assert h["points"] == [{"date": "2019-05-01", "measured": None, "status": "on_track", "expected": None, "pace": None,
                            "submission_ids": [s["id"]]}]


def _insert(session, **fields) -> int:
    row = Submission(**fields)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row.id


def test_history_respects_known_at(client, session, make):
    """An estimate for 30 June recorded on 5 July, corrected on 20 July; a September figure recorded on 10 October."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=3650, aggregation="sum")
    common = dict(target_id=t["id"], organization_id=org["id"])
    estimate = _insert(session, **common, period_date=date(2019, 6, 30), value=1700, is_estimate=True,
                       recorded_at=datetime(2019, 7, 5, 3, tzinfo=UTC))
    official = _insert(session, **common, period_date=date(2019, 6, 30), value=1810,
                       recorded_at=datetime(2019, 7, 20, 3, tzinfo=UTC))
    september = _insert(session, **common, period_date=date(2019, 9, 30), value=600,
                        recorded_at=datetime(2019, 10, 10, 3, tzinfo=UTC))
    cases = [
        ("2019-07-01T00:00:00Z", []),
        ("2019-07-10T00:00:00+07:00", [("2019-06-30", 1700, "at_risk", [estimate])]),
        ("2019-07-20T10:00:00", [("2019-06-30", 1810, "on_track", [official])]),  # no zone: Vietnam's time, 03:00 UTC
        ("2019-10-10T10:00:00+07:00", [("2019-06-30", 1810, "on_track", [official]),
                                       ("2019-09-30", 2410, "at_risk", [official, september])]),
    ]
    for known_at, points in cases:
        h = history(client, t["id"], known_at=known_at)
        assert [(p["date"], p["measured"], p["status"], p["submission_ids"]) for p in h["points"]] == points, known_at
        given = datetime.fromisoformat(known_at)
        assert datetime.fromisoformat(h["known_at"]) == (given if given.tzinfo else given.replace(tzinfo=VIETNAM)), known_at
    assert [p["submission_ids"] for p in history(client, t["id"])["points"]] == [[official], [official, september]]


def test_history_of_an_unknown_or_bad_target_or_query(client, make):
    assert_problem(client.get(f"{API}/targets/999999/history"), 404)
    for bad in ("0", "-1", str(MAX_ID + 1), "abc"):
        assert_problem(client.get(f"{API}/targets/{bad}/history"), 422, fields={"path.target_id"})
    t = make.target(make.plan()["id"])
    path = f"{API}/targets/{t['id']}/history"
    for as_of in ("2019-02-30", "1899-12-31", "2101-01-01", "today"):
        assert_problem(client.get(path, params={"as_of": as_of}), 422, fields={"query.as_of"})
    for known_at in ("yesterday", "2019-07-10T25:00:00", "1899-12-31T00:00:00Z"):
        assert_problem(client.get(path, params={"known_at": known_at}), 422, fields={"query.known_at"})
