"""Pace during the period over HTTP: expected, pace, forecast, required, overdue;
checkpoints and reporting frequency; plan judging settings; known_at (the 6-month
review story); language choice; the seeded plan at mid-year."""

from __future__ import annotations

from zoneinfo import ZoneInfo
from datetime import UTC, date, datetime

import pytest

from app.submissions.models import Submission
from tests.api.helpers import API, assert_problem, total

# 2019 has 365 days; 30 June is day 181, so 181/365 of the year has passed by its end.
MID = "2019-06-30"
SHARE_MID = 181 / 365
MONTHS_LEFT_MID = 6.05  # 184 days / (365.25 / 12), rounded to 2 decimals


def approx(x):
    """Exact up to float noise."""
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def target_status(client, target_id: int, **params) -> dict:
    r = client.get(f"{API}/targets/{target_id}/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def plan_status(client, plan_id: int, headers: dict | None = None, **params) -> dict:
    r = client.get(f"{API}/plans/{plan_id}/status", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def counts(**nonzero) -> dict[str, int]:
    statuses = ("exceeded", "achieved", "basically_achieved", "not_achieved", "achieved_early", "on_track", "at_risk", "off_track", "no_data")
    return {s: nonzero.get(s, 0) for s in statuses}


def fields_under(response, prefix: str) -> set[str]:
    return {e["field"] for e in response.json()["errors"] if e["field"] == prefix or e["field"].startswith(prefix + ".")}


# ------------------------------------------------------------------ statuses during the period


def test_flow_and_level_statuses_at_mid_year_with_pace_forecast_and_required(client, make):
    """At 30 June: a flow of 3,650 t is due 1,810 t; a level of 90 % is due 90 % all along."""
    org = make.org()
    plan = make.plan(org["id"])
    # (code, definition, figures at 30 June (or earlier), expected status)
    flow = dict(unit="tấn", comparison="at_least", value=3650, aggregation="sum")
    level = dict(unit="%", comparison="at_least", value=90)
    cases = [
        ("F-ON", flow, [1810], "on_track"),
        ("F-RISK", flow, [1629], "at_risk"),
        ("F-OFF", flow, [1448], "off_track"),
        ("F-EARLY", flow, [3700], "achieved_early"),
        ("F-NONE", flow, [], "no_data"),
        ("L-ON", level, [90], "on_track"),
        ("L-RISK", level, [81], "at_risk"),
        ("L-OFF", level, [72], "off_track"),
        ("L-EARLY", {**level, "aggregation": "max"}, [92], "achieved_early"),
        ("L-NONE", level, [], "no_data"),
    ]
    ids, target_ids = {}, {}
    for position, (code, definition, values, _) in enumerate(cases):
        target_ids[code] = make.target(plan["id"], code=code, position=position, **definition)["id"]
        ids[code] = [make.submission(target_ids[code], period_date=MID, organization_id=org["id"], value=v)["id"] for v in values]
    # a figure dated after as_of never counts
    make.submission(target_ids["F-NONE"], period_date="2019-07-01", organization_id=org["id"], value=9999)

    st = plan_status(client, plan["id"], as_of=MID)
    by_code = {t["code"]: t for t in st["targets"]}
    for code, _, _, status in cases:
        got = by_code[code]
        assert (got["phase"], got["status"], got["submission_ids"]) == ("in_progress", status, ids[code]), code
        assert got["expected_share"] == approx(SHARE_MID), code
        assert got["overdue"] is None, code
    assert st["counts"] == counts(on_track=2, at_risk=2, off_track=2, achieved_early=2, no_data=2)
    assert st["headline_vi"] == (
        "Đến ngày 30/06/2019: 4/10 chỉ tiêu đúng tiến độ (trong đó 2 chỉ tiêu đã đạt sớm), "
        "2 chỉ tiêu có nguy cơ không đạt, 2 chỉ tiêu chậm tiến độ; 2 chỉ tiêu chưa có số liệu"
    )
    assert st["headline_en"] == "As of 2019-06-30: 4 of 10 targets on track (2 achieved early), 2 at risk, 2 off track; 2 without data"

    # flows: expected = goal x share; pace = measured / expected; linear forecast = measured / share
    # (code, pace, forecast value, forecast verdict, required total, required per month)
    flows = [
        ("F-ON", 1.0, 3650, "achieved", 1840, 304.375),
        ("F-RISK", 0.9, 3285, "not_achieved", 2021, 2021 / (184 / (365.25 / 12))),
        ("F-OFF", 0.8, 2920, "not_achieved", 2202, 2202 / (184 / (365.25 / 12))),
        ("F-EARLY", 3700 / 1810, 3700 * 365 / 181, "exceeded", 0, 0),
    ]
    for code, pace, fc_value, fc_verdict, req_total, per_month in flows:
        got = by_code[code]
        assert (got["goal"], got["expected"], got["pace"]) == (3650, approx(1810), approx(pace)), code
        assert got["forecast"] == {"method": "linear", "value": approx(fc_value), "verdict": fc_verdict}, code
        assert got["required"] == {"total": approx(req_total), "per_month": approx(per_month), "months_remaining": MONTHS_LEFT_MID}, code
    assert by_code["F-EARLY"]["verdict_if_final"] == "exceeded"

    # levels without a baseline are held to the goal all along; the forecast carries the last value forward
    levels = [("L-ON", 1.0, 90, "achieved"), ("L-RISK", 0.9, 81, "not_achieved"), ("L-OFF", 0.8, 72, "not_achieved"),
              ("L-EARLY", 92 / 90, 92, "exceeded")]
    for code, pace, fc_value, fc_verdict in levels:
        got = by_code[code]
        assert (got["goal"], got["expected"], got["pace"]) == (90, 90, approx(pace)), code
        assert got["forecast"] == {"method": "last_value", "value": fc_value, "verdict": fc_verdict}, code
        assert got["required"] == {"total": 90, "per_month": None, "months_remaining": MONTHS_LEFT_MID}, code

    # without figures: where it should be, but no pace, forecast or requirement
    for code, expected in (("F-NONE", approx(1810)), ("L-NONE", 90)):
        got = by_code[code]
        assert (got["measured"], got["expected"], got["pace"], got["forecast"], got["required"]) == (None, expected, None, None, None), code

    risk = by_code["F-RISK"]
    assert risk["message_vi"] == (
        "Target: 1.629 tấn (tổng các kỳ) đến ngày 30/06/2019; theo tiến độ cần 1.810 tấn (50% kỳ); dự báo cả kỳ 3.285 tấn "
        "(theo tốc độ hiện tại), không đạt chỉ tiêu; chỉ tiêu từ 3.650 tấn trở lên: có nguy cơ không đạt."
    )
    # the single-target endpoint agrees with the plan view
    own = target_status(client, target_ids["F-RISK"], as_of=MID)
    assert {k: v for k, v in own.items() if k != "explanation"} == {k: v for k, v in risk.items() if k != "explanation"}
    # the plan view counts the units and the figures that do not count; the target's own status lists them
    summary = ("not_counted_by_reason", "units_counted", "units_not_counted")
    assert {k: v for k, v in own["explanation"].items() if k not in ("units", "not_counted")} == {
        k: v for k, v in risk["explanation"].items() if k not in summary}


def test_a_level_with_two_dated_figures_is_forecast_on_its_trend(client, make):
    """80 % on 31 March and 85 % on 30 June: the line through them reaches 85 + 5 x 184/91 on 31 December."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="at_least", value=90)
    make.submission(t["id"], period_date="2019-03-31", organization_id=org["id"], value=80)
    last = make.submission(t["id"], period_date=MID, organization_id=org["id"], value=85)
    st = target_status(client, t["id"], as_of=MID)
    assert st["forecast"] == {"method": "trend", "value": approx(85 + 5 * 184 / 91), "verdict": "exceeded"}
    assert (st["measured"], st["submission_ids"], st["pace"], st["status"]) == (85, [last["id"]], approx(85 / 90), "at_risk")


def test_a_level_with_a_baseline_is_expected_along_the_line_from_it(client, make):
    """Baseline 20 %, goal 93 %: by 30 June 20 + 73 x 181/365 = 56.2 % is due."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="at_least", value=93, baseline_value=20)
    make.submission(t["id"], period_date=MID, organization_id=org["id"], value=50.58)
    st = target_status(client, t["id"], as_of=MID)
    assert (st["goal"], st["expected"], st["pace"], st["status"]) == (93, approx(56.2), approx(0.9), "at_risk")
    assert st["required"] == {"total": 93, "per_month": None, "months_remaining": MONTHS_LEFT_MID}


def test_checkpoints_set_the_share_due_at_their_dates(client, make):
    """50 % by 30 June: exactly half the goal is due that day, then linear from there to the period end."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], unit="tấn", comparison="at_least", value=1000, aggregation="sum",
                    checkpoints=[{"date": "2019-06-30", "share": 50}])
    assert t["checkpoints"] == [{"date": "2019-06-30", "share": 50.0}]
    make.submission(t["id"], period_date=MID, organization_id=org["id"], value=480)
    st = target_status(client, t["id"], as_of=MID)
    assert (st["expected_share"], st["expected"], st["pace"], st["status"]) == (0.5, 500, approx(0.96), "on_track")
    assert st["forecast"] == {"method": "checkpoints", "value": 960, "verdict": "not_achieved"}
    assert st["required"] == {"total": 520, "per_month": approx(520 / (184 / (365.25 / 12))), "months_remaining": MONTHS_LEFT_MID}
    # before the checkpoint: linear from the start to it (90 of 181 days); after: 92 of 184 days from 50 % to 100 %
    for as_of, share in (("2019-03-31", 0.5 * 90 / 181), ("2019-09-30", 0.75)):
        got = target_status(client, t["id"], as_of=as_of)
        assert (got["expected_share"], got["expected"]) == (approx(share), approx(1000 * share)), as_of
    # without checkpoints the same date has 181/365 due
    plain = make.target(plan["id"], unit="tấn", comparison="at_least", value=1000, aggregation="sum")
    assert target_status(client, plain["id"], as_of=MID)["expected_share"] == approx(SHARE_MID)


def test_a_quarterly_target_without_a_june_figure_is_overdue_and_grace_days_lift_it(client, make):
    """Last figure 31 March; the 30 June report is 20 days late on 20 July, unless the plan allows 30 days' grace."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], title="Thu ngân sách", title_en="Budget revenue", frequency="quarterly")
    assert t["frequency"] == "quarterly"
    make.submission(t["id"], period_date="2019-03-31", organization_id=org["id"], value=91)
    st = target_status(client, t["id"], as_of="2019-07-20")
    assert st["overdue"] == {"due_date": "2019-06-30", "days": 20}
    assert st["explanation"]["overdue"] == {"due_date": "2019-06-30", "days": 20}
    assert st["message_vi"].endswith(" Quá hạn báo cáo 20 ngày (kỳ đến 30/06/2019).")
    assert st["message_en"].endswith(" Report overdue by 20 days (due 2019-06-30).")
    # on the due date itself nothing is late yet
    assert target_status(client, t["id"], as_of=MID)["overdue"] is None
    # a target without a frequency is never flagged
    free = make.target(plan["id"])
    make.submission(free["id"], period_date="2019-03-31", organization_id=org["id"], value=91)
    assert target_status(client, free["id"], as_of="2019-07-20")["overdue"] is None
    # grace: 19 days still leaves it overdue, 30 days lifts the flag
    for grace, overdue in ((19, {"due_date": "2019-06-30", "days": 20}), (30, None)):
        r = client.patch(f"{API}/plans/{plan['id']}", json={"reporting_grace_days": grace})
        assert r.status_code == 200 and r.json()["reporting_grace_days"] == grace, r.text
        got = target_status(client, t["id"], as_of="2019-07-20")
        assert got["overdue"] == overdue, grace
        assert ("Quá hạn" in got["message_vi"]) == (overdue is not None), grace


def test_a_quarterly_target_reported_for_june_is_not_overdue(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], frequency="quarterly")
    make.submission(t["id"], period_date=MID, organization_id=org["id"], value=91)
    assert target_status(client, t["id"], as_of="2019-07-20")["overdue"] is None
    # with nothing at all the first quarter is the one missing
    empty = make.target(plan["id"], frequency="quarterly")
    st = target_status(client, empty["id"], as_of="2019-07-20")
    assert (st["status"], st["overdue"]) == ("no_data", {"due_date": "2019-03-31", "days": 111})


# ------------------------------------------------------------------ validation


def test_invalid_checkpoints_and_frequency_are_refused_and_nothing_is_stored(client, make):
    plan = make.plan()
    kept = make.target(plan["id"], code="KEPT", checkpoints=[{"date": "2019-06-30", "share": 50}], frequency="monthly")
    cases = {
        "after the period": [{"date": "2020-01-01", "share": 50}],
        "before the period": [{"date": "2018-12-31", "share": 10}],
        "share above 100": [{"date": "2019-06-30", "share": 101}],
        "negative share": [{"date": "2019-06-30", "share": -1}],
        "shares decreasing": [{"date": "2019-03-31", "share": 60}, {"date": "2019-06-30", "share": 50}],
        "duplicate dates": [{"date": "2019-06-30", "share": 40}, {"date": "2019-06-30", "share": 50}],
    }
    base = {"code": "NEW", "title": "T", "unit": "%", "comparison": "at_least", "value": 90}
    for case, checkpoints in cases.items():
        r = client.post(f"{API}/plans/{plan['id']}/targets", json={**base, "checkpoints": checkpoints})
        assert_problem(r, 422)
        assert fields_under(r, "checkpoints"), (case, r.json())
        r = client.patch(f"{API}/targets/{kept['id']}", json={"checkpoints": checkpoints})
        assert_problem(r, 422)
        assert fields_under(r, "checkpoints"), (case, r.json())
    # the domain rules name the field itself
    for case in ("after the period", "shares decreasing", "duplicate dates"):
        r = client.post(f"{API}/plans/{plan['id']}/targets", json={**base, "checkpoints": cases[case]})
        assert_problem(r, 422, fields={"checkpoints"})
    for frequency in ("weekly", "Quarterly", "", 4):
        assert_problem(client.post(f"{API}/plans/{plan['id']}/targets", json={**base, "frequency": frequency}), 422, fields={"frequency"})
        assert_problem(client.patch(f"{API}/targets/{kept['id']}", json={"frequency": frequency}), 422, fields={"frequency"})
    # nothing stored, nothing changed
    assert total(client, f"{API}/plans/{plan['id']}/targets") == 1
    again = client.get(f"{API}/targets/{kept['id']}").json()
    assert (again["checkpoints"], again["frequency"]) == ([{"date": "2019-06-30", "share": 50.0}], "monthly")
    # checkpoints given out of order are stored in date order
    r = client.patch(f"{API}/targets/{kept['id']}", json={"checkpoints": [{"date": "2019-09-30", "share": 80}, {"date": "2019-03-31", "share": 20}]})
    assert r.status_code == 200, r.text
    assert r.json()["checkpoints"] == [{"date": "2019-03-31", "share": 20.0}, {"date": "2019-09-30", "share": 80.0}]


def test_plan_judging_settings_out_of_range_are_refused_on_create_and_patch(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    body = {"code": "P-NEW", "title": "Plan", "organization_id": org["id"], "start_date": "2019-01-01", "end_date": "2019-12-31"}
    cases = [
        ({"near_miss_band": 0.9}, "near_miss_band"),
        ({"near_miss_band": -0.01}, "near_miss_band"),
        ({"on_track_from": 0}, "on_track_from"),
        ({"on_track_from": 1.2}, "on_track_from"),
        ({"at_risk_from": 0}, "at_risk_from"),
        ({"at_risk_from": 0.96}, "at_risk_from"),  # above the default on_track_from 0.95
        ({"on_track_from": 0.8}, "at_risk_from"),  # below the default at_risk_from 0.85
        ({"on_track_from": 0.7, "at_risk_from": 0.75}, "at_risk_from"),
        ({"ceiling_exceed_margin": -1}, "ceiling_exceed_margin"),
        ({"reporting_grace_days": -1}, "reporting_grace_days"),
        ({"reporting_grace_days": 367}, "reporting_grace_days"),
    ]
    for change, field in cases:
        assert_problem(client.post(f"{API}/plans", json={**body, **change}), 422, fields={field})
        assert_problem(client.patch(f"{API}/plans/{plan['id']}", json=change), 422, fields={field})
    assert total(client, f"{API}/plans") == 1
    stored = client.get(f"{API}/plans/{plan['id']}").json()
    assert (stored["near_miss_band"], stored["on_track_from"], stored["at_risk_from"], stored["ceiling_exceed_margin"],
            stored["reporting_grace_days"]) == (None, 0.95, 0.85, None, 0)
    # equal bands and the edges of each range are accepted
    r = client.patch(f"{API}/plans/{plan['id']}", json={"on_track_from": 0.9, "at_risk_from": 0.9, "near_miss_band": 0.5})
    assert r.status_code == 200, r.text
    assert (r.json()["on_track_from"], r.json()["at_risk_from"], r.json()["near_miss_band"]) == (0.9, 0.9, 0.5)


def test_pace_bands_of_the_plan_move_the_in_progress_status(client, make):
    """A level at 90 % of its goal is at risk by default, on track when the plan counts 0.9 as on track."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], comparison="at_least", value=90)
    make.submission(t["id"], period_date=MID, organization_id=org["id"], value=81)
    assert target_status(client, t["id"], as_of=MID)["status"] == "at_risk"
    for settings, status in (({"on_track_from": 0.9}, "on_track"), ({"on_track_from": 0.99, "at_risk_from": 0.95}, "off_track")):
        assert client.patch(f"{API}/plans/{plan['id']}", json=settings).status_code == 200
        st = target_status(client, t["id"], as_of=MID)
        assert (st["status"], st["explanation"]["on_track_from"]) == (status, settings["on_track_from"]), settings


def test_the_near_miss_band_turns_a_close_miss_into_basically_achieved(client, make):
    """94.0 against 'at least 95' misses by 1.05 % of the threshold: basically achieved with a 5 % band; 90 is still a miss."""
    org = make.org()
    plan = make.plan(org["id"])
    close = make.target(plan["id"], code="CLOSE", position=1, comparison="at_least", value=95)
    far = make.target(plan["id"], code="FAR", position=2, comparison="at_least", value=95)
    make.submission(close["id"], period_date="2019-12-31", organization_id=org["id"], value=94.0)
    make.submission(far["id"], period_date="2019-12-31", organization_id=org["id"], value=90)

    st = plan_status(client, plan["id"], as_of="2019-12-31")
    assert [t["status"] for t in st["targets"]] == ["not_achieved", "not_achieved"]
    assert st["headline_vi"] == "Đạt và vượt 0/2 chỉ tiêu, trong đó 0 chỉ tiêu vượt; 2 chỉ tiêu không đạt"

    assert client.patch(f"{API}/plans/{plan['id']}", json={"near_miss_band": 0.05}).json()["near_miss_band"] == 0.05
    st = plan_status(client, plan["id"], as_of="2019-12-31")
    assert [(t["code"], t["status"]) for t in st["targets"]] == [("CLOSE", "basically_achieved"), ("FAR", "not_achieved")]
    assert st["counts"] == counts(basically_achieved=1, not_achieved=1)
    assert st["headline_vi"] == "Đạt và vượt 0/2 chỉ tiêu, trong đó 0 chỉ tiêu vượt; 1 chỉ tiêu cơ bản đạt; 1 chỉ tiêu không đạt"
    assert st["headline_en"] == "0 of 2 targets achieved or exceeded, 0 exceeded; 1 basically achieved; 1 not achieved"
    c = st["targets"][0]
    assert (c["explanation"]["near_miss_band"], c["explanation"]["rule"]) == (0.05, "floor: below the floor; within the near-miss band")
    assert c["message_vi"].endswith(": cơ bản đạt.")

    # clearing the band restores the strict verdict
    assert client.patch(f"{API}/plans/{plan['id']}", json={"near_miss_band": None}).json()["near_miss_band"] is None
    assert target_status(client, close["id"], as_of="2019-12-31")["status"] == "not_achieved"


def test_the_ceiling_exceed_margin_turns_a_beaten_ceiling_into_exceeded(client, make):
    """'At most 5 %' met with 3 %: achieved by default; exceeded once the plan sets a margin of up to 2 points."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], unit="%", comparison="at_most", value=5)
    assert t["direction"] == "lower_is_better"
    at_limit = make.target(plan["id"], unit="%", comparison="at_most", value=5)
    make.submission(t["id"], period_date="2019-12-31", organization_id=org["id"], value=3)
    make.submission(at_limit["id"], period_date="2019-12-31", organization_id=org["id"], value=5)
    # (margin, status of 3 %, status of exactly 5 %)
    for margin, beaten, met in ((None, "achieved", "achieved"), (1, "exceeded", "achieved"), (2, "exceeded", "achieved"),
                                (2.5, "achieved", "achieved"), (0, "exceeded", "achieved")):
        r = client.patch(f"{API}/plans/{plan['id']}", json={"ceiling_exceed_margin": margin})
        assert r.status_code == 200 and r.json()["ceiling_exceed_margin"] == margin, r.text
        st = target_status(client, t["id"], as_of="2019-12-31")
        assert st["status"] == beaten, margin
        assert target_status(client, at_limit["id"], as_of="2019-12-31")["status"] == met, margin
        if beaten == "exceeded":
            assert (st["explanation"]["rule"], st["explanation"]["margin"]) == ("ceiling: beaten by the exceed margin", margin)


# ------------------------------------------------------------------ known_at: what the 6-month review saw


def _insert(session, **fields) -> int:
    row = Submission(**fields)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row.id


@pytest.fixture
def review_story(session, make):
    """An estimate for 30 June recorded on 5 July 2019, corrected by an official figure on 20 July 2019 (UTC)."""
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], title="Sản lượng rau", unit="tấn", comparison="more_than", value=9720, aggregation="sum")
    estimate = _insert(session, target_id=t["id"], organization_id=org["id"], period_date=date(2019, 6, 30), value=4100,
                       is_estimate=True, recorded_at=datetime(2019, 7, 5, 3, 0, tzinfo=UTC))
    official = _insert(session, target_id=t["id"], organization_id=org["id"], period_date=date(2019, 6, 30), value=4300,
                       is_estimate=False, recorded_at=datetime(2019, 7, 20, 3, 0, tzinfo=UTC))
    return plan, t, estimate, official


def test_known_at_shows_what_the_six_month_review_saw(client, review_story):
    plan, t, estimate, official = review_story
    # between the two recordings: the estimate
    st = plan_status(client, plan["id"], as_of=MID, known_at="2019-07-10T00:00:00+07:00")
    seen = st["targets"][0]
    assert (seen["measured"], seen["rests_on_estimate"], seen["submission_ids"]) == (4100, True, [estimate])
    assert st["known_at"] == seen["known_at"] == "2019-07-10T00:00:00+07:00"
    assert seen["explanation"]["known_at"] == "2019-07-10T00:00:00+07:00"
    assert "số liệu ước" in seen["message_vi"]
    # without known_at: the official correction
    now = plan_status(client, plan["id"], as_of=MID)["targets"][0]
    assert (now["measured"], now["rests_on_estimate"], now["submission_ids"], now["known_at"]) == (4300, False, [official], None)
    assert "known_at" not in now["explanation"]
    # before anything was recorded: no data
    before = plan_status(client, plan["id"], as_of=MID, known_at="2019-07-01T00:00:00Z")
    assert (before["targets"][0]["status"], before["targets"][0]["submission_ids"]) == ("no_data", [])
    assert before["counts"] == counts(no_data=1)
    # the target endpoint agrees
    assert target_status(client, t["id"], as_of=MID, known_at="2019-07-10T00:00:00+07:00")["submission_ids"] == [estimate]


def test_known_at_with_and_without_a_time_zone(client, review_story):
    """No offset means the configured zone (Asia/Ho_Chi_Minh); an offset is honoured. The estimate was
    recorded at 03:00 UTC = 10:00 in Vietnam."""
    _, t, estimate, official = review_story
    cases = [
        ("2019-07-05T10:00:00", [estimate]),  # the very moment, read in Vietnam's time
        ("2019-07-05T09:59:59", []),
        ("2019-07-05T03:00:00", []),  # 03:00 in Vietnam is seven hours before
        ("2019-07-05T03:00:00Z", [estimate]),
        ("2019-07-05T03:00:00+00:00", [estimate]),
        ("2019-07-05T10:00:00+07:00", [estimate]),
        ("2019-07-05T09:59:59+07:00", []),
        ("2019-07-04T22:00:00-05:00", [estimate]),
        ("2019-07-20T10:00:00+07:00", [official]),
        ("2019-07-20T09:59:59.999999+07:00", [estimate]),
    ]
    for known_at, ids in cases:
        st = target_status(client, t["id"], as_of=MID, known_at=known_at)
        assert st["submission_ids"] == ids, known_at
        assert _aware(st["known_at"]) == _aware(known_at), known_at
    # a known_at without a zone is read in the configured zone (Asia/Ho_Chi_Minh) and echoed with it
    naive = target_status(client, t["id"], as_of=MID, known_at="2019-07-05T10:00:00")
    assert (naive["known_at"], naive["explanation"]["known_at"]) == ("2019-07-05T10:00:00+07:00", "2019-07-05T10:00:00+07:00")
    assert naive["submission_ids"] == [estimate]


def _aware(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_a_malformed_known_at_is_a_422_problem(client, make):
    plan = make.plan()
    t = make.target(plan["id"])
    paths = (f"{API}/targets/{t['id']}/status", f"{API}/plans/{plan['id']}/status")
    for path in paths:
        for bad in ("yesterday", "2019-13-01T00:00:00", "2019-07-10T25:00:00", "10/07/2019 00:00", "1899-12-31T23:59:59Z",
                    "2101-01-01T00:00:01Z"):
            assert_problem(client.get(path, params={"as_of": MID, "known_at": bad}), 422, fields={"query.known_at"})


# ------------------------------------------------------------------ language


def test_language_from_the_query_or_accept_language(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    t = make.target(plan["id"], title="Tỷ lệ", title_en="Rate", comparison="at_least", value=90)
    make.submission(t["id"], period_date=MID, organization_id=org["id"], value=81)
    path = f"{API}/plans/{plan['id']}/status"
    cases = [
        ({"lang": "en"}, {}, "en"),
        ({"lang": "vi"}, {"Accept-Language": "en"}, "vi"),  # the query wins
        ({"lang": "en"}, {"Accept-Language": "vi"}, "en"),
        ({}, {"Accept-Language": "en-US,en;q=0.9"}, "en"),
        ({}, {"Accept-Language": "fr, vi;q=0.5"}, "vi"),
        ({}, {"Accept-Language": "vi;q=0.4, en;q=0.8"}, "en"),
        ({}, {"Accept-Language": "fr, de"}, "vi"),
        ({}, {}, "vi"),
    ]
    for params, headers, lang in cases:
        r = client.get(path, params={"as_of": MID, **params}, headers=headers)
        assert r.status_code == 200, (params, headers, r.text)
        st = r.json()
        case = (params, headers)
        assert st["lang"] == lang, case
        assert st["headline"] == st[f"headline_{lang}"], case
        target = st["targets"][0]
        assert (target["lang"], target["message"]) == (lang, target[f"message_{lang}"]), case
        assert st["by_category"][0]["headline"] == st["by_category"][0][f"headline_{lang}"], case
    assert st["headline_vi"] != st["headline_en"] and target["message_vi"] != target["message_en"]
    assert target["message_en"].startswith("Rate: 81%")
    # the target endpoint follows the same rule
    en = target_status(client, t["id"], as_of=MID, lang="en")
    assert (en["lang"], en["message"]) == ("en", en["message_en"])
    for bad in ("fr", "EN", ""):
        assert_problem(client.get(path, params={"lang": bad}), 422, fields={"query.lang"})
        assert_problem(client.get(f"{API}/targets/{t['id']}/status", params={"lang": bad}), 422, fields={"query.lang"})


def test_accept_language_with_equal_weights_takes_the_first_listed(client, make):
    plan = make.plan()
    st = plan_status(client, plan["id"], headers={"Accept-Language": "vi, en"})
    assert st["lang"] == "vi"


def test_accept_language_with_q_zero_is_not_acceptable(client, make):
    plan = make.plan()
    st = plan_status(client, plan["id"], headers={"Accept-Language": "en;q=0"})
    assert st["lang"] == "vi"


# ------------------------------------------------------------------ the seeded plan at mid-year


def test_seeded_plan_at_the_six_month_review(client, seeded):
    plan_id = client.get(f"{API}/plans").json()["items"][0]["id"]
    st = plan_status(client, plan_id, as_of=MID)
    assert st["counts"] == counts(at_risk=4, no_data=8)
    veg = next(t for t in st["targets"] if t["code"] == "04")
    assert (veg["status"], veg["measured"], veg["goal"], veg["rests_on_estimate"]) == ("at_risk", 4100, 9720, True)
    assert round(veg["expected"], 2) == 4820.05
    assert veg["expected_share"] == approx(SHARE_MID)
    assert veg["pace"] == approx(4100 / (9720 * 181 / 365))
    assert veg["forecast"] == {"method": "linear", "value": approx(4100 * 365 / 181), "verdict": "not_achieved"}
    assert veg["required"] == {"total": 5620, "per_month": approx(5620 / (184 / (365.25 / 12))), "months_remaining": MONTHS_LEFT_MID}
    assert veg["message_vi"] == (
        "Sản lượng rau: 4.100 tấn (tổng các kỳ) đến ngày 30/06/2019, số liệu ước; theo tiến độ cần 4.820,05 tấn (50% kỳ); "
        "dự báo cả kỳ 8.267,96 tấn (theo tốc độ hiện tại), không đạt chỉ tiêu; chỉ tiêu trên 9.720 tấn: có nguy cơ không đạt."
    )
