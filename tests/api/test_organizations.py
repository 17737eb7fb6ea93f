"""Organisations over HTTP: create/get/list/patch, the tree rules and bad input."""

from __future__ import annotations

import pytest

from app.organizations.models import Organization
from tests.api.helpers import API, MAX_ID, assert_problem, assert_recent_aware, total

ORGS = f"{API}/organizations"


# ------------------------------------------------------------------ happy paths


def test_create_echoes_fields_and_sets_server_fields(client, make):
    """A created organisation comes back as stored, with id and UTC timestamps set by the server."""
    parent = make.org()
    body = {"code": "DU-PHUONG.CL/1", "name": "Đảng ủy phường Chi Lăng", "kind": "party_committee", "parent_id": parent["id"]}
    r = client.post(ORGS, json=body)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    org = r.json()
    assert {k: org[k] for k in body} == body
    assert isinstance(org["id"], int) and org["id"] >= 1 and org["id"] != parent["id"]
    assert set(org) == {"id", "code", "name", "kind", "parent_id", "is_reporting_unit", "created_at", "updated_at"}
    assert_recent_aware(org["created_at"])
    assert_recent_aware(org["updated_at"])


def test_create_defaults_kind_and_parent(client):
    """kind defaults to "" and parent_id to null: a root organisation."""
    r = client.post(ORGS, json={"code": "ROOT", "name": "Root"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "" and r.json()["parent_id"] is None


def test_get_returns_what_create_returned(client, make):
    """GET by id gives exactly the stored organisation."""
    org = make.org(kind="ward")
    r = client.get(f"{ORGS}/{org['id']}")
    assert r.status_code == 200
    assert r.json() == org


def test_list_pages_in_id_order_with_total(client, make):
    """limit/offset page through the list; total counts every row."""
    ids = [make.org()["id"] for _ in range(5)]
    page = client.get(ORGS, params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [o["id"] for o in page["items"]] == ids[1:3]
    default = client.get(ORGS).json()
    assert default["limit"] == 100 and default["offset"] == 0
    assert [o["id"] for o in default["items"]] == ids
    beyond = client.get(ORGS, params={"offset": 10}).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    far = client.get(ORGS, params={"offset": MAX_ID}).json()
    assert (far["items"], far["total"], far["offset"]) == ([], 5, MAX_ID)
    assert client.get(ORGS, params={"limit": 500}).status_code == 200


def test_list_rejects_bad_paging_and_filters(client):
    """limit is 1..500, offset 0..2147483647, parent_id a valid id; anything else is a 422 naming the parameter."""
    for params in ({"limit": 501}, {"limit": 0}, {"limit": -1}, {"offset": -1}, {"offset": MAX_ID + 1},
                   {"parent_id": 0}, {"parent_id": MAX_ID + 1}, {"parent_id": "root"}):
        name = next(iter(params))
        assert_problem(client.get(ORGS, params=params), 422, fields={f"query.{name}"})


def test_list_filters_by_parent(client, make):
    """parent_id lists only the direct children of that organisation."""
    root = make.org()
    a = make.org(parent_id=root["id"])
    b = make.org(parent_id=root["id"])
    make.org(parent_id=a["id"])  # grandchild: not a direct child
    make.org()  # another root
    page = client.get(ORGS, params={"parent_id": root["id"]}).json()
    assert page["total"] == 2
    assert [o["id"] for o in page["items"]] == [a["id"], b["id"]]
    assert client.get(ORGS, params={"parent_id": b["id"]}).json()["total"] == 0


def test_patch_changes_only_the_given_fields(client, make):
    """PATCH name leaves code, kind, parent and created_at as they were."""
    parent = make.org()
    org = make.org(kind="ward", parent_id=parent["id"])
    r = client.patch(f"{ORGS}/{org['id']}", json={"name": "Tên mới"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["name"] == "Tên mới"
    for key in ("id", "code", "kind", "parent_id", "created_at"):
        assert got[key] == org[key]
    assert assert_recent_aware(got["updated_at"]) >= assert_recent_aware(org["updated_at"])
    assert client.get(f"{ORGS}/{org['id']}").json() == got


def test_patch_empty_body_changes_nothing(client, make):
    """An empty PATCH is accepted and keeps every stored field."""
    org = make.org(kind="ward")
    r = client.patch(f"{ORGS}/{org['id']}", json={})
    assert r.status_code == 200
    assert {k: v for k, v in r.json().items() if k != "updated_at"} == {k: v for k, v in org.items() if k != "updated_at"}


def test_patch_moves_and_clears_parent(client, make):
    """parent_id may move an organisation, and null makes it a root again."""
    a, b = make.org(), make.org()
    org = make.org(parent_id=a["id"])
    assert client.patch(f"{ORGS}/{org['id']}", json={"parent_id": b["id"]}).json()["parent_id"] == b["id"]
    r = client.patch(f"{ORGS}/{org['id']}", json={"parent_id": None})
    assert r.status_code == 200 and r.json()["parent_id"] is None
    assert client.get(f"{ORGS}/{org['id']}").json()["parent_id"] is None


def test_patch_keeping_its_own_code_is_not_a_conflict(client, make):
    """Sending an organisation's own code back is not a duplicate."""
    org = make.org()
    r = client.patch(f"{ORGS}/{org['id']}", json={"code": org["code"], "name": "Renamed"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"


# ------------------------------------------------------------------ conflicts and tree rules


def test_duplicate_code_on_create_is_409_and_stores_nothing(client, make):
    """Codes are unique: a second organisation with the same code is a conflict."""
    org = make.org()
    r = client.post(ORGS, json={"code": org["code"], "name": "Other"})
    body = assert_problem(r, 409)
    assert org["code"] in body["detail"]
    assert total(client, ORGS) == 1


def test_duplicate_code_on_patch_is_409_and_changes_nothing(client, make):
    """Renaming to another organisation's code is a conflict; the row keeps its code."""
    a, b = make.org(), make.org()
    r = client.patch(f"{ORGS}/{b['id']}", json={"code": a["code"], "name": "changed"})
    assert_problem(r, 409)
    assert client.get(f"{ORGS}/{b['id']}").json() == b


def test_unknown_parent_is_422(client, make):
    """A parent that does not exist is refused on create and on PATCH."""
    r = client.post(ORGS, json={"code": "X", "name": "X", "parent_id": 999_999})
    assert_problem(r, 422, fields={"parent_id"})
    assert total(client, ORGS) == 0
    org = make.org()
    r = client.patch(f"{ORGS}/{org['id']}", json={"parent_id": 999_999})
    assert_problem(r, 422, fields={"parent_id"})
    assert client.get(f"{ORGS}/{org['id']}").json() == org


@pytest.mark.parametrize("new_parent", ["self", "child", "grandchild"])
def test_parent_cycle_via_patch_is_422(client, make, new_parent):
    """An organisation cannot be put under itself or any of its descendants."""
    root = make.org()
    child = make.org(parent_id=root["id"])
    grandchild = make.org(parent_id=child["id"])
    target = {"self": root, "child": child, "grandchild": grandchild}[new_parent]
    r = client.patch(f"{ORGS}/{root['id']}", json={"parent_id": target["id"], "name": "moved"})
    assert_problem(r, 422, fields={"parent_id"})
    assert client.get(f"{ORGS}/{root['id']}").json() == root


def _chain(session, length: int) -> list[int]:
    """A straight line of organisations, root first, stored directly (fast)."""
    ids: list[int] = []
    parent = None
    for i in range(length):
        org = Organization(code=f"DEEP-{i}", name=f"Level {i}", parent_id=parent)
        session.add(org)
        session.flush()
        parent = org.id
        ids.append(org.id)
    session.commit()
    return ids


def test_parent_cycle_is_refused_in_a_deep_tree(client, session):
    """Even in a deep tree, putting the root under its deepest descendant must be refused."""
    ids = _chain(session, 66)
    r = client.patch(f"{ORGS}/{ids[0]}", json={"parent_id": ids[-1]})
    assert_problem(r, 422, fields={"parent_id"})


@pytest.mark.parametrize("field", ["code", "name", "kind"])
def test_patch_null_on_a_required_field_is_422(client, make, field):
    """code, name and kind cannot be cleared; the stored row is unchanged."""
    org = make.org(kind="ward")
    r = client.patch(f"{ORGS}/{org['id']}", json={field: None})
    assert_problem(r, 422, fields={field})
    assert client.get(f"{ORGS}/{org['id']}").json() == org


# ------------------------------------------------------------------ bad input


INVALID_CREATE_BODIES = [
    ({"name": "No code"}, "code"),
    ({"code": "A"}, "name"),
    ({"code": "", "name": "x"}, "code"),
    ({"code": "has space", "name": "x"}, "code"),
    ({"code": "-starts-with-dash", "name": "x"}, "code"),
    ({"code": "Đ", "name": "x"}, "code"),
    ({"code": "C" * 65, "name": "x"}, "code"),
    ({"code": "A", "name": ""}, "name"),
    ({"code": "A", "name": "n" * 501}, "name"),
    ({"code": "A", "name": "a\x00b"}, "name"),
    ({"code": "A\x00", "name": "x"}, "code"),
    ({"code": "A", "name": "x", "kind": "k" * 121}, "kind"),
    ({"code": "A", "name": "x", "kind": "\x00"}, "kind"),
    ({"code": "A", "name": "x", "parent_id": 0}, "parent_id"),
    ({"code": "A", "name": "x", "parent_id": -1}, "parent_id"),
    ({"code": "A", "name": "x", "parent_id": MAX_ID + 1}, "parent_id"),
    ({"code": "A", "name": "x", "parent_id": "one"}, "parent_id"),
    ({"code": "A", "name": "x", "colour": "red"}, "colour"),
    ({"code": "A", "name": "x", "id": 5}, "id"),
    ({"code": "A", "name": "x", "created_at": "2019-01-01T00:00:00Z"}, "created_at"),
]


def test_invalid_create_bodies_are_422_and_store_nothing(client):
    """Missing, malformed, over-long, NUL-bearing, out-of-range and unknown fields: each case is a
    422 naming the field, and no row is written. (One test, many cases: these never reach the database.)"""
    for body, field in INVALID_CREATE_BODIES:
        r = client.post(ORGS, json=body)
        assert r.status_code == 422, (body, r.text)
        assert_problem(r, 422, fields={field})
    assert total(client, ORGS) == 0


def test_longest_allowed_texts_are_accepted(client):
    """The limits are inclusive: 64-character code, 500-character name (Vietnamese letters count once)."""
    body = {"code": "C" * 64, "name": "Ă" * 500, "kind": "k" * 120}
    r = client.post(ORGS, json=body)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in body} == body


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "x" * 501}, "name"), ({"code": "bad code"}, "code"), ({"kind": "\x00"}, "kind"), ({"zone": 1}, "zone")],
)
def test_invalid_patch_body_is_422_and_changes_nothing(client, make, body, field):
    """PATCH validates like create and leaves the row untouched on failure."""
    org = make.org()
    r = client.patch(f"{ORGS}/{org['id']}", json=body)
    assert_problem(r, 422, fields={field})
    assert client.get(f"{ORGS}/{org['id']}").json() == org


def test_unknown_organisation_is_404(client):
    """GET and PATCH of an id that does not exist answer 404 problems."""
    body = assert_problem(client.get(f"{ORGS}/424242"), 404)
    assert "424242" in body["detail"]
    assert_problem(client.patch(f"{ORGS}/424242", json={"name": "x"}), 404)


def test_ids_in_a_body_must_be_json_numbers(client, make):
    """true or "1" is not an id: strict typing, so nothing is read as organisation 1 by accident."""
    root = make.org()
    for bad in (True, "1", 1.5):
        r = client.post(ORGS, json={"code": "STRICT", "name": "x", "parent_id": bad})
        assert_problem(r, 422, fields={"parent_id"})
    assert client.get(ORGS).json()["total"] == 1 and root["id"] == 1
