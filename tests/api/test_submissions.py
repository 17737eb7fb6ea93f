"""Submissions (figures) over HTTP: create/get/list, the period and organisation rules, figure shapes."""

from __future__ import annotations

from datetime import date

import pytest

from app.organizations.models import Organization
from app.plans.models import Plan
from app.targets.models import Target
from tests.api.helpers import API, MAX_ID, assert_problem, assert_recent_aware, error_fields, post_raw, total


def subs_of(target_id: int) -> str:
    return f"{API}/targets/{target_id}/submissions"


@pytest.fixture
def setup(session):
    """A 2019 plan of a root organisation with a child, a grandchild, a stranger and the root's parent,
    plus a numeric and a milestone target. Stored directly in one transaction: these rows are the
    scene, not what is tested, and one commit keeps the many cases below fast."""
    top = Organization(code="TOP", name="Tỉnh ủy")
    session.add(top)
    session.flush()
    root = Organization(code="ROOT", name="Thành ủy", parent_id=top.id)
    stranger = Organization(code="STRANGER", name="Huyện ủy khác")
    session.add_all([root, stranger])
    session.flush()
    child = Organization(code="CHILD", name="Phường", parent_id=root.id)
    session.add(child)
    session.flush()
    grandchild = Organization(code="GRANDCHILD", name="Chi bộ", parent_id=child.id)
    plan = Plan(code="P-2019", title="Kế hoạch 2019", organization_id=root.id, start_date=date(2019, 1, 1),
                end_date=date(2019, 12, 31), state="active")
    session.add_all([grandchild, plan])
    session.flush()
    numeric = Target(plan_id=plan.id, code="01", title="Tỷ lệ", unit="%", comparison="at_least", value=90,
                     direction="higher_is_better")
    milestone = Target(plan_id=plan.id, code="02", title="Mốc", comparison="milestone", direction="higher_is_better")
    session.add_all([numeric, milestone])
    session.flush()
    rows = {"top": top, "root": root, "child": child, "grandchild": grandchild, "stranger": stranger,
            "plan": plan, "numeric": numeric, "milestone": milestone}
    ids = {name: {"id": row.id} for name, row in rows.items()}
    session.commit()
    return ids


# ------------------------------------------------------------------ happy paths


def test_create_value_echoes_fields_and_sets_recorded_at(client, setup):
    """A plain figure is stored as given; id, target_id and recorded_at come from the server."""
    t, org = setup["numeric"], setup["root"]
    body = {"value": 92.5, "period_date": "2019-06-30", "organization_id": org["id"], "is_estimate": True,
            "note": "Ước 6 tháng", "evidence_url": "https://example.org/bc-6-thang"}
    r = client.post(subs_of(t["id"]), json=body)
    assert r.status_code == 201, r.text
    s = r.json()
    assert {k: s[k] for k in body} == body
    assert s["target_id"] == t["id"]
    assert (s["numerator"], s["denominator"], s["done"]) == (None, None, None)
    assert set(s) == {"id", "target_id", "organization_id", "period_date", "period_start", "value", "numerator", "denominator", "done",
                      "is_estimate", "note", "evidence_url", "recorded_at", "kind", "supersedes_id", "root_id", "reason", "review"}
    assert (s["kind"], s["supersedes_id"], s["root_id"], s["reason"]) == ("original", None, None, "")
    assert isinstance(s["id"], int) and s["id"] >= 1
    assert_recent_aware(s["recorded_at"])


def test_create_ratio_and_defaults(client, setup):
    """A ratio is stored as numerator and denominator; is_estimate defaults to false, texts to empty."""
    r = client.post(subs_of(setup["numeric"]["id"]),
                    json={"numerator": 46, "denominator": 70, "period_date": "2019-12-31", "organization_id": setup["root"]["id"]})
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["value"], s["numerator"], s["denominator"], s["done"]) == (None, 46.0, 70.0, None)
    assert (s["is_estimate"], s["note"], s["evidence_url"]) == (False, "", "")


def test_create_milestone_done(client, setup):
    r = client.post(subs_of(setup["milestone"]["id"]),
                    json={"done": False, "period_date": "2019-03-01", "organization_id": setup["root"]["id"]})
    assert r.status_code == 201, r.text
    assert (r.json()["done"], r.json()["value"]) == (False, None)


@pytest.mark.parametrize("date", ["2019-01-01", "2019-12-31"])
def test_period_ends_are_inside(client, setup, date):
    """The plan's first and last days are inside its period."""
    r = client.post(subs_of(setup["numeric"]["id"]), json={"value": 1, "period_date": date, "organization_id": setup["root"]["id"]})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("who", ["child", "grandchild"])
def test_an_organisation_under_the_plans_is_accepted(client, setup, who):
    """Organisations anywhere below the plan's organisation may report."""
    org = setup[who]
    r = client.post(subs_of(setup["numeric"]["id"]), json={"value": 1, "period_date": "2019-05-01", "organization_id": org["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["organization_id"] == org["id"]


def test_get_returns_what_create_returned(client, make, setup):
    s = make.submission(setup["numeric"]["id"], value=3, period_date="2019-02-01", organization_id=setup["root"]["id"])
    r = client.get(f"{API}/submissions/{s['id']}")
    assert r.status_code == 200
    assert r.json() == {**s, "current_id": s["id"], "retracted": False, "history": [s], "reviews": []}


def test_list_is_in_date_order_pages_and_filters(client, make, setup):
    """Figures list by period_date then id; from/to are inclusive; organization_id narrows; total follows filters."""
    t = setup["numeric"]["id"]
    root, child = setup["root"]["id"], setup["child"]["id"]
    s_dec = make.submission(t, value=4, period_date="2019-12-31", organization_id=root)
    s_mar = make.submission(t, value=1, period_date="2019-03-31", organization_id=root)
    s_jun_child = make.submission(t, value=2, period_date="2019-06-30", organization_id=child)
    s_jun = make.submission(t, value=3, period_date="2019-06-30", organization_id=root)
    make.submission(setup["milestone"]["id"], done=True, period_date="2019-06-30", organization_id=root)  # other target

    def ids(**params):
        page = client.get(subs_of(t), params=params).json()
        return page["total"], [s["id"] for s in page["items"]]

    assert ids() == (4, [s_mar["id"], s_jun_child["id"], s_jun["id"], s_dec["id"]])
    assert ids(limit=2, offset=1) == (4, [s_jun_child["id"], s_jun["id"]])
    assert ids(**{"from": "2019-06-30"}) == (3, [s_jun_child["id"], s_jun["id"], s_dec["id"]])
    assert ids(to="2019-06-30") == (3, [s_mar["id"], s_jun_child["id"], s_jun["id"]])
    assert ids(**{"from": "2019-04-01", "to": "2019-06-30"}) == (2, [s_jun_child["id"], s_jun["id"]])
    assert ids(organization_id=child) == (1, [s_jun_child["id"]])
    assert ids(organization_id=root, **{"from": "2019-06-01"}) == (2, [s_jun["id"], s_dec["id"]])
    assert ids(**{"from": "2019-07-01", "to": "2019-07-02"}) == (0, [])
    page = client.get(subs_of(t), params={"limit": 1}).json()
    assert (page["limit"], page["offset"], page["total"]) == (1, 0, 4)


def test_list_rejects_bad_parameters(client, setup):
    """from/to are ISO dates within 1900–2100, organization_id a valid id, limit at most 500."""
    for params in ({"limit": 501}, {"from": "1899-12-31"}, {"to": "2101-01-01"}, {"from": "yesterday"},
                   {"organization_id": 0}, {"organization_id": MAX_ID + 1}):
        assert_problem(client.get(subs_of(setup["numeric"]["id"]), params=params), 422,
                       fields={f"query.{next(iter(params))}"})


def test_figures_cannot_be_changed_or_deleted(client, make, setup):
    """Figures are insert-only: PATCH, PUT and DELETE on a figure are not allowed."""
    s = make.submission(setup["numeric"]["id"], value=3, period_date="2019-02-01", organization_id=setup["root"]["id"])
    for method in ("PATCH", "PUT", "DELETE"):
        r = client.request(method, f"{API}/submissions/{s['id']}", json={"value": 4})
        assert_problem(r, 405)
    assert client.get(f"{API}/submissions/{s['id']}").json()["history"] == [s]


# ------------------------------------------------------------------ domain rules


def _refused(client, target_id: int, body: dict, field: str | None):
    before = total(client, subs_of(target_id))
    r = client.post(subs_of(target_id), json=body)
    assert_problem(r, 422, fields={field} if field else None)
    assert total(client, subs_of(target_id)) == before
    return r


@pytest.mark.parametrize("date", ["2018-12-31", "2020-01-01", "1900-01-01"])
def test_figure_outside_the_plan_period_is_422(client, setup, date):
    """A figure must be dated within the plan's period."""
    r = _refused(client, setup["numeric"]["id"], {"value": 1, "period_date": date, "organization_id": setup["root"]["id"]},
                 "period_date")
    assert "2019-01-01" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize("who", ["stranger", "top"])
def test_organisation_outside_the_plans_subtree_is_422(client, setup, who):
    """Only the plan's organisation and those under it may report; not a stranger, nor the organisation above."""
    _refused(client, setup["numeric"]["id"],
             {"value": 1, "period_date": "2019-05-01", "organization_id": setup[who]["id"]}, "organization_id")


def test_unknown_reporting_organisation_is_422(client, setup):
    _refused(client, setup["numeric"]["id"], {"value": 1, "period_date": "2019-05-01", "organization_id": 555_555},
             "organization_id")


def test_an_organisation_deep_under_the_plans_is_accepted(client, session, make):
    """Depth does not change membership: any descendant of the plan's organisation may report."""
    parent = None
    ids = []
    for i in range(66):
        org = Organization(code=f"DEEP-S-{i}", name=f"Level {i}", parent_id=parent)
        session.add(org)
        session.flush()
        parent = org.id
        ids.append(org.id)
    session.commit()
    plan = make.plan(ids[0])
    target = make.target(plan["id"])
    r = client.post(subs_of(target["id"]), json={"value": 1, "period_date": "2019-05-01", "organization_id": ids[-1]})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "figure",
    [{"value": 1}, {"numerator": 1, "denominator": 1}],
)
def test_milestone_with_a_number_is_422(client, setup, figure):
    """A milestone takes done/not done, never a number."""
    _refused(client, setup["milestone"]["id"], {**figure, "period_date": "2019-05-01", "organization_id": setup["root"]["id"]},
             "done")


def test_numeric_target_with_done_is_422(client, setup):
    _refused(client, setup["numeric"]["id"], {"done": True, "period_date": "2019-05-01", "organization_id": setup["root"]["id"]},
             "done")


NOT_ONE_FIGURE = [
    {"value": 1, "numerator": 1, "denominator": 2},
    {"value": 1, "done": True},
    {"numerator": 1, "denominator": 2, "done": True},
    {"numerator": 1},
    {"denominator": 2},
    {},
    {"value": None},
]


def test_not_exactly_one_figure_is_422(client, setup):
    """Exactly one of: a value; a numerator with a denominator; done. Anything else is refused as a
    whole-body error, and nothing is stored."""
    url = subs_of(setup["numeric"]["id"])
    for figure in NOT_ONE_FIGURE:
        r = client.post(url, json={**figure, "period_date": "2019-05-01", "organization_id": setup["root"]["id"]})
        assert r.status_code == 422, (figure, r.text)
        assert_problem(r, 422, fields={"body"})
        assert error_fields(r) == {"body"}, figure
        assert "numerator and denominator" in r.json()["detail"], figure
    assert total(client, url) == 0


BAD_NUMBERS = [
    ({"numerator": 0, "denominator": 0}, "denominator"),
    ({"numerator": 1, "denominator": -5}, "denominator"),
    ({"numerator": -1, "denominator": 5}, "numerator"),
    ({"value": 1e16}, "value"),
    ({"value": -1e16}, "value"),
    ({"value": "twelve"}, "value"),
]

NON_FINITE = [
    ('"value": NaN', "value"),
    ('"value": Infinity', "value"),
    ('"value": -Infinity', "value"),
    ('"numerator": NaN, "denominator": 10', "numerator"),
    ('"numerator": 1, "denominator": Infinity', "denominator"),
]


def test_bad_numbers_are_422(client, setup):
    """Denominators are positive (0 refused), numerators non-negative, values finite and within ±1e15;
    NaN / Infinity sent as raw JSON text are refused too. Nothing is stored."""
    url = subs_of(setup["numeric"]["id"])
    root = setup["root"]["id"]
    for figure, field in BAD_NUMBERS:
        r = client.post(url, json={**figure, "period_date": "2019-05-01", "organization_id": root})
        assert r.status_code == 422, (figure, r.text)
        assert_problem(r, 422, fields={field})
    for raw, field in NON_FINITE:
        r = post_raw(client, url, f'{{{raw}, "period_date": "2019-05-01", "organization_id": {root}}}')
        assert r.status_code == 422, (raw, r.text)
        assert_problem(r, 422, fields={field})
    assert total(client, url) == 0


INVALID_CHANGES = [
    ({"period_date": "1899-12-31"}, "period_date"),
    ({"period_date": "2101-01-01"}, "period_date"),
    ({"period_date": "2019-13-01"}, "period_date"),
    ({"note": "a\x00b"}, "note"),
    ({"note": "n" * 20_001}, "note"),
    ({"evidence_url": "u" * 2001}, "evidence_url"),
    ({"organization_id": 0}, "organization_id"),
    ({"organization_id": MAX_ID + 1}, "organization_id"),
    ({"recorded_at": "2019-01-01T00:00:00Z"}, "recorded_at"),
    ({"target_id": 1}, "target_id"),
    ({"is_estimate": "maybe"}, "is_estimate"),
]


def test_invalid_bodies_are_422_and_store_nothing(client, setup):
    """Dates outside 1900–2100 or impossible, NUL or over-long text, bad ids, server-set or unknown
    fields, missing required fields: each case is a 422 naming the field, and nothing is stored.
    (One test, many cases: these never reach the database.)"""
    url = subs_of(setup["numeric"]["id"])
    valid = {"value": 1, "period_date": "2019-05-01", "organization_id": setup["root"]["id"]}
    for change, field in INVALID_CHANGES:
        r = client.post(url, json={**valid, **change})
        assert r.status_code == 422, (change, r.text)
        assert_problem(r, 422, fields={field})
    for missing in ("period_date", "organization_id"):
        body = {k: v for k, v in valid.items() if k != missing}
        assert_problem(client.post(url, json=body), 422, fields={missing})
    assert total(client, url) == 0


def test_several_broken_rules_are_all_reported(client, setup):
    """One answer lists every domain rule the figure breaks."""
    r = client.post(subs_of(setup["milestone"]["id"]),
                    json={"value": 1, "period_date": "2020-02-01", "organization_id": setup["stranger"]["id"]})
    assert_problem(r, 422)
    assert error_fields(r) == {"period_date", "organization_id", "done"}


def test_unknown_target_or_figure_is_404(client, setup):
    body = {"value": 1, "period_date": "2019-05-01", "organization_id": setup["root"]["id"]}
    assert_problem(client.post(subs_of(888_888), json=body), 404)
    assert_problem(client.get(subs_of(888_888)), 404)
    assert_problem(client.get(f"{API}/submissions/888888"), 404)
