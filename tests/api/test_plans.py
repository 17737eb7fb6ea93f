"""Plans over HTTP: create/get/list/patch, the period rule, filters and bad input."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, MAX_ID, assert_problem, assert_recent_aware, total

PLANS = f"{API}/plans"


def _body(org_id: int, **kw) -> dict:
    return {"code": "NQ-2020", "title": "Mục tiêu năm 2020", "organization_id": org_id,
            "start_date": "2020-01-01", "end_date": "2020-12-31", **kw}


# ------------------------------------------------------------------ happy paths


def test_create_echoes_every_field_and_sets_server_fields(client, make):
    """Every field a client sets is stored and echoed; id and timestamps come from the server."""
    org = make.org()
    body = _body(
        org["id"],
        adopted_date="2019-12-10",
        adopted_by="Hội nghị Ban Chấp hành Đảng bộ thành phố",
        theme="Tăng cường kỷ luật, kỷ cương",
        source_text="Nguyên văn nghị quyết…",
        source_url="https://example.org/nq-2020",
        state="active",
        notes="Ghi chú",
    )
    r = client.post(PLANS, json=body)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert {k: plan[k] for k in body} == body
    assert isinstance(plan["id"], int) and plan["id"] >= 1
    assert_recent_aware(plan["created_at"])
    assert_recent_aware(plan["updated_at"])


def test_create_defaults(client, make):
    """Optional fields default to empty text, no adoption date and the draft state."""
    r = client.post(PLANS, json=_body(make.org()["id"]))
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["state"] == "draft" and plan["adopted_date"] is None
    assert [plan[k] for k in ("adopted_by", "theme", "source_text", "source_url", "notes")] == [""] * 5


def test_a_one_day_period_is_allowed(client, make):
    """end_date equal to start_date is a valid (one-day) period."""
    r = client.post(PLANS, json=_body(make.org()["id"], start_date="2020-05-05", end_date="2020-05-05"))
    assert r.status_code == 201, r.text


def test_get_returns_what_create_returned(client, make):
    plan = make.plan()
    r = client.get(f"{PLANS}/{plan['id']}")
    assert r.status_code == 200 and r.json() == plan


def test_list_is_newest_period_first_and_pages(client, make):
    """Plans list by start_date descending (then id); limit/offset page with the full total."""
    org = make.org()["id"]
    p2018 = make.plan(org, start_date="2018-01-01", end_date="2018-12-31")
    p2020 = make.plan(org, start_date="2020-01-01", end_date="2020-12-31")
    p2019a = make.plan(org)
    p2019b = make.plan(org)
    page = client.get(PLANS).json()
    assert page["total"] == 4
    assert [p["id"] for p in page["items"]] == [p2020["id"], p2019a["id"], p2019b["id"], p2018["id"]]
    page = client.get(PLANS, params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 2)
    assert [p["id"] for p in page["items"]] == [p2019b["id"], p2018["id"]]
    assert_problem(client.get(PLANS, params={"limit": 501}), 422, fields={"query.limit"})


def test_list_filters_by_organisation_state_and_year(client, make):
    """organization_id, state and year (a period touching that year) narrow the list, alone or together."""
    a, b = make.org()["id"], make.org()["id"]
    p1 = make.plan(a, state="active")  # 2019
    p2 = make.plan(a, state="closed", start_date="2018-01-01", end_date="2018-12-31")
    p3 = make.plan(b, state="draft", start_date="2018-07-01", end_date="2020-06-30")  # touches 2018..2020

    def ids(**params):
        page = client.get(PLANS, params=params).json()
        assert page["total"] == len(page["items"])
        return sorted(p["id"] for p in page["items"])

    assert ids(organization_id=a) == sorted([p1["id"], p2["id"]])
    assert ids(organization_id=b) == [p3["id"]]
    assert ids(state="active") == [p1["id"]]
    assert ids(state="closed") == [p2["id"]]
    assert ids(state="draft") == [p3["id"]]
    assert ids(year=2019) == sorted([p1["id"], p3["id"]])
    assert ids(year=2018) == sorted([p2["id"], p3["id"]])
    assert ids(year=2020) == [p3["id"]]
    assert ids(year=2021) == []
    assert ids(organization_id=a, year=2018) == [p2["id"]]
    assert ids(organization_id=a, state="active", year=2018) == []


def test_list_rejects_bad_filters(client):
    """state is one of the states, year 1900..2100, organization_id a valid id."""
    for params in ({"state": "open"}, {"year": 1899}, {"year": 2101}, {"year": "soon"}, {"organization_id": 0},
                   {"organization_id": MAX_ID + 1}):
        assert_problem(client.get(PLANS, params=params), 422, fields={f"query.{next(iter(params))}"})


def test_patch_changes_only_the_given_fields(client, make):
    """PATCH state and notes; every other field, and created_at, stays."""
    plan = make.plan(theme="Chủ đề", adopted_date="2018-12-11")
    r = client.patch(f"{PLANS}/{plan['id']}", json={"state": "closed", "notes": "Đã tổng kết"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["state"] == "closed" and got["notes"] == "Đã tổng kết"
    unchanged = {k: v for k, v in plan.items() if k not in ("state", "notes", "updated_at")}
    assert {k: got[k] for k in unchanged} == unchanged
    assert client.get(f"{PLANS}/{plan['id']}").json() == got


def test_patch_can_move_the_period_and_clear_the_adoption_date(client, make):
    """Both ends may move together; adopted_date is the one field that may be cleared."""
    plan = make.plan(adopted_date="2018-12-11")
    r = client.patch(f"{PLANS}/{plan['id']}", json={"start_date": "2021-01-01", "end_date": "2021-12-31", "adopted_date": None})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["start_date"], got["end_date"], got["adopted_date"]) == ("2021-01-01", "2021-12-31", None)


def test_patch_to_another_organisation(client, make):
    plan = make.plan()
    other = make.org()
    r = client.patch(f"{PLANS}/{plan['id']}", json={"organization_id": other["id"]})
    assert r.status_code == 200 and r.json()["organization_id"] == other["id"]


# ------------------------------------------------------------------ rules


def test_create_with_end_before_start_is_422_and_stores_nothing(client, make):
    """A period must not end before it starts."""
    r = client.post(PLANS, json=_body(make.org()["id"], start_date="2020-01-01", end_date="2019-12-31"))
    assert_problem(r, 422, fields={"end_date"})
    assert total(client, PLANS) == 0


@pytest.mark.parametrize(
    "change",
    [{"end_date": "2018-12-31"}, {"start_date": "2020-01-01"}, {"start_date": "2019-06-01", "end_date": "2019-05-31"}],
)
def test_patch_that_reverses_the_period_is_422_and_changes_nothing(client, make, change):
    """Moving one end past the other (alone or both at once) is refused; the stored plan stays."""
    plan = make.plan()  # 2019-01-01 .. 2019-12-31
    r = client.patch(f"{PLANS}/{plan['id']}", json={**change, "title": "changed"})
    assert_problem(r, 422, fields={"end_date"})
    assert client.get(f"{PLANS}/{plan['id']}").json() == plan


def test_duplicate_code_is_409(client, make):
    """Plan codes are unique, on create and on PATCH."""
    a = make.plan()
    b = make.plan()
    assert_problem(client.post(PLANS, json=_body(a["organization_id"], code=a["code"])), 409)
    assert total(client, PLANS) == 2
    assert_problem(client.patch(f"{PLANS}/{b['id']}", json={"code": a["code"]}), 409)
    assert client.get(f"{PLANS}/{b['id']}").json() == b


def test_unknown_organisation_is_422(client, make):
    """The issuing organisation must exist, on create and on PATCH."""
    assert_problem(client.post(PLANS, json=_body(987_654)), 422, fields={"organization_id"})
    assert total(client, PLANS) == 0
    plan = make.plan()
    assert_problem(client.patch(f"{PLANS}/{plan['id']}", json={"organization_id": 987_654}), 422, fields={"organization_id"})
    assert client.get(f"{PLANS}/{plan['id']}").json() == plan


@pytest.mark.parametrize("field", ["code", "title", "organization_id", "start_date", "end_date", "state", "notes"])
def test_patch_null_on_a_required_field_is_422(client, make, field):
    """Only adopted_date may be cleared; null elsewhere is refused and nothing changes."""
    plan = make.plan()
    r = client.patch(f"{PLANS}/{plan['id']}", json={field: None})
    assert_problem(r, 422, fields={field})
    assert client.get(f"{PLANS}/{plan['id']}").json() == plan


# ------------------------------------------------------------------ bad input


INVALID_CREATE_CHANGES = [
    ({"start_date": "1899-12-31"}, "start_date"),
    ({"end_date": "2101-01-01"}, "end_date"),
    ({"adopted_date": "1899-01-01"}, "adopted_date"),
    ({"start_date": "2020-02-30"}, "start_date"),
    ({"start_date": "01/01/2020"}, "start_date"),
    ({"code": "NQ 2020"}, "code"),
    ({"title": ""}, "title"),
    ({"title": "t" * 501}, "title"),
    ({"title": "a\x00b"}, "title"),
    ({"adopted_by": "x" * 501}, "adopted_by"),
    ({"theme": "x" * 501}, "theme"),
    ({"source_text": "x" * 20_001}, "source_text"),
    ({"source_url": "u" * 2001}, "source_url"),
    ({"notes": "\x00"}, "notes"),
    ({"state": "archived"}, "state"),
    ({"organization_id": 0}, "organization_id"),
    ({"organization_id": MAX_ID + 1}, "organization_id"),
    ({"targets": []}, "targets"),
]


def test_invalid_create_bodies_are_422_and_store_nothing(client, make):
    """Dates outside 1900–2100 or not dates, over-long or NUL text, bad codes and states, unknown
    fields, missing required fields: each case is a 422 naming the field, and nothing is stored.
    (One test, many cases: these never reach the database.)"""
    org_id = make.org()["id"]
    for change, field in INVALID_CREATE_CHANGES:
        r = client.post(PLANS, json=_body(org_id, **change))
        assert r.status_code == 422, (change, r.text)
        assert_problem(r, 422, fields={field})
    for missing in ("code", "title", "organization_id", "start_date", "end_date"):
        body = _body(org_id)
        del body[missing]
        assert_problem(client.post(PLANS, json=body), 422, fields={missing})
    assert total(client, PLANS) == 0


def test_boundary_dates_are_accepted(client, make):
    """1900-01-01 and 2100-12-31 are inside the allowed range."""
    r = client.post(PLANS, json=_body(make.org()["id"], start_date="1900-01-01", end_date="2100-12-31"))
    assert r.status_code == 201, r.text
    assert (r.json()["start_date"], r.json()["end_date"]) == ("1900-01-01", "2100-12-31")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"end_date": "2101-01-01"}, "end_date"), ({"notes": "a\x00"}, "notes"), ({"plan_id": 3}, "plan_id"), ({"state": "x"}, "state")],
)
def test_invalid_patch_body_is_422_and_changes_nothing(client, make, change, field):
    plan = make.plan()
    assert_problem(client.patch(f"{PLANS}/{plan['id']}", json=change), 422, fields={field})
    assert client.get(f"{PLANS}/{plan['id']}").json() == plan


def test_unknown_plan_is_404(client):
    assert_problem(client.get(f"{PLANS}/31337"), 404)
    assert_problem(client.patch(f"{PLANS}/31337", json={"title": "x"}), 404)
