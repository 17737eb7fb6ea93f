"""DELETE of plans and targets: archived when they hold figures or assessments, deleted for real otherwise."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, assert_problem, assert_recent_aware


@pytest.fixture
def scene(make):
    org = make.org()
    plan = make.plan(org["id"])
    kept = make.target(plan["id"], code="01", value=90)
    other = make.target(plan["id"], code="02", value=50)
    return {"org": org, "plan": plan, "kept": kept, "other": other}


def figure(make, scene, target="kept", value=95.0) -> dict:
    return make.submission(scene[target]["id"], value=value, period_date="2019-12-31", organization_id=scene["org"]["id"])


def target_ids(client, plan_id: int, **params) -> list[int]:
    r = client.get(f"{API}/plans/{plan_id}/targets", params=params)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["items"]]


def plan_ids(client, **params) -> list[int]:
    r = client.get(f"{API}/plans", params=params)
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


# ------------------------------------------------------------------ targets


def test_a_target_without_figures_is_deleted_for_real(client, scene):
    r = client.delete(f"{API}/targets/{scene['other']['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(f"{API}/targets/{scene['other']['id']}"), 404)
    assert target_ids(client, scene["plan"]["id"], include_archived="true") == [scene["kept"]["id"]]
    # Its code is free again.
    assert client.post(f"{API}/plans/{scene['plan']['id']}/targets",
                       json={"code": "02", "title": "Mới", "comparison": "at_least", "value": 1}).status_code == 201


def test_a_target_with_figures_is_archived_and_kept_readable(client, make, scene):
    sub = figure(make, scene)
    r = client.delete(f"{API}/targets/{scene['kept']['id']}")
    assert r.status_code == 200, r.text
    archived = r.json()
    assert_recent_aware(archived["archived_at"])
    assert {k: v for k, v in archived.items() if k not in ("archived_at", "updated_at")} == {
        k: v for k, v in scene["kept"].items() if k not in ("archived_at", "updated_at")}
    assert scene["kept"]["archived_at"] is None

    # Read by id (with archived_at), its figures, status and history still answer.
    assert client.get(f"{API}/targets/{scene['kept']['id']}").json() == archived
    assert [s["id"] for s in client.get(f"{API}/targets/{scene['kept']['id']}/submissions").json()["items"]] == [sub["id"]]
    assert client.get(f"{API}/submissions/{sub['id']}").status_code == 200
    st = client.get(f"{API}/targets/{scene['kept']['id']}/status", params={"as_of": "2019-12-31"})
    assert st.status_code == 200 and st.json()["measured"] == 95.0
    assert client.get(f"{API}/targets/{scene['kept']['id']}/history").status_code == 200

    # Lists and the plan's status leave it out.
    plan_id = scene["plan"]["id"]
    assert target_ids(client, plan_id) == [scene["other"]["id"]]
    assert target_ids(client, plan_id, include_archived="true") == [scene["kept"]["id"], scene["other"]["id"]]
    status = client.get(f"{API}/plans/{plan_id}/status", params={"as_of": "2019-12-31"}).json()
    assert [t["target_id"] for t in status["targets"]] == [scene["other"]["id"]] and status["total"] == 1
    by_org = client.get(f"{API}/plans/{plan_id}/status/organizations", params={"as_of": "2019-12-31"}).json()
    assert by_org["organizations"] == []
    exported = client.get(f"{API}/plans/{plan_id}/export", params={"content": "targets", "format": "json"}).json()
    assert [row["code"] for row in (exported["rows"] if isinstance(exported, dict) else exported)] == ["02"]

    # Every write to it is refused, and changes nothing.
    target_path = f"{API}/targets/{scene['kept']['id']}"
    for r in (
        client.patch(target_path, json={"title": "Đổi"}),
        client.delete(target_path),
        client.post(f"{target_path}/submissions", json={"value": 1, "period_date": "2019-12-31",
                                                        "organization_id": scene["org"]["id"]}),
        client.post(f"{target_path}/assessments", json={"verdict": "achieved", "reason": "x", "assessed_by": "BTV",
                                                        "assessed_on": "2020-01-10"}),
        client.post(f"{API}/submissions/{sub['id']}/corrections",
                    json={"value": 1, "period_date": "2019-12-31", "organization_id": scene["org"]["id"], "reason": "x"}),
        client.post(f"{API}/submissions/{sub['id']}/retraction", json={"reason": "x"}),
    ):
        assert "archived" in assert_problem(r, 409)["detail"], r.request.url
    assert client.get(target_path).json() == archived


def test_a_target_with_only_an_assessment_is_archived_too(client, scene):
    r = client.post(f"{API}/targets/{scene['other']['id']}/assessments",
                    json={"verdict": "achieved", "reason": "Đạt", "assessed_by": "BTV", "assessed_on": "2020-01-10"})
    assert r.status_code == 201, r.text
    assert client.delete(f"{API}/targets/{scene['other']['id']}").status_code == 200


def test_importing_rows_for_an_archived_target_fails_them(client, make, scene):
    figure(make, scene)
    client.delete(f"{API}/targets/{scene['kept']['id']}")
    data = f"target_code,organization_code,period_date,value\n01,{scene['org']['code']},2019-12-31,91\n".encode()
    r = client.post(f"{API}/plans/{scene['plan']['id']}/import/submissions", files={"file": ("f.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["failed"] == 1 and "archived" in r.json()["errors"][0]["reason"]
    data = "code,title,comparison,value\n01,Tên mới,at_least,90\n".encode()
    r = client.post(f"{API}/plans/{scene['plan']['id']}/import/targets", files={"file": ("t.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["failed"] == 1 and "archived" in r.json()["errors"][0]["reason"]


# ------------------------------------------------------------------ plans


def test_a_plan_without_figures_is_deleted_for_real_with_its_targets(client, scene):
    plan_id = scene["plan"]["id"]
    r = client.delete(f"{API}/plans/{plan_id}")
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(f"{API}/plans/{plan_id}"), 404)
    assert_problem(client.get(f"{API}/targets/{scene['kept']['id']}"), 404)
    assert plan_id not in plan_ids(client, include_archived="true")


def test_a_plan_with_figures_is_archived(client, make, scene):
    figure(make, scene, "other", 40.0)
    plan_id = scene["plan"]["id"]
    r = client.delete(f"{API}/plans/{plan_id}")
    assert r.status_code == 200, r.text
    archived = r.json()
    assert_recent_aware(archived["archived_at"])
    assert client.get(f"{API}/plans/{plan_id}").json() == archived
    assert plan_id not in plan_ids(client)
    assert plan_id in plan_ids(client, include_archived="true")
    # Its targets and status still answer; its targets are not archived themselves.
    assert target_ids(client, plan_id) == [scene["kept"]["id"], scene["other"]["id"]]
    status = client.get(f"{API}/plans/{plan_id}/status", params={"as_of": "2019-12-31"})
    assert status.status_code == 200 and status.json()["total"] == 2
    # Every write under it is refused.
    for r in (
        client.patch(f"{API}/plans/{plan_id}", json={"title": "Đổi"}),
        client.delete(f"{API}/plans/{plan_id}"),
        client.post(f"{API}/plans/{plan_id}/targets", json={"code": "03", "title": "T", "comparison": "at_least", "value": 1}),
        client.patch(f"{API}/targets/{scene['kept']['id']}", json={"title": "Đổi"}),
        client.delete(f"{API}/targets/{scene['kept']['id']}"),
        client.post(f"{API}/targets/{scene['kept']['id']}/submissions",
                    json={"value": 1, "period_date": "2019-12-31", "organization_id": scene["org"]["id"]}),
        client.post(f"{API}/plans/{plan_id}/import/submissions",
                    files={"file": ("f.csv", b"target_code,organization_code,period_date,value\n", "text/csv")}),
    ):
        assert "archived" in assert_problem(r, 409)["detail"], r.request.url


def test_deleting_needs_an_editor_in_scope(client, anonymous, key_for, scene):
    path = f"{API}/targets/{scene['other']['id']}"
    assert anonymous.delete(path).status_code == 401
    assert client.delete(path, headers=key_for("reporter", scene["org"]["id"])).status_code == 403
    assert client.delete(f"{API}/plans/{scene['plan']['id']}", headers=key_for("reporter", scene["org"]["id"])).status_code == 403
    assert client.delete(path, headers=key_for("editor", scene["org"]["id"])).status_code == 204
    assert_problem(client.delete(f"{API}/targets/999999"), 404)
    assert_problem(client.delete(f"{API}/plans/999999"), 404)


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (f"{API}/plans/{{plan_id}}", f"{API}/targets/{{target_id}}"):
        operation = paths[path]["delete"]
        assert operation["summary"] and "archived" in operation["description"]
        assert {"200", "204", "401", "403", "404", "409", "412", "422"} <= set(operation["responses"])
    assert "include_archived" in {p["name"] for p in paths[f"{API}/plans"]["get"]["parameters"]}
    assert "include_archived" in {p["name"] for p in paths[f"{API}/plans/{{plan_id}}/targets"]["get"]["parameters"]}
