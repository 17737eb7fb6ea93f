"""Targets over HTTP: create/get/list/patch, code uniqueness per plan, definition consistency."""

from __future__ import annotations

from datetime import date

import pytest

from app.organizations.models import Organization
from app.plans.models import Plan
from tests.api.helpers import API, assert_problem, assert_recent_aware, patch_raw, post_raw, total


@pytest.fixture
def plan(session):
    """A 2019 plan and its organisation, stored directly in one commit (the scene for the many
    refusal cases below, which only need a plan to exist)."""
    org = Organization(code="ORG", name="Org")
    session.add(org)
    session.flush()
    row = Plan(code="PLAN", title="Plan", organization_id=org.id, start_date=date(2019, 1, 1), end_date=date(2019, 12, 31))
    session.add(row)
    session.flush()
    ids = {"id": row.id, "organization_id": org.id}
    session.commit()
    return ids


def targets_of(plan_id: int) -> str:
    return f"{API}/plans/{plan_id}/targets"


def target_url(target_id: int) -> str:
    return f"{API}/targets/{target_id}"


# ------------------------------------------------------------------ happy paths


def test_create_echoes_every_field_and_sets_server_fields(client, make):
    """Every field of a full `change` target is stored and echoed; id, plan_id and timestamps come from the server."""
    plan = make.plan()
    body = {
        "code": "06", "title": "Giảm hộ nghèo", "title_en": "Fewer poor households", "category": "văn hóa - xã hội",
        "unit": "%", "comparison": "change", "value": -10.0, "tolerance": 0.5, "direction": "lower_is_better",
        "baseline_value": 4.2, "baseline_date": "2018-12-31", "change_basis": "relative_percent",
        "aggregation": "latest", "clause": "Giảm 10% hộ nghèo", "notes": "ghi chú", "position": 6,
    }
    r = client.post(targets_of(plan["id"]), json=body)
    assert r.status_code == 201, r.text
    target = r.json()
    assert {k: target[k] for k in body} == body
    assert target["plan_id"] == plan["id"]
    assert target["low"] is None and target["high"] is None
    assert isinstance(target["id"], int) and target["id"] >= 1
    assert_recent_aware(target["created_at"])
    assert_recent_aware(target["updated_at"])


def test_create_between_target_with_defaults(client, make):
    """A minimal range target: low/high stored, text fields empty, latest aggregation, position 1 (the first)."""
    plan = make.plan()
    r = client.post(targets_of(plan["id"]), json={"code": "01", "title": "Tăng trưởng", "comparison": "between", "low": 11, "high": 13})
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["low"], t["high"], t["value"], t["tolerance"]) == (11.0, 13.0, None, None)
    assert (t["title_en"], t["category"], t["unit"], t["clause"], t["notes"]) == ("", "", "", "", "")
    assert (t["aggregation"], t["position"], t["direction"], t["change_basis"]) == ("latest", 1, "higher_is_better", None)


DIRECTION_DEFAULTS = [
    ({"comparison": "at_least", "value": 90}, "higher_is_better"),
    ({"comparison": "more_than", "value": 90}, "higher_is_better"),
    ({"comparison": "at_most", "value": 5}, "lower_is_better"),
    ({"comparison": "less_than", "value": 5}, "lower_is_better"),
    ({"comparison": "change", "value": -10, "baseline_value": 100, "change_basis": "absolute"}, "lower_is_better"),
    ({"comparison": "change", "value": 10, "baseline_value": 100, "change_basis": "absolute"}, "higher_is_better"),
    ({"comparison": "between", "low": 1, "high": 2}, "higher_is_better"),
    ({"comparison": "milestone"}, "higher_is_better"),
    ({"comparison": "at_most", "value": 5, "direction": "higher_is_better"}, "higher_is_better"),
    ({"comparison": "at_least", "value": 5, "direction": "lower_is_better"}, "lower_is_better"),
]


def test_direction_defaults_and_explicit_direction_wins(client, make, plan):
    """Ceilings and cuts default to lower-is-better, everything else higher; an explicit direction is kept."""
    for definition, direction in DIRECTION_DEFAULTS:
        t = make.target(plan["id"], **{"value": None, **definition})
        assert t["direction"] == direction, definition
        assert client.get(target_url(t["id"])).json()["direction"] == direction


def test_get_returns_what_create_returned(client, make):
    t = make.target(make.plan()["id"])
    r = client.get(target_url(t["id"]))
    assert r.status_code == 200 and r.json() == t


def test_list_is_in_position_order_and_pages(client, make):
    """A plan's targets list by position, then id, and only that plan's targets count."""
    plan = make.plan()
    c = make.target(plan["id"], position=3)
    a = make.target(plan["id"], position=1)
    b2 = make.target(plan["id"], position=2)
    b1_later = make.target(plan["id"], position=2)
    make.target(make.plan()["id"])  # another plan's target
    page = client.get(targets_of(plan["id"])).json()
    assert page["total"] == 4
    assert [t["id"] for t in page["items"]] == [a["id"], b2["id"], b1_later["id"], c["id"]]
    page = client.get(targets_of(plan["id"]), params={"limit": 2, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert [t["id"] for t in page["items"]] == [b2["id"], b1_later["id"]]
    assert_problem(client.get(targets_of(plan["id"]), params={"limit": 501}), 422, fields={"query.limit"})


def test_a_new_target_goes_after_the_last_unless_given_a_position(client, make):
    """Issue 16: a target added without a position lists last (it used to get 0 and list first)."""
    plan = make.plan()
    first = make.target(plan["id"], position=5)
    second = make.target(plan["id"])
    assert second["position"] == 6
    front = make.target(plan["id"], position=0)
    last = make.target(plan["id"])
    assert last["position"] == 7
    listed = [t["id"] for t in client.get(targets_of(plan["id"])).json()["items"]]
    assert listed == [front["id"], first["id"], second["id"], last["id"]]
    # several at once (parsing text with apply, an import): each after the one before
    rows = "code,title,comparison,value\nI1,A,at_least,1\nI2,B,at_least,1\n"
    r = client.post(f"{API}/plans/{plan['id']}/import/targets", files={"file": ("t.csv", rows.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["stored"], r.text
    positions = {t["code"]: t["position"] for t in client.get(targets_of(plan["id"])).json()["items"]}
    assert (positions["I1"], positions["I2"]) == (8, 9)


def test_list_filters_by_category(client, make):
    """category matches exactly, Vietnamese text included."""
    plan = make.plan()
    party = [make.target(plan["id"], category="xây dựng Đảng")["id"] for _ in range(2)]
    make.target(plan["id"], category="kinh tế")
    page = client.get(targets_of(plan["id"]), params={"category": "xây dựng Đảng"}).json()
    assert page["total"] == 2 and [t["id"] for t in page["items"]] == party
    assert client.get(targets_of(plan["id"]), params={"category": "xây dựng"}).json()["total"] == 0
    assert_problem(client.get(targets_of(plan["id"]), params={"category": "a\x00"}), 422, fields={"query.category"})
    assert_problem(client.get(targets_of(plan["id"]), params={"category": "c" * 121}), 422, fields={"query.category"})


def test_same_code_in_two_plans_is_fine(client, make):
    """Target codes are unique within one plan only."""
    p1, p2 = make.plan(), make.plan()
    make.target(p1["id"], code="01")
    r = client.post(targets_of(p2["id"]), json={"code": "01", "title": "T", "comparison": "at_least", "value": 1})
    assert r.status_code == 201, r.text


def test_duplicate_code_in_one_plan_is_409(client, make):
    """A second target with the same code in the same plan is a conflict, on create and on PATCH."""
    plan = make.plan()
    make.target(plan["id"], code="01")
    other = make.target(plan["id"], code="02")
    r = client.post(targets_of(plan["id"]), json={"code": "01", "title": "T", "comparison": "at_least", "value": 1})
    assert_problem(r, 409)
    assert total(client, targets_of(plan["id"])) == 2
    assert_problem(client.patch(target_url(other["id"]), json={"code": "01"}), 409)
    assert client.get(target_url(other["id"])).json() == other


def test_patch_changes_only_the_given_fields(client, make):
    """PATCH tolerance on an `approximately` target leaves the rest as stored."""
    t = make.target(make.plan()["id"], comparison="approximately", value=95, category="môi trường", clause="khoảng 95%")
    r = client.patch(target_url(t["id"]), json={"tolerance": 0.5})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["tolerance"] == 0.5
    unchanged = {k: v for k, v in t.items() if k not in ("tolerance", "updated_at")}
    assert {k: got[k] for k in unchanged} == unchanged
    assert client.get(target_url(t["id"])).json() == got


def test_patch_can_switch_kind_when_the_result_is_consistent(client, make):
    """Changing the comparison together with the fields it needs is accepted; optional numbers may be cleared."""
    t = make.target(make.plan()["id"], comparison="approximately", value=5, tolerance=1)
    r = client.patch(target_url(t["id"]), json={"comparison": "between", "value": None, "tolerance": None, "low": 4, "high": 6})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["comparison"], got["value"], got["tolerance"], got["low"], got["high"]) == ("between", None, None, 4.0, 6.0)


# ------------------------------------------------------------------ definition consistency


BAD_DEFINITIONS = [
    ({"comparison": "between", "low": 11}, "high"),
    ({"comparison": "between", "high": 13}, "low"),
    ({"comparison": "between", "low": 13, "high": 11}, "low"),
    ({"comparison": "between", "low": 11, "high": 13, "value": 12}, "value"),
    ({"comparison": "at_least"}, "value"),
    ({"comparison": "at_least", "value": 5, "low": 1}, "low"),
    ({"comparison": "at_most", "value": 5, "high": 9}, "high"),
    ({"comparison": "at_least", "value": 5, "tolerance": 1}, "tolerance"),
    ({"comparison": "at_most", "value": 5, "tolerance": 1}, "tolerance"),
    ({"comparison": "equal", "value": 5, "tolerance": 1}, "tolerance"),
    ({"comparison": "approximately", "value": 5, "tolerance": -1}, "tolerance"),
    ({"comparison": "at_least", "value": 5, "change_basis": "absolute"}, "change_basis"),
    ({"comparison": "change", "value": 5, "change_basis": "absolute"}, "baseline_value"),
    ({"comparison": "change", "value": 5, "baseline_value": 10}, "change_basis"),
    ({"comparison": "change", "baseline_value": 10, "change_basis": "absolute"}, "value"),
    ({"comparison": "change", "value": 5, "baseline_value": 0, "change_basis": "relative_percent"}, "baseline_value"),
    ({"comparison": "milestone", "value": 1}, "value"),
    ({"comparison": "milestone", "tolerance": 1}, "tolerance"),
    ({"comparison": "milestone", "baseline_value": 1}, "baseline_value"),
    ({"comparison": "milestone", "low": 1, "high": 2}, "low"),
    ({"comparison": "milestone", "aggregation": "sum"}, "aggregation"),
    ({"comparison": "nearly", "value": 1}, "comparison"),
    ({"comparison": "at_least", "value": 1, "direction": "sideways"}, "direction"),
    ({"comparison": "at_least", "value": 1, "aggregation": "median"}, "aggregation"),
    ({"comparison": "change", "value": 1, "baseline_value": 1, "change_basis": "ratio"}, "change_basis"),
    ({"value": 1}, "comparison"),
]


@pytest.mark.parametrize(("definition", "field"), BAD_DEFINITIONS)
def test_inconsistent_definition_is_422_naming_the_field(client, plan, definition, field):
    """Each inconsistency of a definition is a 422 with the offending field; nothing is stored."""
    r = client.post(targets_of(plan["id"]), json={"code": "X", "title": "T", **definition})
    assert_problem(r, 422, fields={field})
    assert total(client, targets_of(plan["id"])) == 0


@pytest.mark.parametrize(
    ("start", "change", "field"),
    [
        ({"comparison": "at_least", "value": 90}, {"comparison": "between"}, "low"),
        ({"comparison": "at_least", "value": 90}, {"tolerance": 1}, "tolerance"),
        ({"comparison": "at_least", "value": 90}, {"value": None}, "value"),
        ({"comparison": "at_least", "value": 90}, {"comparison": "milestone"}, "value"),
        ({"comparison": "at_least", "value": 90}, {"comparison": "change"}, "baseline_value"),
        ({"comparison": "between", "value": None, "low": 11, "high": 13}, {"low": 14}, "low"),
        ({"comparison": "between", "value": None, "low": 11, "high": 13}, {"high": None}, "high"),
        ({"comparison": "approximately", "value": 5, "tolerance": 1}, {"comparison": "at_least"}, "tolerance"),
        ({"comparison": "change", "value": -10, "baseline_value": 4, "change_basis": "relative_percent"},
         {"baseline_value": 0}, "baseline_value"),
        ({"comparison": "change", "value": -10, "baseline_value": 4, "change_basis": "absolute"},
         {"change_basis": None}, "change_basis"),
        ({"comparison": "milestone", "value": None}, {"aggregation": "max"}, "aggregation"),
    ],
)
def test_patch_making_the_definition_inconsistent_is_422_and_changes_nothing(client, make, plan, start, change, field):
    """The definition after a PATCH must be consistent; if not, 422 and the stored target is untouched."""
    t = make.target(plan["id"], **start)
    r = client.patch(target_url(t["id"]), json={**change, "title": "should not be kept"})
    assert_problem(r, 422, fields={field})
    assert client.get(target_url(t["id"])).json() == t


@pytest.mark.parametrize("field", ["code", "title", "title_en", "category", "unit", "comparison", "direction", "aggregation",
                                   "clause", "notes", "position"])
def test_patch_null_on_a_required_field_is_422_and_changes_nothing(client, make, plan, field):
    """Only the numeric definition fields may be cleared; null elsewhere is refused."""
    t = make.target(plan["id"])
    r = client.patch(target_url(t["id"]), json={field: None})
    assert_problem(r, 422, fields={field})
    assert client.get(target_url(t["id"])).json() == t


# ------------------------------------------------------------------ bad input


INVALID_CREATE_CHANGES = [
    ({"code": ""}, "code"),
    ({"code": "a b"}, "code"),
    ({"title": ""}, "title"),
    ({"title": "t" * 501}, "title"),
    ({"title": "x\x00y"}, "title"),
    ({"title_en": "t" * 501}, "title_en"),
    ({"unit": "u" * 121}, "unit"),
    ({"category": "\x00"}, "category"),
    ({"clause": "c" * 20_001}, "clause"),
    ({"value": 1e16}, "value"),
    ({"value": -1e16}, "value"),
    ({"value": "ninety"}, "value"),
    ({"baseline_date": "1899-12-31"}, "baseline_date"),
    ({"baseline_date": "2101-01-01"}, "baseline_date"),
    ({"position": -1}, "position"),
    ({"position": 1_000_001}, "position"),
    ({"plan_id": 1}, "plan_id"),
    ({"threshold": 1}, "threshold"),
]


def test_invalid_create_bodies_are_422_and_store_nothing(client, plan):
    """Bad codes, empty/over-long/NUL text, figures beyond ±1e15, dates outside 1900–2100, positions out
    of range, unknown fields: each case is a 422 naming the field, and nothing is stored.
    (One test, many cases: these never reach the database.)"""
    for change, field in INVALID_CREATE_CHANGES:
        body = {"code": "X", "title": "T", "comparison": "at_least", "value": 5, **change}
        r = client.post(targets_of(plan["id"]), json=body)
        assert r.status_code == 422, (change, r.text)
        assert_problem(r, 422, fields={field})
    assert total(client, targets_of(plan["id"])) == 0


def test_non_finite_numbers_are_422(client, plan):
    """NaN and ±Infinity (which Python's JSON parser accepts) are refused in every figure field."""
    for field in ("value", "low", "high", "tolerance", "baseline_value"):
        for literal in ("NaN", "Infinity", "-Infinity"):
            raw = f'{{"code": "X", "title": "T", "comparison": "approximately", "value": 5, "{field}": {literal}}}'
            r = post_raw(client, targets_of(plan["id"]), raw)
            assert r.status_code == 422, (field, literal, r.text)
            assert_problem(r, 422, fields={field})
    assert total(client, targets_of(plan["id"])) == 0


def test_non_finite_number_in_patch_is_422(client, make):
    t = make.target(make.plan()["id"])
    r = patch_raw(client, target_url(t["id"]), '{"value": NaN}')
    assert_problem(r, 422, fields={"value"})
    assert client.get(target_url(t["id"])).json() == t


def test_unknown_plan_or_target_is_404(client):
    body = {"code": "X", "title": "T", "comparison": "at_least", "value": 5}
    assert_problem(client.post(targets_of(777_777), json=body), 404)
    assert_problem(client.get(targets_of(777_777)), 404)
    assert_problem(client.get(target_url(777_777)), 404)
    assert_problem(client.patch(target_url(777_777), json={"title": "x"}), 404)


def test_direction_follows_the_default_when_the_value_changes_sign(client, make):
    """A change target PATCHed from +10 to -10 becomes lower-is-better, unless the client chose a direction."""
    plan = make.plan()
    t = make.target(plan["id"], comparison="change", value=10, baseline_value=100, change_basis="relative_percent")
    assert t["direction"] == "higher_is_better"
    r = client.patch(f"/api/v1/targets/{t['id']}", json={"value": -10})
    assert r.status_code == 200 and r.json()["direction"] == "lower_is_better"
    chosen = make.target(plan["id"], comparison="at_least", value=5, direction="lower_is_better")
    r = client.patch(f"/api/v1/targets/{chosen['id']}", json={"value": 6})
    assert r.json()["direction"] == "lower_is_better"
    r = client.patch(f"/api/v1/targets/{chosen['id']}", json={"comparison": "at_most"})
    assert r.json()["direction"] == "lower_is_better"
