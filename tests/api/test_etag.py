"""ETag and If-Match on plans, targets and organisations: a stale If-Match is 412 and changes nothing."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from app.common.etag import matches
from tests.api.helpers import API, PROBLEM
from tests.conftest import bearer, new_key


@pytest.fixture
def scene(make):
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"], code="01")
    return {
        "organization": (f"{API}/organizations/{org['id']}", {"name": "Tên mới"}),
        "plan": (f"{API}/plans/{plan['id']}", {"title": "Tên mới"}),
        "target": (f"{API}/targets/{target['id']}", {"title": "Tên mới"}),
    }


KINDS = ["organization", "plan", "target"]


def assert_412(r) -> None:
    assert r.status_code == 412, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"].endswith("/precondition-failed") and body["status"] == 412 and body["title"] == "Precondition failed"
    assert "If-Match" in body["detail"] and body["instance"] == r.request.url.path


@pytest.mark.parametrize("kind", KINDS)
def test_get_and_patch_carry_a_strong_etag_of_the_representation(client, scene, kind):
    path, change = scene[kind]
    r = client.get(path)
    tag = r.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    digest = hashlib.sha256(json.dumps(r.json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert tag == f'"{digest}"'
    assert client.get(path).headers["etag"] == tag  # stable while nothing changes

    patched = client.patch(path, json=change, headers={"If-Match": tag})
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] != tag
    assert patched.headers["etag"] == client.get(path).headers["etag"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_if_match_is_412_and_changes_nothing(client, scene, kind):
    path, change = scene[kind]
    stale = client.get(path).headers["etag"]
    assert client.patch(path, json={**change}, headers={"If-Match": stale}).status_code == 200  # someone else's write
    before = client.get(path)
    assert_412(client.patch(path, json={**change, **{k: "Lần hai" for k in change}}, headers={"If-Match": stale}))
    after = client.get(path)
    assert after.json() == before.json() and after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize("kind", KINDS)
def test_star_matches_any_version_and_no_header_proceeds(client, scene, kind):
    path, change = scene[kind]
    assert client.patch(path, json=change, headers={"If-Match": "*"}).status_code == 200
    assert client.patch(path, json={k: "Không kèm If-Match" for k in change}).status_code == 200
    current = client.get(path).headers["etag"]
    # A list matches when one of its tags does; weak tags never match (strong comparison); junk matches nothing.
    assert client.patch(path, json=change, headers={"If-Match": f'"nope", {current}'}).status_code == 200
    current = client.get(path).headers["etag"]
    for header in (f"W/{current}", current.strip('"'), '"nope"', "junk", ""):
        assert_412(client.patch(path, json=change, headers={"If-Match": header}))


@pytest.mark.parametrize("kind", ["plan", "target"])
def test_delete_honours_if_match(client, scene, kind):
    path, change = scene[kind]
    stale = client.get(path).headers["etag"]
    client.patch(path, json=change)
    assert_412(client.delete(path, headers={"If-Match": stale}))
    assert client.get(path).status_code == 200
    r = client.delete(path, headers={"If-Match": client.get(path).headers["etag"]})
    assert r.status_code == 204, r.text
    assert client.get(path).status_code == 404


def test_an_archived_rows_etag_names_the_archived_version(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    target = make.target(plan["id"])
    make.submission(target["id"], value=1, period_date="2019-12-31", organization_id=org["id"])
    before = client.get(f"{API}/targets/{target['id']}").headers["etag"]
    r = client.delete(f"{API}/targets/{target['id']}", headers={"If-Match": before})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == client.get(f"{API}/targets/{target['id']}").headers["etag"] != before


def test_a_412_is_checked_after_the_key_and_before_the_body_is_used(client, anonymous, key_for, scene):
    path, change = scene["plan"]
    assert anonymous.patch(path, json=change, headers={"If-Match": '"x"'}).status_code == 401
    viewer = key_for("viewer", int(scene["organization"][0].rsplit("/", 1)[1]))
    assert client.patch(path, json=change, headers={"If-Match": '"x"', **viewer}).status_code == 403
    assert_412(client.patch(path, json={"start_date": "2019-06-01", "end_date": "2019-01-01"}, headers={"If-Match": '"x"'}))


def test_concurrent_writers_with_the_same_etag_one_wins(app, client, scene):
    """The row is locked before If-Match is compared: of writers holding one ETag, exactly one succeeds."""
    path, _ = scene["plan"]
    tag = client.get(path).headers["etag"]
    headers = {**bearer(new_key(app, "admin")), "If-Match": tag}

    def attempt(n: int) -> int:
        with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
            return c.patch(path, json={"title": f"Người viết {n}"}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(attempt, range(4)))
    assert sorted(codes) == [200, 412, 412, 412], codes


def test_matching_rules():
    tag = '"abc"'
    assert matches("*", tag) and matches(' "x" , "abc"', tag) and matches('"abc"', tag)
    assert not matches('W/"abc"', tag) and not matches("abc", tag) and not matches('"abc" junk', tag)
    assert not matches('"x", W/"abc"', tag) and not matches("", tag)


def test_the_header_is_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in ((f"{API}/plans/{{plan_id}}", ("patch", "delete")), (f"{API}/targets/{{target_id}}", ("patch", "delete")),
                          (f"{API}/organizations/{{organization_id}}", ("patch",))):
        assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"]
        for method in methods:
            operation = paths[path][method]
            assert "412" in operation["responses"]
            header = next(p for p in operation["parameters"] if p["in"] == "header")
            assert header["name"] == "If-Match" and header["description"]


def test_a_new_figures_detail_is_submission_details_dump(client, make):
    """POST a figure hashes `first_detail_json` for its ETag: the same data as SubmissionDetail's dump."""
    from app.submissions.models import SubmissionDetail, SubmissionPublic
    from app.submissions.service import first_detail_json

    plan = make.plan()
    target = make.target(plan["id"])
    posted = client.post(f"{API}/targets/{target['id']}/submissions",
                         json={"value": 91.5, "period_date": "2019-06-30", "organization_id": plan["organization_id"],
                               "is_estimate": True, "note": "ước tính"})
    assert posted.status_code == 201, posted.text
    figure = SubmissionPublic.model_validate(posted.json())
    model = SubmissionDetail(**figure.model_dump(), current_id=figure.id, retracted=False, history=[figure])
    assert first_detail_json(figure) == model.model_dump(mode="json")
    assert posted.headers["etag"] == client.get(posted.headers["location"]).headers["etag"]
