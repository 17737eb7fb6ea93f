"""The SVG charts and the badge: well-formed SVG with the labels in the asked language, cacheable."""

from __future__ import annotations

from lxml import etree

from tests.api.helpers import API, assert_problem

SVG = "image/svg+xml"


def svg_of(client, path: str, **params):
    r = client.get(f"{API}{path}", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == SVG
    root = etree.fromstring(r.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return r, "".join(root.itertext())


def test_target_chart_shows_figures_goal_path_forecast_and_as_of(client, anonymous, seeded):
    r, text = svg_of(client, "/targets/3/chart.svg", as_of="2019-06-30")
    assert "Tổng sản lượng lương thực có hạt" in text
    assert "Kế hoạch: Trên 5.000 tấn" in text  # the goal, Vietnamese number format
    assert "Tiến độ cần đạt" in text and "Thực hiện" in text
    assert "Dự báo cả kỳ: 4.738,95 tấn" in text  # the forecast (dashed)
    assert "Số liệu đến ngày 30/06/2019" in text  # as_of marked
    # an answer to a keyed request is never stored (app/security.py); a portal's anonymous one may be
    assert r.headers["cache-control"] == "no-store" and r.headers["etag"].startswith('"')
    public = anonymous.get(f"{API}/targets/3/chart.svg", params={"as_of": "2019-06-30"})
    assert public.headers["cache-control"] == "public, max-age=300" and public.headers["etag"] == r.headers["etag"]
    _, english = svg_of(client, "/targets/3/chart.svg", as_of="2019-06-30", lang="en")
    assert "Plan: More than 5,000 tấn" in english and "Expected path" in english


def test_a_range_target_draws_its_band(client, seeded):
    r = client.get(f"{API}/targets/1/chart.svg", params={"as_of": "2019-12-31"})
    assert r.status_code == 200
    assert "Kế hoạch: Từ 11 đến 13%" in "".join(etree.fromstring(r.content).itertext())


def test_plan_chart_counts_verdicts_per_category(client, seeded):
    _, text = svg_of(client, "/plans/1/chart.svg", as_of="2019-12-31")
    for word in ("kinh tế", "xây dựng Đảng", "Vượt", "Đạt", "Không đạt", "Chưa có số liệu", "Số chỉ tiêu"):
        assert word in text


def test_badge_says_value_and_verdict_in_its_colour(client, seeded):
    r, text = svg_of(client, "/targets/3/badge.svg", as_of="2019-12-31")
    assert "Tổng sản lượng lương thực có hạt" in text and "5.130 tấn · Vượt" in text
    assert b"#116329" in r.content  # exceeded's colour
    _, english = svg_of(client, "/targets/3/badge.svg", as_of="2019-12-31", lang="en")
    assert "5,130 tấn · Exceeded" in english


def test_charts_are_the_same_bytes_for_the_same_evaluation_and_answer_304(client, seeded):
    for path in ("/targets/3/chart.svg", "/targets/3/badge.svg", "/plans/1/chart.svg"):
        first = client.get(f"{API}{path}", params={"as_of": "2019-12-31"})
        second = client.get(f"{API}{path}", params={"as_of": "2019-12-31"})
        assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
        cached = client.get(f"{API}{path}", params={"as_of": "2019-12-31"}, headers={"If-None-Match": first.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""
        assert client.get(f"{API}{path}", params={"as_of": "2019-12-31", "lang": "en"}).headers["etag"] != first.headers["etag"]


def test_a_draft_plans_charts_are_private(client, make):
    plan = make.plan(state="draft")
    target = make.target(plan["id"])
    r = client.get(f"{API}/targets/{target['id']}/badge.svg")
    # a draft is read with a key only, and what a key reads is never stored
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert client.get(f"{API}/plans/{plan['id']}/chart.svg").headers["cache-control"] == "no-store"


def test_unknown_target_is_a_problem(client, seeded):
    assert_problem(client.get(f"{API}/targets/999/chart.svg"), 404)
    assert_problem(client.get(f"{API}/targets/999/badge.svg"), 404)
