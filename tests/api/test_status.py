"""Statuses over HTTP: final and in-progress verdicts, counts and headlines, pooling,
superseding, Vietnamese wording, and the seeded Lạng Sơn 2019 plan."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.seed import seed
from tests.api.helpers import API, MAX_ID, assert_problem, total


def target_status(client, target_id: int, **params) -> dict:
    r = client.get(f"{API}/targets/{target_id}/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def plan_status(client, plan_id: int, **params) -> dict:
    r = client.get(f"{API}/plans/{plan_id}/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def org_plan(make):
    """A root organisation with one child, and a 2019 plan of the root."""
    root = make.org()
    child = make.org(parent_id=root["id"])
    plan = make.plan(root["id"], title="Kế hoạch 2019")
    return root, child, plan


def figure(make, target: dict, org: dict, date: str, **kw) -> dict:
    return make.submission(target["id"], period_date=date, organization_id=org["id"], **kw)


# ------------------------------------------------------------------ one target


def test_a_plan_whose_period_ended_gives_a_final_verdict(client, make, org_plan):
    """By default the status is judged today (in Vietnam's time zone); a 2019 plan is over, so the verdict is final."""
    root, _, plan = org_plan
    t = make.target(plan["id"], title="Tỷ lệ hộ dùng nước sạch", unit="%", comparison="at_least", value=90)
    s = figure(make, t, root, "2019-12-31", value=95)
    st = target_status(client, t["id"])
    assert st["as_of"] == datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    assert (st["phase"], st["status"]) == ("final", "exceeded")
    assert (st["target_id"], st["code"], st["title"], st["unit"], st["category"]) == (t["id"], t["code"], t["title"], "%", "")
    assert (st["measured"], st["compared"], st["done"], st["rests_on_estimate"]) == (95.0, 95.0, None, False)
    assert st["submission_ids"] == [s["id"]]
    ex = st["explanation"]
    assert (ex["rule"], ex["threshold"], ex["gap"], ex["verdict_if_final"]) == ("floor: above the floor", 90.0, 5.0, "exceeded")
    assert st["message_vi"] == "Tỷ lệ hộ dùng nước sạch: 95% đến ngày 31/12/2019; chỉ tiêu từ 90% trở lên: vượt chỉ tiêu."
    assert st["message_en"] == "Tỷ lệ hộ dùng nước sạch: 95% as of 2019-12-31; target at least 90%: exceeded."


def test_the_last_day_of_the_period_is_final_and_the_day_before_is_not(client, make, org_plan):
    root, _, plan = org_plan
    t = make.target(plan["id"], comparison="at_least", value=90)
    figure(make, t, root, "2019-12-01", value=90)
    assert (target_status(client, t["id"], as_of="2019-12-31")["phase"],
            target_status(client, t["id"], as_of="2019-12-31")["status"]) == ("final", "achieved")
    st = target_status(client, t["id"], as_of="2019-12-30")
    assert (st["phase"], st["status"], st["as_of"]) == ("in_progress", "on_track", "2019-12-30")


def test_mid_year_statuses_are_in_progress_and_ignore_later_figures(client, make, org_plan):
    """as_of=2019-06-30 judges on the figures dated up to then: on track / off track / no data."""
    root, _, plan = org_plan
    met = make.target(plan["id"], code="A", position=1, comparison="at_least", value=90)
    behind = make.target(plan["id"], code="B", position=2, comparison="at_least", value=90)
    empty = make.target(plan["id"], code="C", position=3, comparison="at_least", value=90)
    figure(make, met, root, "2019-03-31", value=92)
    early = figure(make, behind, root, "2019-06-30", value=80)
    figure(make, behind, root, "2019-09-30", value=99)  # after as_of: does not count
    figure(make, empty, root, "2019-07-01", value=99)  # after as_of: does not count

    st = plan_status(client, plan["id"], as_of="2019-06-30")
    assert (st["phase"], st["as_of"], st["total"]) == ("in_progress", "2019-06-30", 3)
    # B: 80 against 90 is a pace of 0.889, inside the at-risk band (0.85-0.95)
    assert [(t["code"], t["status"]) for t in st["targets"]] == [("A", "on_track"), ("B", "at_risk"), ("C", "no_data")]
    assert all(t["phase"] == "in_progress" for t in st["targets"])
    assert st["counts"] == counts(on_track=1, at_risk=1, no_data=1)
    assert st["headline_vi"] == (
        "Đến ngày 30/06/2019: 1/3 chỉ tiêu đúng tiến độ, 1 chỉ tiêu có nguy cơ không đạt, 0 chỉ tiêu chậm tiến độ; "
        "1 chỉ tiêu chưa có số liệu"
    )
    assert st["headline_en"] == "As of 2019-06-30: 1 of 3 targets on track, 1 at risk, 0 off track; 1 without data"
    b = st["targets"][1]
    assert (b["measured"], b["submission_ids"]) == (80.0, [early["id"]])
    assert b["message_vi"] == (
        "Target: 80% đến ngày 30/06/2019; cần đạt 90%; dự báo cả kỳ 80% (giữ mức hiện tại), "
        "không đạt chỉ tiêu; chỉ tiêu từ 90% trở lên: có nguy cơ không đạt."
    )
    c = st["targets"][2]
    assert (c["measured"], c["submission_ids"], c["explanation"]["rule"]) == (None, [], "no figure yet")
    assert c["message_vi"] == "Target: chưa có số liệu đến ngày 30/06/2019 (chỉ tiêu từ 90% trở lên)."

    # the same target on its own agrees with the plan view
    assert target_status(client, behind["id"], as_of="2019-06-30")["status"] == "at_risk"
    # and at year end the later figure decides
    assert target_status(client, behind["id"])["status"] == "exceeded"


def test_plan_counts_and_headline_for_two_exceeded_and_one_missed(client, make, org_plan):
    """3 targets, 2 exceeded and 1 not achieved: the committee's sentence, in both languages."""
    root, _, plan = org_plan
    for code, value in (("01", 95), ("02", 99), ("03", 50)):
        t = make.target(plan["id"], code=code, comparison="at_least", value=90)
        figure(make, t, root, "2019-12-31", value=value)
    st = plan_status(client, plan["id"])
    assert (st["plan_id"], st["code"], st["title"], st["phase"], st["total"]) == (plan["id"], plan["code"], "Kế hoạch 2019", "final", 3)
    assert st["counts"] == counts(exceeded=2, not_achieved=1)
    assert st["headline_vi"] == "Đạt và vượt 2/3 chỉ tiêu, trong đó 2 chỉ tiêu vượt; 1 chỉ tiêu không đạt"
    assert st["headline_en"] == "2 of 3 targets achieved or exceeded, 2 exceeded; 1 not achieved"
    assert [(t["code"], t["status"]) for t in st["targets"]] == [("01", "exceeded"), ("02", "exceeded"), ("03", "not_achieved")]


def test_headline_without_misses_or_missing_data_stops_after_the_exceeded_count(client, make, org_plan):
    root, _, plan = org_plan
    t = make.target(plan["id"], comparison="between", value=None, low=11, high=13)
    figure(make, t, root, "2019-12-31", value=12)
    st = plan_status(client, plan["id"])
    assert st["headline_vi"] == "Đạt và vượt 1/1 chỉ tiêu, trong đó 0 chỉ tiêu vượt"
    assert st["headline_en"] == "1 of 1 target achieved or exceeded, 0 exceeded"


def test_a_plan_without_targets_has_an_empty_status(client, make):
    st = plan_status(client, make.plan()["id"])
    assert (st["total"], st["targets"]) == (0, [])
    assert set(st["counts"].values()) == {0}


def test_ratios_from_two_organisations_on_one_date_are_pooled(client, make, org_plan):
    """46/70 and 4/10 give 50/80 = 62.5 %, not the mean of 65.7 % and 40 %; the root's own figure covers both."""
    root, child, plan = org_plan
    other = make.org(parent_id=root["id"])
    t = make.target(plan["id"], title="Tỷ lệ TCCS Đảng HTTNV", unit="%", comparison="at_least", value=60,
                    across_units="pooled_ratio")
    a = figure(make, t, other, "2019-12-31", numerator=46, denominator=70)
    b = figure(make, t, child, "2019-12-31", numerator=4, denominator=10)
    st = target_status(client, t["id"])
    assert st["measured"] == pytest.approx(62.5, abs=1e-9)
    assert st["status"] == "exceeded"
    assert sorted(st["submission_ids"]) == sorted([a["id"], b["id"]])
    assert st["explanation"]["inputs"] == 2
    assert st["explanation"]["pooled"] == {"numerator": 50, "denominator": 80}
    assert (st["provisional"], st["coverage"]["expected"], st["coverage"]["reported"]) == (False, 2, 2)
    assert st["message_vi"] == (
        "Tỷ lệ TCCS Đảng HTTNV: 62,5% (tỷ lệ gộp 50/80 của 2 đơn vị) đến ngày 31/12/2019; chỉ tiêu từ 60% trở lên: vượt chỉ tiêu."
    )
    # the root's own figure stands for its whole subtree: the wards' become its breakdown, never added on top
    c = figure(make, t, root, "2019-12-31", numerator=30, denominator=80)
    st = target_status(client, t["id"])
    assert (st["measured"], st["status"], st["submission_ids"]) == (pytest.approx(37.5), "not_achieved", [c["id"]])
    assert {u["organization_id"]: u["counted"] for u in st["explanation"]["units"]} == {
        root["id"]: True, child["id"]: False, other["id"]: False}


def test_an_official_figure_supersedes_an_estimate_for_the_same_date(client, make, org_plan):
    """For one organisation and date the official figure counts, even if the estimate was recorded later."""
    root, _, plan = org_plan
    t = make.target(plan["id"], comparison="at_least", value=90)
    official = figure(make, t, root, "2019-12-31", value=85)
    figure(make, t, root, "2019-12-31", value=95, is_estimate=True)
    st = target_status(client, t["id"])
    assert (st["status"], st["measured"], st["rests_on_estimate"]) == ("not_achieved", 85.0, False)
    assert st["submission_ids"] == [official["id"]]


def test_an_estimate_alone_counts_and_is_flagged(client, make, org_plan):
    """Until an official figure arrives the estimate counts, and the status says it rests on one."""
    root, _, plan = org_plan
    t = make.target(plan["id"], comparison="at_least", value=90)
    est = figure(make, t, root, "2019-12-31", value=95, is_estimate=True)
    st = target_status(client, t["id"])
    assert (st["status"], st["rests_on_estimate"], st["submission_ids"]) == ("exceeded", True, [est["id"]])
    assert st["message_vi"] == "Target: 95% đến ngày 31/12/2019, số liệu ước; chỉ tiêu từ 90% trở lên: vượt chỉ tiêu."
    assert st["message_en"] == "Target: 95% as of 2019-12-31, on estimates; target at least 90%: exceeded."


def test_a_second_figure_for_the_same_unit_and_date_is_refused_and_names_the_correction_route(client, make, org_plan):
    root, _, plan = org_plan
    t = make.target(plan["id"], comparison="at_least", value=90)
    first = figure(make, t, root, "2019-12-31", value=85)
    r = client.post(f"{API}/targets/{t['id']}/submissions", json={"period_date": "2019-12-31", "organization_id": root["id"], "value": 91})
    problem = assert_problem(r, 409)
    assert problem["existing_submission_id"] == first["id"]
    assert problem["correction_url"] == f"/api/v1/submissions/{first['id']}/corrections"
    # an official figure after an estimate for the same date stays allowed, and wins
    estimate = figure(make, t, root, "2019-11-30", value=95, is_estimate=True)
    official = figure(make, t, root, "2019-11-30", value=96)
    corrected = client.post(problem["correction_url"], json={"period_date": "2019-12-31", "organization_id": root["id"],
                                                             "value": 91, "reason": "số chính thức"})
    assert corrected.status_code == 201, corrected.text
    st = target_status(client, t["id"])
    assert (st["status"], st["measured"], st["submission_ids"]) == ("exceeded", 91.0, [corrected.json()["id"]])
    reasons = {n["submission_id"]: n["reason"] for n in st["explanation"]["not_counted"]}
    assert reasons[first["id"]].startswith("superseded: corrected by")
    assert reasons[estimate["id"]].startswith("superseded: an official figure")
    assert reasons[official["id"]].startswith("an earlier level")
    # the plan's view counts the same figures that do not count, by kind of reason
    in_plan = next(x for x in plan_status(client, plan["id"])["targets"] if x["target_id"] == t["id"])
    assert in_plan["explanation"]["not_counted_by_reason"] == {"superseded": 2, "an earlier level": 1}


def test_vietnamese_messages_use_vietnamese_number_formatting(client, make, org_plan):
    """Thousands take '.', decimals ',' in Vietnamese ("9.500,25"); the English message the other way round."""
    root, _, plan = org_plan
    t = make.target(plan["id"], title="Sản lượng rau", title_en="Vegetable output", unit="tấn",
                    comparison="more_than", value=9720, aggregation="sum")
    figure(make, t, root, "2019-06-30", value=4100.25)
    figure(make, t, root, "2019-12-31", value=5400)
    st = target_status(client, t["id"])
    assert (st["status"], st["measured"], st["explanation"]["gap"]) == ("not_achieved", 9500.25, -219.75)
    assert st["message_vi"] == "Sản lượng rau: 9.500,25 tấn (tổng các kỳ) đến ngày 31/12/2019; chỉ tiêu trên 9.720 tấn: không đạt chỉ tiêu."
    assert st["message_en"] == "Vegetable output: 9,500.25 tấn (increments added up) as of 2019-12-31; target more than 9,720 tấn: not achieved."


def test_a_milestone_reported_done_is_achieved(client, make, org_plan):
    root, _, plan = org_plan
    t = make.target(plan["id"], title="Trình công nhận đô thị loại II", comparison="milestone", value=None, unit="")
    figure(make, t, root, "2019-05-01", done=False)
    last = figure(make, t, root, "2019-11-01", done=True)
    st = target_status(client, t["id"])
    assert (st["status"], st["done"], st["measured"], st["submission_ids"]) == ("achieved", True, None, [last["id"]])
    assert st["message_vi"] == "Trình công nhận đô thị loại II: đã hoàn thành đến ngày 31/12/2019; chỉ tiêu hoàn thành: đạt chỉ tiêu."
    assert target_status(client, t["id"], as_of="2019-06-30")["status"] == "on_track"  # not done yet, nothing says late


def test_a_change_target_is_judged_on_the_change_from_its_baseline(client, make, org_plan):
    """A cut of 10 % from 200 is beaten by 170 (a cut of 15 %): exceeded, with the change reported."""
    root, _, plan = org_plan
    t = make.target(plan["id"], title="Số hộ nghèo", unit="hộ", comparison="change", value=-10, baseline_value=200,
                    change_basis="relative_percent")
    figure(make, t, root, "2019-12-31", value=170)
    st = target_status(client, t["id"])
    assert (st["status"], st["measured"], st["compared"]) == ("exceeded", 170.0, -15.0)
    assert (st["explanation"]["baseline"], st["explanation"]["change"]) == (200.0, -15.0)
    assert st["message_vi"] == (
        "Số hộ nghèo: 170 hộ (thay đổi -15%) đến ngày 31/12/2019; chỉ tiêu giảm 10% so với mức cơ sở 200 hộ: vượt chỉ tiêu."
    )


def test_no_figure_gives_no_data_in_both_phases(client, make, org_plan):
    _, _, plan = org_plan
    t = make.target(plan["id"])
    assert target_status(client, t["id"])["status"] == "no_data"
    assert target_status(client, t["id"], as_of="2019-06-30")["status"] == "no_data"


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("kind", ["targets", "plans"])
def test_status_of_an_unknown_id_is_404(client, kind):
    assert_problem(client.get(f"{API}/{kind}/999999/status"), 404)


def test_status_with_a_bad_as_of_is_422(client, make):
    """as_of is an ISO date within 1900–2100, on both status endpoints."""
    plan = make.plan()
    t = make.target(plan["id"])
    for path in (f"{API}/targets/{t['id']}/status", f"{API}/plans/{plan['id']}/status"):
        for as_of in ("1899-12-31", "2101-01-01", "2019-02-30", "30/06/2019", "today"):
            assert_problem(client.get(path, params={"as_of": as_of}), 422, fields={"query.as_of"})
        assert client.get(path, params={"as_of": "1900-01-01"}).status_code == 200
        assert client.get(path, params={"as_of": "2100-12-31"}).status_code == 200


@pytest.mark.parametrize("kind", ["targets", "plans"])
def test_status_with_a_bad_id_is_422(client, kind):
    name = "target_id" if kind == "targets" else "plan_id"
    for bad_id in ("0", "-1", str(MAX_ID + 1)):
        assert_problem(client.get(f"{API}/{kind}/{bad_id}/status"), 422, fields={f"path.{name}"})


# ------------------------------------------------------------------ the seeded plan


SEEDED_FINAL = {
    "01": "achieved", "02": "not_achieved", "03": "exceeded", "04": "not_achieved", "05": "achieved", "06": "exceeded",
    "07": "exceeded", "08": "achieved", "09": "exceeded", "10": "no_data", "11": "not_achieved", "12": "exceeded",
}


def counts(**nonzero) -> dict[str, int]:
    """Counts per status, every status present, zero unless given."""
    statuses = ("exceeded", "achieved", "basically_achieved", "not_achieved", "achieved_early", "on_track", "at_risk", "off_track", "no_data")
    return {s: nonzero.get(s, 0) for s in statuses}


def _seeded_plan_id(client) -> int:
    plans = client.get(f"{API}/plans").json()
    assert plans["total"] == 1 and plans["items"][0]["code"] == "TPLS-2019"
    return plans["items"][0]["id"]


def test_seeded_plan_final_statuses(client, seeded):
    """The Lạng Sơn 2019 plan with its sample figures: 5 exceeded, 3 achieved, 3 missed, 1 without data."""
    assert seeded.created == {"organizations": 9, "plans": 1, "targets": 12, "submissions": 28}
    st = plan_status(client, _seeded_plan_id(client))
    assert (st["phase"], st["total"]) == ("final", 12)
    assert st["counts"] == counts(exceeded=5, achieved=3, not_achieved=3, no_data=1)
    assert st["headline_vi"] == (
        "Đạt và vượt 8/12 chỉ tiêu, trong đó 5 chỉ tiêu vượt; 3 chỉ tiêu không đạt; 1 chỉ tiêu chưa có số liệu"
        " (2 chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)"
    )
    assert st["headline_en"] == (
        "8 of 12 targets achieved or exceeded, 5 exceeded; 3 not achieved; 1 without data (2 provisional: not every unit has reported)")
    # 03 and 09 are rolled up from the sample wards and communes: 5 and 6 of the 8 reported
    units = {t["code"]: (t["provisional"], t["coverage"]["reported"], t["coverage"]["expected"]) for t in st["targets"]}
    assert units["03"] == (True, 5, 8) and units["09"] == (True, 6, 8) and units["01"] == (False, 1, 1)
    assert {t["code"]: t["status"] for t in st["targets"]} == SEEDED_FINAL
    assert [t["code"] for t in st["targets"]] == sorted(SEEDED_FINAL)


def test_seeded_target_statuses_agree_with_the_plan_view(client, seeded):
    """GET /targets/{id}/status gives the same verdict as the plan status for every seeded target."""
    plan_id = _seeded_plan_id(client)
    targets = client.get(f"{API}/plans/{plan_id}/targets").json()["items"]
    assert {t["code"]: target_status(client, t["id"])["status"] for t in targets} == SEEDED_FINAL


def test_seeded_vegetable_target_speaks_vietnamese_numbers(client, seeded):
    """Target 04 (rau, trên 9.720 tấn): 4.100 + 5.400 = 9.500 tấn, short of the target."""
    st = plan_status(client, _seeded_plan_id(client))
    veg = next(t for t in st["targets"] if t["code"] == "04")
    assert (veg["measured"], veg["rests_on_estimate"], len(veg["submission_ids"])) == (9500.0, True, 2)
    assert veg["message_vi"] == (
        "Sản lượng rau: 9.500 tấn (tổng các kỳ) đến ngày 31/12/2019, số liệu ước; chỉ tiêu trên 9.720 tấn: không đạt chỉ tiêu."
    )
    assert veg["message_en"] == (
        "Vegetable output: 9,500 tấn (increments added up) as of 2019-12-31, on estimates; target more than 9,720 tấn: not achieved."
    )


def test_seeded_plan_at_mid_year(client, seeded):
    """At the 6-month review four targets have figures, each a little behind its pace (at risk)."""
    st = plan_status(client, _seeded_plan_id(client), as_of="2019-06-30")
    assert st["phase"] == "in_progress"
    assert st["counts"] == counts(at_risk=4, no_data=8)
    assert st["headline_vi"] == (
        "Đến ngày 30/06/2019: 0/12 chỉ tiêu đúng tiến độ, 4 chỉ tiêu có nguy cơ không đạt, 0 chỉ tiêu chậm tiến độ; "
        "8 chỉ tiêu chưa có số liệu (1 chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)"
    )
    assert sorted(t["code"] for t in st["targets"] if t["status"] == "at_risk") == ["01", "03", "04", "12"]
    # grain: 2,350 t by 30 June against 5,000 t x 181/365 = 2,479.45 t due (pace 0.948)
    grain = next(t for t in st["targets"] if t["code"] == "03")
    assert round(grain["expected"], 2) == 2479.45 and round(grain["pace"], 3) == 0.948


def test_seeding_twice_creates_nothing_the_second_time(client, session, seeded):
    """The seed is idempotent: a second run reports nothing created and every list keeps its total."""
    plan_id = _seeded_plan_id(client)
    targets = client.get(f"{API}/plans/{plan_id}/targets").json()["items"]

    def counts():
        return (
            total(client, f"{API}/organizations"),
            total(client, f"{API}/plans"),
            total(client, f"{API}/plans/{plan_id}/targets"),
            sum(total(client, f"{API}/targets/{t['id']}/submissions") for t in targets),
        )

    before = counts()
    assert before == (9, 1, 12, 28)
    again = seed(session)
    assert again.created == {"organizations": 0, "plans": 0, "targets": 0, "submissions": 0}
    assert counts() == before
    assert plan_status(client, plan_id)["counts"]["exceeded"] == 5
