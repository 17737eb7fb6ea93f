"""GET /plans/{id}/status/organizations (each reporting organisation judged on its own
figures) and the per-category groups of GET /plans/{id}/status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.submissions.models import Submission
from tests.api.helpers import API, MAX_ID, assert_problem


def counts(**nonzero) -> dict[str, int]:
    statuses = ("exceeded", "achieved", "basically_achieved", "not_achieved", "achieved_early", "on_track", "at_risk", "off_track", "no_data")
    return {s: nonzero.get(s, 0) for s in statuses}


def get(client, path: str, **params) -> dict:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def two_reporters(make):
    """A root and two children (codes sort B-, M-, Z- against creation order); ratio, flow and plain targets."""
    root = make.org(code="Z-ROOT", name="Thành ủy")
    second = make.org(code="M-WARD", name="Phường M", parent_id=root["id"])
    first = make.org(code="B-WARD", name="Phường B", parent_id=root["id"])
    plan = make.plan(root["id"])
    ratio = make.target(plan["id"], code="R", position=1, title="Tỷ lệ TCCS Đảng HTTNV", unit="%", comparison="at_least", value=60,
                        across_units="pooled_ratio")
    flow = make.target(plan["id"], code="F", position=2, title="Sản lượng", unit="tấn", comparison="more_than", value=1000,
                       aggregation="sum", across_units="sum")
    plain = make.target(plan["id"], code="P", position=3, unit="%", comparison="at_least", value=90, across_units="mean")
    make.target(plan["id"], code="N", position=4)  # nobody reports it
    ids = {
        "R-B": make.submission(ratio["id"], period_date="2019-12-31", organization_id=first["id"], numerator=46, denominator=70)["id"],
        "R-M": make.submission(ratio["id"], period_date="2019-12-31", organization_id=second["id"], numerator=4, denominator=10)["id"],
        "F-B1": make.submission(flow["id"], period_date="2019-06-30", organization_id=first["id"], value=400)["id"],
        "F-B2": make.submission(flow["id"], period_date="2019-12-31", organization_id=first["id"], value=700)["id"],
        "F-M": make.submission(flow["id"], period_date="2019-12-31", organization_id=second["id"], value=300)["id"],
        "P-B": make.submission(plain["id"], period_date="2019-06-30", organization_id=first["id"], value=95)["id"],
    }
    return plan, (first, second, root), ids


def test_each_reporting_organisation_is_judged_on_its_own_figures(client, two_reporters):
    plan, (first, second, root), ids = two_reporters
    # the plan pools: 50/80 = 62.5 % (exceeded), 1,400 t (exceeded), 95 % (exceeded), nothing for N
    st = get(client, f"{API}/plans/{plan['id']}/status")
    assert [(t["code"], t["status"], t["measured"]) for t in st["targets"]] == [
        ("R", "exceeded", pytest.approx(62.5)), ("F", "exceeded", 1400), ("P", "exceeded", 95), ("N", "no_data", None)]

    br = get(client, f"{API}/plans/{plan['id']}/status/organizations")
    assert (br["plan_id"], br["phase"], br["known_at"]) == (plan["id"], "final", None)
    # one entry per organisation that reported, and the root above them (its view rolls them up), by code
    assert [(o["organization_id"], o["code"], o["name"]) for o in br["organizations"]] == [
        (first["id"], "B-WARD", "Phường B"), (second["id"], "M-WARD", "Phường M"), (root["id"], "Z-ROOT", "Thành ủy")]
    b, m, r = br["organizations"]
    # the root's view is the plan's, with the same rules
    assert [(t["code"], t["status"], t["measured"]) for t in r["targets"]] == [
        (t["code"], t["status"], t["measured"]) for t in st["targets"] if t["status"] != "no_data"]
    # B: its own ratio 46/70, its own 1,100 t (two figures), its 95 %
    assert [(t["code"], t["status"], t["submission_count"]) for t in b["targets"]] == [
        ("R", "exceeded", 1), ("F", "exceeded", 2), ("P", "exceeded", 1)]
    assert b["targets"][0]["measured"] == pytest.approx(46 / 70 * 100, rel=1e-12)
    assert b["targets"][1]["measured"] == 1100
    # M: 4/10 = 40 % (not pooled with B) and 300 t
    assert [(t["code"], t["status"], t["measured"], t["submission_count"]) for t in m["targets"]] == [
        ("R", "not_achieved", pytest.approx(40.0), 1), ("F", "not_achieved", 300, 1)]
    # each target in counts, as the plan's status summarises it; the lists stay in the target's own status
    assert set(b["targets"][0]) == {
        "target_id", "code", "status", "verdict_if_final", "provisional", "measured", "compared", "goal", "expected", "pace",
        "done", "rests_on_estimate", "submission_count", "not_counted_by_reason", "units_counted", "units_not_counted",
        "coverage"}
    root_ratio = r["targets"][0]
    assert (root_ratio["units_counted"], root_ratio["units_not_counted"], root_ratio["not_counted_by_reason"]) == (2, 0, {})
    assert (b["targets"][0]["units_counted"], b["targets"][0]["units_not_counted"]) == (1, 0)
    # the root's figures in counts are the plan's: every figure counted or counted by reason
    assert [t["submission_count"] for t in r["targets"]] == [t["submission_count"] for t in st["targets"] if t["status"] != "no_data"]
    assert sum(t["submission_count"] for t in r["targets"]) == len(ids)
    # each organisation's counts and headline
    assert (b["summary"]["key"], b["summary"]["total"], b["summary"]["counts"]) == ("B-WARD", 3, counts(exceeded=3))
    assert b["summary"]["headline_vi"] == "Đạt và vượt 3/3 chỉ tiêu, trong đó 3 chỉ tiêu vượt"
    assert b["summary"]["headline"] == b["summary"]["headline_vi"]
    assert (m["summary"]["key"], m["summary"]["total"], m["summary"]["counts"]) == ("M-WARD", 2, counts(not_achieved=2))
    assert m["summary"]["headline_vi"] == "Đạt và vượt 0/2 chỉ tiêu, trong đó 0 chỉ tiêu vượt; 2 chỉ tiêu không đạt"
    assert m["summary"]["headline_en"] == "0 of 2 targets achieved or exceeded, 0 exceeded; 2 not achieved"


def test_the_breakdown_pages_by_organisation(client, two_reporters):
    """limit/offset/sort as every list takes them, with `total` and Link; a page is cut from the stored view
    (the first read stores it, the next ones are served from it) and the pages add up to the whole."""
    plan, (first, second, root), _ = two_reporters
    path = f"{API}/plans/{plan['id']}/status/organizations"
    whole = get(client, path)
    assert (whole["total"], whole["limit"], whole["offset"], len(whole["organizations"])) == (3, 100, 0, 3)
    for _ in range(2):  # computed and stored, then stored
        r = client.get(path, params={"limit": 2})
        assert r.status_code == 200, r.text
        page = r.json()
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
        assert [o["code"] for o in page["organizations"]] == ["B-WARD", "M-WARD"]
        assert 'rel="next"' in r.headers["link"] and "offset=2" in r.headers["link"] and 'rel="prev"' not in r.headers["link"]
        r = client.get(path, params={"limit": 2, "offset": 2})
        assert [o["code"] for o in r.json()["organizations"]] == ["Z-ROOT"] and r.json()["total"] == 3
        assert 'rel="prev"' in r.headers["link"] and 'rel="next"' not in r.headers["link"]
    assert r.json()["organizations"][0] == whole["organizations"][2]  # a page's organisation is the whole view's
    assert "link" not in client.get(path).headers
    assert [o["code"] for o in get(client, path, sort="-code")["organizations"]] == ["Z-ROOT", "M-WARD", "B-WARD"]
    assert [o["code"] for o in get(client, path, sort="-code", limit=1, offset=1)["organizations"]] == ["M-WARD"]
    beyond = get(client, path, offset=5)
    assert (beyond["total"], beyond["organizations"]) == (3, [])
    for lang in ("vi", "en", "vi"):  # each language stored apart
        assert get(client, path, lang=lang, limit=1)["organizations"][0]["summary"]["headline"] == whole["organizations"][0][
            "summary"]["headline_" + lang]
    for bad, field in (({"limit": 0}, "query.limit"), ({"offset": -1}, "query.offset"), ({"sort": "name"}, "query.sort")):
        assert_problem(client.get(path, params=bad), 422, fields={field})
    assert_problem(client.get(path, params={"q": "B"}), 400)  # not a searchable list: never silently ignored


def test_every_figure_is_accounted_for_in_counts(client, make):
    """A correction: the replaced version does not count and is counted by reason in the view of its
    organisation and of every one above it, as in the plan's status (whose own status lists it)."""
    root = make.org(code="ROOT")
    ward = make.org(code="A-WARD", parent_id=root["id"])
    plan = make.plan(root["id"])
    t = make.target(plan["id"], comparison="at_least", value=90, across_units="sum")
    original = make.submission(t["id"], period_date="2019-12-31", organization_id=ward["id"], value=80)
    r = client.post(f"{API}/submissions/{original['id']}/corrections",
                    json={"value": 95, "period_date": "2019-12-31", "organization_id": ward["id"], "reason": "sửa"})
    assert r.status_code == 201, r.text
    plan_view = get(client, f"{API}/plans/{plan['id']}/status", as_of="2019-12-31")["targets"][0]
    br = get(client, f"{API}/plans/{plan['id']}/status/organizations", as_of="2019-12-31")
    assert [o["code"] for o in br["organizations"]] == ["A-WARD", "ROOT"]
    for o in br["organizations"]:
        [row] = o["targets"]
        assert (row["status"], row["measured"], row["submission_count"]) == ("exceeded", 95, 1)
        assert row["not_counted_by_reason"] == plan_view["explanation"]["not_counted_by_reason"] != {}
        assert sum(row["not_counted_by_reason"].values()) + row["submission_count"] == 2


def test_the_breakdown_at_mid_year_and_in_english(client, two_reporters):
    plan, (first, _, _), ids = two_reporters
    r = client.get(f"{API}/plans/{plan['id']}/status/organizations", params={"as_of": "2019-06-30", "lang": "en"})
    assert r.status_code == 200, r.text
    br = r.json()
    assert (br["as_of"], br["phase"]) == ("2019-06-30", "in_progress")
    # only B had reported by 30 June: 400 t against 1,000 x 181/365 due, and 95 % against 90 %
    assert [o["code"] for o in br["organizations"]] == ["B-WARD", "Z-ROOT"]
    b, _ = br["organizations"]
    assert [(t["code"], t["status"], t["submission_count"], t["measured"]) for t in b["targets"]] == [
        ("F", "off_track", 1, 400), ("P", "on_track", 1, 95)]
    flow = b["targets"][0]
    assert flow["pace"] == pytest.approx(400 / (1000 * 181 / 365), rel=1e-12)
    assert br["lang"] == "en"
    assert b["summary"]["counts"] == counts(on_track=1, off_track=1)
    assert b["summary"]["headline"] == b["summary"]["headline_en"] == "As of 2019-06-30: 1 of 2 targets on track, 0 at risk, 1 off track"
    # before any figure's date nobody appears
    assert get(client, f"{API}/plans/{plan['id']}/status/organizations", as_of="2019-06-29")["organizations"] == []


def test_the_breakdown_respects_known_at(client, session, make):
    """An organisation whose figures were all recorded after known_at does not appear."""
    root = make.org(code="ROOT")
    early = make.org(code="A-EARLY", parent_id=root["id"])
    late = make.org(code="B-LATE", parent_id=root["id"])
    plan = make.plan(root["id"])
    t = make.target(plan["id"], comparison="at_least", value=90)
    rows = []
    for org, value, recorded in ((early, 95, datetime(2020, 1, 5, 3, tzinfo=UTC)), (late, 80, datetime(2020, 1, 20, 3, tzinfo=UTC))):
        row = Submission(target_id=t["id"], organization_id=org["id"], period_date=date(2019, 12, 31), value=value, recorded_at=recorded)
        session.add(row)
        session.commit()
        session.refresh(row)
        rows.append(row.id)
    path = f"{API}/plans/{plan['id']}/status/organizations"
    cases = [
        ("2020-01-01T00:00:00Z", []),
        ("2020-01-10T00:00:00+07:00", [("A-EARLY", "exceeded", 95)]),
        # no zone: read in the configured zone (Asia/Ho_Chi_Minh), so 10:00 there is 03:00 UTC
        ("2020-01-20T09:59:00", [("A-EARLY", "exceeded", 95)]),
        ("2020-01-20T10:00:00", [("A-EARLY", "exceeded", 95), ("B-LATE", "not_achieved", 80)]),
    ]
    for known_at, expected in cases:
        br = get(client, path, known_at=known_at)
        got = [(o["code"], o["targets"][0]["status"], o["targets"][0]["measured"]) for o in br["organizations"]]
        assert got == expected, known_at
        assert br["known_at"] is not None, known_at


def test_the_breakdown_of_an_unknown_or_bad_plan(client, make):
    assert_problem(client.get(f"{API}/plans/999999/status/organizations"), 404)
    for bad in ("0", "-1", str(MAX_ID + 1)):
        assert_problem(client.get(f"{API}/plans/{bad}/status/organizations"), 422, fields={"path.plan_id"})
    plan = make.plan()
    path = f"{API}/plans/{plan['id']}/status/organizations"
    assert_problem(client.get(path, params={"as_of": "2019-02-30"}), 422, fields={"query.as_of"})
    assert_problem(client.get(path, params={"known_at": "soon"}), 422, fields={"query.known_at"})
    assert_problem(client.get(path, params={"lang": "fr"}), 422, fields={"query.lang"})
    # a plan without figures has nobody to break down
    assert get(client, path)["organizations"] == []


# ------------------------------------------------------------------ by category


def test_categories_are_grouped_in_first_seen_order_with_counts_and_headlines(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    # (category, figure at 31 December against 'at least 90'), in position order
    rows = [("xã hội", 95), ("kinh tế", 80), ("xã hội", 90), ("", None), ("kinh tế", 99)]
    for position, (category, value) in enumerate(rows):
        t = make.target(plan["id"], position=position, category=category, comparison="at_least", value=90)
        if value is not None:
            make.submission(t["id"], period_date="2019-12-31", organization_id=org["id"], value=value)
    st = get(client, f"{API}/plans/{plan['id']}/status")
    groups = st["by_category"]
    assert [(g["key"], g["total"]) for g in groups] == [("xã hội", 2), ("kinh tế", 2), ("", 1)]
    assert [g["counts"] for g in groups] == [counts(exceeded=1, achieved=1), counts(exceeded=1, not_achieved=1), counts(no_data=1)]
    assert [g["headline_vi"] for g in groups] == [
        "Đạt và vượt 2/2 chỉ tiêu, trong đó 1 chỉ tiêu vượt",
        "Đạt và vượt 1/2 chỉ tiêu, trong đó 1 chỉ tiêu vượt; 1 chỉ tiêu không đạt",
        "Đạt và vượt 0/1 chỉ tiêu, trong đó 0 chỉ tiêu vượt; 1 chỉ tiêu chưa có số liệu",
    ]
    assert all(g["headline"] == g["headline_vi"] for g in groups)
    assert sum(g["total"] for g in groups) == st["total"] == 5
    # mid-year the groups speak of pace
    mid = get(client, f"{API}/plans/{plan['id']}/status", as_of="2019-06-30", lang="en")
    assert [(g["key"], g["headline"]) for g in mid["by_category"]] == [
        ("xã hội", "As of 2019-06-30: 0 of 2 targets on track, 0 at risk, 0 off track; 2 without data"),
        ("kinh tế", "As of 2019-06-30: 0 of 2 targets on track, 0 at risk, 0 off track; 2 without data"),
        ("", "As of 2019-06-30: 0 of 1 target on track, 0 at risk, 0 off track; 1 without data"),
    ]
    # a plan without targets has no groups
    assert get(client, f"{API}/plans/{make.plan(org['id'])['id']}/status")["by_category"] == []


def test_seeded_plan_categories(client, seeded):
    plan_id = client.get(f"{API}/plans").json()["items"][0]["id"]
    st = get(client, f"{API}/plans/{plan_id}/status", as_of="2019-12-31")
    groups = st["by_category"]
    assert [(g["key"], g["total"]) for g in groups] == [
        ("kinh tế", 4), ("đô thị", 1), ("văn hóa - xã hội", 2), ("môi trường", 1), ("xây dựng Đảng", 4)]
    assert [g["counts"] for g in groups] == [
        counts(exceeded=1, achieved=1, not_achieved=2),
        counts(achieved=1),
        counts(exceeded=2),
        counts(achieved=1),
        counts(exceeded=2, not_achieved=1, no_data=1),
    ]
    assert [g["headline_vi"] for g in groups] == [
        # grain (03) rests on 5 of the 8 sample wards and communes: provisional
        "Đạt và vượt 2/4 chỉ tiêu, trong đó 1 chỉ tiêu vượt; 2 chỉ tiêu không đạt (1 chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)",
        "Đạt và vượt 1/1 chỉ tiêu, trong đó 0 chỉ tiêu vượt",
        "Đạt và vượt 2/2 chỉ tiêu, trong đó 2 chỉ tiêu vượt",
        "Đạt và vượt 1/1 chỉ tiêu, trong đó 0 chỉ tiêu vượt",
        "Đạt và vượt 2/4 chỉ tiêu, trong đó 2 chỉ tiêu vượt; 1 chỉ tiêu không đạt; 1 chỉ tiêu chưa có số liệu "
        "(1 chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)",
    ]
    assert groups[4]["headline_en"] == (
        "2 of 4 targets achieved or exceeded, 2 exceeded; 1 not achieved; 1 without data (1 provisional: not every unit has reported)")
    # the city's view rolls its units up with each target's rules: exactly the plan (less the target without data);
    # each ward or commune that reported is judged on its own figures, and its value is its line in the city's breakdown
    br = get(client, f"{API}/plans/{plan_id}/status/organizations", as_of="2019-12-31")
    city, *units = br["organizations"]
    assert (city["code"], city["summary"]["total"], city["summary"]["counts"]) == (
        "DB-TPLANGSON", 11, counts(exceeded=5, achieved=3, not_achieved=3))
    assert [o["code"] for o in units] == ["P-CHILANG", "P-DONGKINH", "P-HOANGVANTHU", "P-TAMTHANH", "P-VINHTRAI",
                                          "X-HOANGDONG", "X-MAIPHA", "X-QUANGLAC"]
    rating = next(t for t in st["targets"] if t["code"] == "09")
    assert (rating["explanation"]["units_counted"], rating["explanation"]["units_not_counted"]) == (6, 0)
    own = get(client, f"{API}/targets/{rating['target_id']}/status", as_of="2019-12-31")  # lists every unit
    breakdown = {u["code"]: u["value"] for u in own["explanation"]["units"]}
    for unit in units:
        for t in unit["targets"]:
            if t["code"] == "09":
                assert t["measured"] == pytest.approx(breakdown[unit["code"]]), unit["code"]
