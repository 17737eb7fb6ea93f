"""Figures from many units through the API: the cases that prompted the rules, the write rules, coverage."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, assert_problem


@pytest.fixture
def city(make):
    """A city with three wards (all reporting units by default) and a 2019 plan."""
    root = make.org(code="CITY", name="Thành ủy")
    wards = [make.org(code=f"W{i}", name=f"Phường {i}", parent_id=root["id"]) for i in (1, 2, 3)]
    plan = make.plan(root["id"])
    return root, wards, plan


def post(client, target, **body):
    return client.post(f"{API}/targets/{target['id']}/submissions", json=body)


def status(client, target, **params) -> dict:
    r = client.get(f"{API}/targets/{target['id']}/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_case_09_each_wards_latest_share_is_pooled(client, make, city):
    root, (w1, w2, _), plan = city
    t = make.target(plan["id"], code="09", unit="%", comparison="more_than", value=65, across_units="pooled_ratio")
    assert (t["is_percentage"], t["aggregation"], t["across_units"]) == (True, "latest", "pooled_ratio")
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-06-30", numerator=30, denominator=40)
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-12-31", numerator=35, denominator=40)
    make.submission(t["id"], organization_id=w2["id"], period_date="2019-12-30", numerator=10, denominator=30)
    st = status(client, t, as_of="2019-12-31")
    assert st["measured"] == pytest.approx(4500 / 70) and st["status"] == "not_achieved"
    assert st["explanation"]["pooled"] == {"numerator": 45, "denominator": 70}
    assert (st["provisional"], st["coverage"]["reported"], st["coverage"]["expected"]) == (True, 2, 3)
    assert st["coverage"]["missing"] == [{"organization_id": city[1][2]["id"], "code": "W3"}]
    assert st["message_vi"] == (
        "Target: 64,29% (tỷ lệ gộp 45/70 của 2 đơn vị) đến ngày 31/12/2019; chỉ tiêu trên 65%: không đạt chỉ tiêu "
        "(tạm tính: 2/3 đơn vị đã báo cáo)."
    )
    assert "(pooled ratio 45/70 of 2 units)" in st["message_en"] and "(provisional: 2 of 3 units reported)" in st["message_en"]
    # the plan's headline counts the provisional verdict; the breakdown lists every unit, counted or not
    plan_st = client.get(f"{API}/plans/{plan['id']}/status", params={"as_of": "2019-12-31"}).json()
    assert plan_st["headline_vi"].endswith("(1 chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)")
    assert [(u["code"], u["counted"], u["numerator"], u["denominator"]) for u in st["explanation"]["units"]] == [
        ("W1", True, 35, 40), ("W2", True, 10, 30)]


def test_case_01_the_citys_own_growth_rate_counts_and_the_wards_are_context(client, make, city):
    root, (w1, w2, _), plan = city
    t = make.target(plan["id"], code="01", unit="%", comparison="between", value=None, low=11, high=13)
    assert t["across_units"] == "own"
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-12-31", value=12.4)
    make.submission(t["id"], organization_id=w2["id"], period_date="2019-12-31", value=11.6)
    st = status(client, t, as_of="2019-12-31")
    assert (st["status"], st["measured"], st["submission_ids"]) == ("no_data", None, [])
    assert [n["reason"].split(":")[0] for n in st["explanation"]["not_counted"]] == ["context", "context"]
    assert "2 đơn vị khác có số liệu, chỉ để tham khảo" in st["message_vi"]
    own = make.submission(t["id"], organization_id=root["id"], period_date="2019-12-31", value=12.1)
    st = status(client, t, as_of="2019-12-31")
    assert (st["status"], st["measured"], st["submission_ids"]) == ("achieved", 12.1, [own["id"]])
    assert (st["provisional"], st["coverage"]["reported"], st["coverage"]["expected"]) == (False, 1, 1)


def test_case_03_a_year_to_date_figure_replaces_the_half_year_one(client, make, city):
    _, (w1, *_), plan = city
    t = make.target(plan["id"], code="03", unit="tấn", comparison="more_than", value=5000, aggregation="cumulative",
                    across_units="sum")
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-06-30", value=2000)
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-12-31", value=5100)
    st = status(client, t, as_of="2019-12-31")
    assert (st["measured"], st["status"]) == (5100, "exceeded")
    assert "lũy kế" in st["message_vi"]


@pytest.mark.parametrize(
    "target, body, field",
    [
        ({"unit": "%"}, {"numerator": 1200, "denominator": 1000}, "numerator"),  # a share above its whole
        ({"unit": "%"}, {"numerator": 1, "denominator": 1e-300}, "numerator"),
        ({"unit": "lần"}, {"numerator": 1, "denominator": 1e-300}, "denominator"),  # a quotient out of bounds
        ({"unit": "%"}, {"numerator": 1, "denominator": 0}, "denominator"),
    ],
)
def test_case_bad_ratios_are_refused(client, make, city, target, body, field):
    root, _, plan = city
    t = make.target(plan["id"], comparison="at_least", value=90, **target)
    assert_problem(post(client, t, organization_id=root["id"], period_date="2019-12-31", **body), 422, fields={field})
    assert client.get(f"{API}/targets/{t['id']}/submissions").json()["items"] == []


def test_a_percentage_is_the_targets_property_not_its_unit_text(client, make, city):
    root, _, plan = city
    t = make.target(plan["id"], unit="phần trăm", comparison="at_least", value=50, is_percentage=True)
    make.submission(t["id"], organization_id=root["id"], period_date="2019-12-31", numerator=3, denominator=5)
    assert status(client, t, as_of="2019-12-31")["measured"] == pytest.approx(60)
    plain = make.target(plan["id"], unit="%", comparison="at_least", value=0.5, is_percentage=False)
    make.submission(plain["id"], organization_id=root["id"], period_date="2019-12-31", numerator=3, denominator=5)
    assert status(client, plain, as_of="2019-12-31")["measured"] == pytest.approx(0.6)
    # a share that may exceed its whole says so
    over = make.target(plan["id"], unit="%", comparison="at_least", value=100, may_exceed_whole=True)
    make.submission(over["id"], organization_id=root["id"], period_date="2019-12-31", numerator=105, denominator=100)
    assert status(client, over, as_of="2019-12-31")["measured"] == pytest.approx(105)


def test_case_a_second_figure_for_the_same_unit_date_and_flag_is_409_with_its_id(client, make, city):
    root, _, plan = city
    t = make.target(plan["id"])
    first = make.submission(t["id"], organization_id=root["id"], period_date="2019-12-31", value=91)
    problem = assert_problem(post(client, t, organization_id=root["id"], period_date="2019-12-31", value=92), 409)
    assert (problem["existing_submission_id"], problem["correction_url"]) == (
        first["id"], f"/api/v1/submissions/{first['id']}/corrections")
    # an estimate for the same date is a different figure; a second estimate is refused too
    est = make.submission(t["id"], organization_id=root["id"], period_date="2019-12-31", value=90, is_estimate=True)
    again = assert_problem(post(client, t, organization_id=root["id"], period_date="2019-12-31", value=89, is_estimate=True), 409)
    assert again["existing_submission_id"] == est["id"]
    assert len(client.get(f"{API}/targets/{t['id']}/submissions").json()["items"]) == 2


def test_values_and_ratios_never_mix_on_one_target(client, make, city):
    root, (w1, *_), plan = city
    t = make.target(plan["id"], across_units="mean")
    ratio = make.submission(t["id"], organization_id=w1["id"], period_date="2019-06-30", numerator=1, denominator=2)
    problem = assert_problem(post(client, t, organization_id=root["id"], period_date="2019-12-31", value=50), 422, fields={"value"})
    assert f"submission {ratio['id']}" in problem["detail"]
    pooled = make.target(plan["id"], across_units="pooled_ratio")
    assert_problem(post(client, pooled, organization_id=w1["id"], period_date="2019-12-31", value=50), 422, fields={"value"})
    summed = make.target(plan["id"], unit="hộ", across_units="sum")
    assert_problem(post(client, summed, organization_id=w1["id"], period_date="2019-12-31", numerator=1, denominator=2),
                   422, fields={"numerator"})


def test_increments_of_one_unit_may_not_overlap(client, make, city):
    _, (w1, w2, _), plan = city
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=100, aggregation="sum", across_units="sum")
    q1 = make.submission(t["id"], organization_id=w1["id"], period_date="2019-03-31", period_start="2019-01-01", value=10)
    problem = assert_problem(post(client, t, organization_id=w1["id"], period_date="2019-06-30", period_start="2019-03-01",
                                  value=20), 422, fields={"period_start"})
    assert problem["overlapping_submission_id"] == q1["id"]
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-06-30", period_start="2019-04-01", value=20)
    make.submission(t["id"], organization_id=w2["id"], period_date="2019-06-30", period_start="2019-01-01", value=5)  # another unit
    assert status(client, t, as_of="2019-12-31")["measured"] == 35
    # period_start belongs to increments; it cannot come after the figure's date
    level = make.target(plan["id"])
    assert_problem(post(client, level, organization_id=w1["id"], period_date="2019-06-30", period_start="2019-01-01", value=1),
                   422, fields={"period_start"})
    assert_problem(post(client, t, organization_id=w2["id"], period_date="2019-06-30", period_start="2019-07-01", value=1), 422)


def test_the_rules_read_finds_every_clash_and_only_clashes(client, make, city):
    """The rules read only the unit's figures that may clash with the new one (its flag, periods that meet
    its period): every edge of that window refuses what it must and lets through what it must."""
    _, (w1, _, _), plan = city
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=100, aggregation="sum", across_units="sum")
    q2 = make.submission(t["id"], organization_id=w1["id"], period_date="2019-06-30", period_start="2019-04-01", value=10)
    day = make.submission(t["id"], organization_id=w1["id"], period_date="2019-08-15", value=1)  # a single day's increment
    for start, end, clash in [
        ("2019-01-01", "2019-04-01", q2),  # ends on the stored increment's first day
        ("2019-06-30", "2019-07-31", q2),  # starts on its last day
        ("2019-05-01", "2019-05-31", q2),  # inside it
        ("2019-01-01", "2019-12-31", None),  # around both: either is named
        ("2019-08-01", "2019-08-31", day),  # around a single day
        ("2019-08-15", "2019-08-20", day),  # starting on it
    ]:
        problem = assert_problem(post(client, t, organization_id=w1["id"], period_date=end, period_start=start, value=2), 422)
        named = {clash["id"]} if clash else {q2["id"], day["id"]}
        assert problem["overlapping_submission_id"] in named, (start, end)
    # a single day on a stored increment's days, or on the stored single day
    assert assert_problem(post(client, t, organization_id=w1["id"], period_date="2019-05-15", value=2), 422)[
        "overlapping_submission_id"] == q2["id"]
    assert assert_problem(post(client, t, organization_id=w1["id"], period_date="2019-08-15", value=2), 409)[
        "existing_submission_id"] == day["id"]
    # touching neither: the days just before, between and after are free, and so is the other flag
    for start, end in [("2019-01-01", "2019-03-31"), ("2019-07-01", "2019-08-14"), ("2019-08-16", "2019-09-30")]:
        assert post(client, t, organization_id=w1["id"], period_date=end, period_start=start, value=3).status_code == 201
    assert post(client, t, organization_id=w1["id"], period_date="2019-06-30", period_start="2019-04-01", value=9,
                is_estimate=True).status_code == 201
    # a correction may keep its own period, but not move onto another figure's
    own = {"organization_id": w1["id"], "period_date": "2019-06-30", "period_start": "2019-04-01", "value": 11}
    r = client.post(f"{API}/submissions/{q2['id']}/corrections", json={**own, "reason": "typo"})
    assert r.status_code == 201, r.text
    q2_now = r.json()["id"]
    moved = {"organization_id": w1["id"], "period_date": "2019-06-30", "value": 1, "reason": "wrong day"}
    r = client.post(f"{API}/submissions/{day['id']}/corrections", json=moved)
    assert r.status_code == 409 and r.json()["existing_submission_id"] == q2_now, r.text
    # a level target: one figure per unit, day and flag, whatever else the unit reported
    level = make.target(plan["id"])
    for d in ("2019-01-31", "2019-02-28", "2019-03-31"):
        make.submission(level["id"], organization_id=w1["id"], period_date=d, value=5)
    assert assert_problem(post(client, level, organization_id=w1["id"], period_date="2019-02-28", value=6), 409)[
        "existing_submission_id"] > 0
    assert post(client, level, organization_id=w1["id"], period_date="2019-02-27", value=6).status_code == 201


def test_reporting_units_can_be_named_on_the_plan_or_the_target(client, make, city):
    root, (w1, w2, w3), plan = city
    t = make.target(plan["id"], unit="tấn", across_units="sum", aggregation="sum")
    make.submission(t["id"], organization_id=w1["id"], period_date="2019-12-31", value=10)
    assert status(client, t, as_of="2019-12-31")["coverage"]["expected"] == 3
    r = client.patch(f"{API}/plans/{plan['id']}", json={"reporting_unit_ids": [w1["id"], w2["id"]]})
    assert r.status_code == 200, r.text
    assert status(client, t, as_of="2019-12-31")["coverage"] == {
        "expected": 2, "reported": 1, "missing": [{"organization_id": w2["id"], "code": "W2"}]}
    r = client.patch(f"{API}/targets/{t['id']}", json={"reporting_unit_ids": [w1["id"]]})
    assert r.status_code == 200, r.text
    st = status(client, t, as_of="2019-12-31")
    assert (st["coverage"]["expected"], st["provisional"]) == (1, False)
    # a ward marked as not reporting leaves the default set
    client.patch(f"{API}/plans/{plan['id']}", json={"reporting_unit_ids": None})
    client.patch(f"{API}/targets/{t['id']}", json={"reporting_unit_ids": None})
    assert client.patch(f"{API}/organizations/{w3['id']}", json={"is_reporting_unit": False}).status_code == 200
    assert status(client, t, as_of="2019-12-31")["coverage"]["expected"] == 2
    # only organisations of the plan's tree
    stranger = make.org(code="ELSEWHERE")
    assert_problem(client.patch(f"{API}/targets/{t['id']}", json={"reporting_unit_ids": [stranger["id"]]}), 422,
                   fields={"reporting_unit_ids"})


def test_the_import_follows_the_same_rules(client, make, city):
    root, (w1, *_), plan = city
    t = make.target(plan["id"], code="R", unit="%", across_units="pooled_ratio")
    csv = ("target_code,organization_code,period_date,value,numerator,denominator\n"
           "R,W1,2019-06-30,,30,40\n"
           "R,W2,2019-06-30,55,,\n"  # a value on a pooled share
           "R,W3,2019-06-30,,41,40\n")  # a share above its whole
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("f.csv", csv.encode(), "text/csv")},
                    data={"keep_good_rows": "true"})
    assert r.status_code in (200, 201), r.text
    report = r.json()
    assert report["counts"]["created"] == 1 and report["counts"]["failed"] == 2
    assert {e["row"] for e in report["errors"]} == {3, 4}


def test_known_at_without_a_zone_is_read_in_the_configured_time_zone(client, make, city):
    root, _, plan = city
    t = make.target(plan["id"])
    figure = make.submission(t["id"], organization_id=root["id"], period_date="2019-12-31", value=95)
    recorded = figure["recorded_at"]  # UTC, e.g. 2026-12-06T03:00:00Z
    from datetime import datetime, timedelta

    utc = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    hanoi_wall = (utc + timedelta(hours=7)).replace(tzinfo=None)
    # the same wall-clock time in Hà Nội, written without a zone, is the moment of recording: the figure counts
    assert status(client, t, as_of="2019-12-31", known_at=(hanoi_wall + timedelta(seconds=1)).isoformat())["measured"] == 95
    # read as UTC it would lie 7 hours later; read in Hà Nội, a minute before is before the figure existed
    assert status(client, t, as_of="2019-12-31", known_at=(hanoi_wall - timedelta(minutes=1)).isoformat())["measured"] is None


def test_before_the_plan_starts_the_status_says_it_has_not_started(client, make, city):
    root, _, plan = city
    t = make.target(plan["id"])
    st = status(client, t, as_of="2018-12-01")
    assert (st["phase"], st["status"], st["explanation"]["started"]) == ("in_progress", "no_data", False)
    assert "chưa bắt đầu kỳ thực hiện" in st["message_vi"]
