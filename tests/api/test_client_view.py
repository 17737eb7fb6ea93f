"""Issue 16, a client's view: codes as well as ids (item 4), a JSON batch of figures through the import's
one write path (item 5), and lists with one vocabulary (item 6). SQLite and PostgreSQL (the conftest app)."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import API, assert_problem

PLANS, ORGS = f"{API}/plans", f"{API}/organizations"


def counts(report: dict) -> tuple[int, int, int, int]:
    c = report["counts"]
    return c["created"], c["updated"], c["ignored"], c["failed"]


def figures(client, target_id: int, **params) -> list[dict]:
    r = client.get(f"{API}/targets/{target_id}/submissions", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def links(response) -> dict[str, str]:
    """rel -> URL of an RFC 8288 Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]*)>;\s*rel="([^"]+)"', response.headers.get("link", ""))}


# ------------------------------------------------------------------ item 4: codes as well as ids


def test_code_filters_plans_organisations_and_targets(client, make):
    root = make.org(code="TINH", name="Tỉnh ủy")
    make.org(code="HUYEN", name="Huyện ủy", parent_id=root["id"])
    plan = make.plan(root["id"], code="NQ-2019")
    make.plan(root["id"], code="NQ-2020", start_date="2020-01-01", end_date="2020-12-31")
    make.target(plan["id"], code="01")
    make.target(plan["id"], code="02")
    for url, code, total in ((PLANS, "NQ-2019", 2), (ORGS, "HUYEN", 2), (f"{PLANS}/{plan['id']}/targets", "02", 2)):
        assert client.get(url).json()["total"] == total
        page = client.get(url, params={"code": code}).json()
        assert page["total"] == 1 and [row["code"] for row in page["items"]] == [code]
        assert client.get(url, params={"code": "NO-SUCH"}).json() == {"items": [], "total": 0, "limit": 100, "offset": 0}


def test_a_figure_names_its_unit_by_code_exactly_one_of_id_and_code(client, make):
    root = make.org(code="TP")
    ward = make.org(code="P-1", parent_id=root["id"])
    target = make.target(make.plan(root["id"])["id"])
    url = f"{API}/targets/{target['id']}/submissions"
    by_code = client.post(url, json={"value": 91, "period_date": "2019-06-30", "organization_code": "P-1"})
    assert by_code.status_code == 201, by_code.text
    assert by_code.json()["organization_id"] == ward["id"]
    base = {"value": 92, "period_date": "2019-09-30"}
    assert_problem(client.post(url, json=base), 422, fields={"organization_id"})
    both = client.post(url, json={**base, "organization_id": root["id"], "organization_code": "TP"})
    assert_problem(both, 422, fields={"organization_id"})
    unknown = client.post(url, json={**base, "organization_code": "NOWHERE"})
    assert_problem(unknown, 422, fields={"organization_code"})
    assert "NOWHERE" in unknown.json()["errors"][0]["message"]
    # a correction may name it by code too
    fixed = client.post(
        f"{API}/submissions/{by_code.json()['id']}/corrections",
        json={"value": 90, "period_date": "2019-06-30", "organization_code": "P-1", "reason": "số chính thức"},
    )
    assert fixed.status_code == 201, fixed.text
    assert [(f["organization_id"], f["value"]) for f in figures(client, target["id"])] == [(ward["id"], 90.0)]


# ------------------------------------------------------------------ item 5: a JSON batch, the import's write path


def batch(client, plan_id: int, body, **params):
    return client.post(f"{PLANS}/{plan_id}/submissions/batch", json=body, params=params)


def test_batch_by_ids_or_codes_dry_run_then_stored_then_ignored(client, make):
    root = make.org(code="TP")
    ward = make.org(code="P-1", parent_id=root["id"])
    plan = make.plan(root["id"])
    level = make.target(plan["id"], code="01", value=90)
    share = make.target(plan["id"], code="02", value=50)
    body = [
        {"target_code": "01", "organization_code": "TP", "period_date": "2019-06-30", "value": 85.5, "is_estimate": True},
        {"target_id": share["id"], "organization_id": ward["id"], "period_date": "2019-06-30", "numerator": 14, "denominator": 20},
        {"target_id": level["id"], "organization_code": "P-1", "period_date": "30/06/2019", "value": "1.234,5", "note": "ước"},
    ]
    dry = batch(client, plan["id"], body, dry_run="true")
    assert dry.status_code == 200, dry.text
    assert counts(dry.json()) == (3, 0, 0, 0) and dry.json()["stored"] is False and dry.json()["format"] == "json"
    assert figures(client, level["id"]) == []
    stored = batch(client, plan["id"], body).json()
    assert counts(stored) == (3, 0, 0, 0) and stored["stored"] is True and stored["kind"] == "submissions"
    assert sorted((f["organization_id"], f["value"], f["is_estimate"]) for f in figures(client, level["id"])) == [
        (root["id"], 85.5, True),
        (ward["id"], 1234.5, False),
    ]
    assert [(f["numerator"], f["denominator"]) for f in figures(client, share["id"])] == [(14.0, 20.0)]
    again = batch(client, plan["id"], body).json()
    assert counts(again) == (0, 0, 3, 0) and again["stored"] is False
    # a different figure for a key in force corrects it, as the CSV import does
    changed = batch(client, plan["id"], [{**body[0], "value": 86}]).json()
    assert counts(changed) == (0, 1, 0, 0)
    newest = [f for f in figures(client, level["id"], versions="all") if f["kind"] == "correction"]
    assert [(f["value"], f["reason"]) for f in newest] == [(86.0, "import: json row 1")]


def test_batch_is_all_or_nothing_with_the_imports_report_and_keep_good_rows(client, make):
    root = make.org(code="TP")
    stranger = make.org(code="XA")
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    good = {"target_code": "01", "organization_code": "TP", "period_date": "2019-06-30", "value": 80}
    body = [
        good,
        {"target_code": "01", "organization_code": "NOWHERE", "period_date": "2019-06-30", "value": 1},
        {"target_id": 999_999, "organization_id": root["id"], "period_date": "2019-06-30", "value": 1},
        {"target_code": "01", "organization_id": stranger["id"], "period_date": "2019-06-30", "value": 1},
        {"target_code": "01", "target_id": target["id"], "organization_code": "TP", "period_date": "2019-07-31", "value": 1},
        {"organization_code": "TP", "period_date": "2019-08-31", "value": 1},
        {"target_code": "01", "organization_code": "TP", "period_date": "2020-06-30", "value": 1},
        {"target_code": "01", "organization_code": "TP", "period_date": "2019-09-30", "value": "3,098"},
        {"target_code": "01", "organization_code": "TP", "period_date": "2019-10-31"},
    ]
    report = batch(client, plan["id"], body).json()
    assert counts(report) == (1, 0, 0, 8) and report["stored"] is False
    assert "all-or-nothing" in report["summary"] and figures(client, target["id"]) == []
    by_row = {e["row"]: e for e in report["errors"]}
    assert set(by_row) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert (by_row[2]["field"], by_row[2]["value"]) == ("organization_code", "NOWHERE")
    assert by_row[3]["field"] == "target_id" and "no target with id 999999" in by_row[3]["reason"]
    assert by_row[4]["field"] == "organization_id" and "the plan's organisation or one under it" in by_row[4]["reason"]
    assert by_row[5]["field"] == "target_id" and "not both" in by_row[5]["reason"]
    assert by_row[6]["field"] == "target_code" and "target_code or target_id" in by_row[6]["reason"]
    assert by_row[7]["field"] == "period_date" and "within the plan's period" in by_row[7]["reason"]
    assert by_row[8]["field"] == "value" and "ambiguous" in by_row[8]["reason"]
    assert "exactly one of" in by_row[9]["reason"]
    kept = batch(client, plan["id"], body, keep_good_rows="true").json()
    assert counts(kept) == (1, 0, 0, 8) and kept["stored"] is True
    assert [f["value"] for f in figures(client, target["id"])] == [80.0]


def test_batch_structure_problems_store_nothing_and_bad_bodies_are_problems(client, make):
    root = make.org(code="TP")
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    good = {"target_code": "01", "organization_code": "TP", "period_date": "2019-06-30", "value": 80}
    report = batch(client, plan["id"], [good, {**good, "valeu": 3}, 7, {**good, "note": {"a": 1}}, {**good, "value": 10**30}]).json()
    assert report["stored"] is False and counts(report)[3] == 5
    reasons = " | ".join(e["reason"] for e in report["errors"])
    assert "unknown field 'valeu'" in reasons and "not an object" in reasons and "'note' must be" in reasons
    assert "'value' is out of range" in reasons
    huge_id = batch(client, plan["id"], [{**good, "organization_code": None, "organization_id": 10**12}]).json()
    assert counts(huge_id)[3] == 1 and "is not an id" in huge_id["errors"][0]["reason"]
    assert_problem(client.post(f"{PLANS}/{plan['id']}/submissions/batch", json={"figures": [good]}), 422)
    bad_json = client.post(
        f"{PLANS}/{plan['id']}/submissions/batch", content=b"[{", headers={"content-type": "application/json"}
    )
    assert_problem(bad_json, 422)
    # the import's limits: bodies up to 5 MiB (not the API's 1 MiB), no more
    big = client.post(
        f"{PLANS}/{plan['id']}/submissions/batch", content=b" " * (6 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"


def test_a_reporter_batches_only_its_own_units(client, make, key_for):
    root = make.org(code="TP")
    ward = make.org(code="P-1", parent_id=root["id"])
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    reporter = key_for("reporter", ward["id"])
    body = [
        {"target_code": "01", "organization_code": "P-1", "period_date": "2019-06-30", "value": 1},
        {"target_code": "01", "organization_code": "TP", "period_date": "2019-06-30", "value": 2},
    ]
    r = client.post(f"{PLANS}/{plan['id']}/submissions/batch", json=body, headers=reporter)
    report = r.json()
    assert counts(report) == (1, 0, 0, 1) and "outside the scope" in report["errors"][0]["reason"]


def test_the_json_export_of_figures_posts_back_unchanged(client, seeded):
    export = client.get(f"{PLANS}/1/export", params={"content": "submissions", "format": "json"})
    assert export.status_code == 200, export.text
    rows = export.json()
    assert rows and {"id", "recorded_at"} <= set(rows[0])
    report = batch(client, 1, rows).json()
    assert counts(report) == (0, 0, len(rows), 0), report


# ------------------------------------------------------------------ item 6: lists


def test_unknown_query_parameters_are_a_400_naming_them(client, make):
    plan = make.plan()
    r = client.get(PLANS, params={"colour": "red", "limit": 5})
    assert_problem(r, 400, fields={"query.colour"})
    assert "colour" in r.json()["detail"] and "limit" in r.json()["detail"]  # and what the route does take
    target = make.target(plan["id"])
    assert_problem(client.get(f"{API}/targets/{target['id']}/status", params={"asof": "2019-06-30"}), 400)
    # a write too: nothing stored
    url = f"{API}/targets/{target['id']}/submissions"
    body = {"value": 1, "period_date": "2019-06-30", "organization_id": plan["organization_id"]}
    assert_problem(client.post(url, json=body, params={"dryrun": "true"}), 400)
    assert figures(client, target["id"]) == []


def test_sort_q_total_and_link_headers(client, make):
    root = make.org(name="Thành ủy Lạng Sơn")
    plan = make.plan(root["id"])
    for code, title in (("C", "Tỷ lệ hộ nghèo"), ("A", "Sản lượng lương thực"), ("B", "Tỷ lệ che phủ rừng")):
        make.target(plan["id"], code=code, title=title)
    url = f"{PLANS}/{plan['id']}/targets"
    assert [t["code"] for t in client.get(url).json()["items"]] == ["C", "A", "B"]  # position: as added
    assert [t["code"] for t in client.get(url, params={"sort": "code"}).json()["items"]] == ["A", "B", "C"]
    assert [t["code"] for t in client.get(url, params={"sort": "-code"}).json()["items"]] == ["C", "B", "A"]
    assert_problem(client.get(url, params={"sort": "colour"}), 422, fields={"query.sort"})
    searched = client.get(url, params={"q": "tỷ lệ"}).json()
    assert searched["total"] == 2 and {t["code"] for t in searched["items"]} == {"B", "C"}
    assert client.get(ORGS, params={"q": "lạng sơn"}).json()["total"] == 1
    assert client.get(PLANS, params={"q": "pla"}).json()["total"] == 1  # "Plan"
    assert client.get(url, params={"q": "50%_"}).json()["total"] == 0  # LIKE's wildcards are text
    # paging: total and RFC 8288 links, the other parameters kept
    first = client.get(url, params={"sort": "code", "limit": 1})
    assert first.json()["total"] == 3 and [t["code"] for t in first.json()["items"]] == ["A"]
    assert set(links(first)) == {"next"}
    second = client.get(links(first)["next"])
    assert [t["code"] for t in second.json()["items"]] == ["B"] and set(links(second)) == {"next", "prev"}
    assert "sort=code" in links(second)["next"]
    last = client.get(links(second)["next"])
    assert [t["code"] for t in last.json()["items"]] == ["C"] and set(links(last)) == {"prev"}
    assert client.get(links(last)["prev"]).json()["items"] == second.json()["items"]
    assert "link" not in client.get(url).headers  # one page holds it all


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/plans",
        "/api/v1/organizations",
        "/api/v1/plans/{plan_id}/targets",
        "/api/v1/targets/{target_id}/submissions",
        "/api/v1/targets/{target_id}/assessments",
        "/api/v1/audit-events",
        "/api/v1/api-keys",
    ],
)
def test_every_list_documents_the_one_vocabulary(app, path):
    operation = app.openapi()["paths"][path]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"limit", "offset", "sort"} <= names, names
    assert not names & {"since", "until", "order"}
    assert "400" in operation["responses"]
    if path.endswith(("submissions", "audit-events")):
        assert {"from", "to"} <= names


def test_audit_events_take_from_and_to_like_figures(client, make):
    make.org()
    r = client.get(f"{API}/audit-events", params={"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"})
    assert r.status_code == 200 and r.json()["total"] >= 1
    assert_problem(client.get(f"{API}/audit-events", params={"since": "2000-01-01T00:00:00Z"}), 400, fields={"query.since"})
