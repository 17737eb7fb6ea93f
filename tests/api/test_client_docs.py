"""Issue 16 ("A client's view"), items 2, 3, 7 and 8: the OpenAPI document a code generator reads, the
headers of created and conditional answers, CORS, and validation errors that say what is expected."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.openapi_examples import EXAMPLES
from tests.api.helpers import API, PROBLEM, assert_problem
from tests.conftest import bearer, new_key

SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


@pytest.fixture
def spec(app) -> dict:
    return app.openapi()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


# ------------------------------------------------------------------ item 2: OpenAPI for code generators


def test_every_operation_id_is_short_unique_snake_case(spec):
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)) and len(ids) >= 40, sorted(ids)
    for operation_id in ids:
        assert SNAKE.fullmatch(operation_id) and len(operation_id) <= 40, operation_id
        assert "api_v1" not in operation_id
    named = {(path, method): op["operationId"] for path, method, op in operations(spec)}
    assert named[(f"{API}/targets/{{target_id}}/submissions", "post")] == "create_submission"
    assert named[(f"{API}/plans/{{plan_id}}/status", "get")] == "get_plan_status"


def test_every_operation_has_a_summary_a_description_and_a_described_tag(spec):
    for path, method, operation in operations(spec):
        assert operation.get("summary", "").strip(), (method, path)
        assert len(operation.get("description", "").strip()) >= 30, (method, path)
        assert operation.get("tags"), (method, path)
    described = {tag["name"]: tag.get("description", "") for tag in spec["tags"]}
    used = {tag for _, _, op in operations(spec) for tag in op["tags"]}
    assert used <= set(described), used - set(described)
    assert all(len(text) >= 20 for text in described.values()), described


def test_the_response_examples_are_real_answers_of_their_models(spec):
    """Each example validates against its response model (they cannot drift), and JSON answers show them."""
    import app.assessments.models as assessments
    import app.auth.models as auth
    import app.organizations.models as organizations
    import app.plans.models as plans
    import app.status.models as status
    import app.submissions.models as submissions
    import app.targets.models as targets
    import app.webhooks.models as webhooks

    models = {
        "OrganizationPublic": organizations.OrganizationPublic, "PlanPublic": plans.PlanPublic,
        "TargetPublic": targets.TargetPublic, "SubmissionPublic": submissions.SubmissionPublic,
        "SubmissionDetail": submissions.SubmissionDetail, "TargetStatus": status.TargetStatus,
        "AssessmentPublic": assessments.AssessmentPublic, "ApiKeyPublic": auth.ApiKeyPublic,
        "ReviewPublic": submissions.ReviewPublic, "PendingPage": submissions.PendingPage,
        "SubscriptionPublic": webhooks.SubscriptionPublic, "SubscriptionCreated": webhooks.SubscriptionCreated,
        "DeliveryPublic": webhooks.DeliveryPublic,
    }
    assert set(models) == set(EXAMPLES)
    for name, model in models.items():
        checked = model.model_validate(EXAMPLES[name])
        assert checked.model_dump(mode="json") == EXAMPLES[name], name  # nothing dropped or coerced
        assert spec["components"]["schemas"][name]["examples"] == [EXAMPLES[name]]
    answer = spec["paths"][f"{API}/targets/{{target_id}}/submissions"]["post"]["responses"]["201"]["content"]
    assert answer["application/json"]["example"]["period_date"] == "2019-06-30"
    page = spec["paths"][f"{API}/plans"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert page["items"][0]["code"] == "TPLS-2019" and page["total"] == 1
    # no placeholder values anywhere in the examples
    flat = repr(EXAMPLES)
    assert "'string'" not in flat


# The approval and webhook routes (the review's leftover): every 2xx JSON answer shows an example, and each
# validates against the route's own response model (a page of one for the lists), nothing dropped or coerced.
EXAMPLED_ROUTES = {
    ("POST", "/submissions/{submission_id}/approve"), ("POST", "/submissions/{submission_id}/return"),
    ("GET", "/plans/{plan_id}/submissions/pending"), ("GET", "/organizations/{organization_id}/submissions/pending"),
    ("GET", "/webhooks/subscriptions"), ("POST", "/webhooks/subscriptions"),
    ("GET", "/webhooks/subscriptions/{subscription_id}"), ("PATCH", "/webhooks/subscriptions/{subscription_id}"),
    ("GET", "/webhooks/subscriptions/{subscription_id}/deliveries"), ("POST", "/webhooks/deliveries/{delivery_id}/redeliver"),
}


def test_the_approval_and_webhook_answers_have_examples_of_their_models(spec):
    from fastapi.routing import APIRoute
    from pydantic import TypeAdapter

    from app.openapi_examples import OPERATION_EXAMPLES
    from app.submissions.router import router as submissions
    from app.webhooks.router import router as webhooks

    checked = set()
    for route in [*submissions.routes, *webhooks.routes]:  # the routers' own routes: paths under /api/v1
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            if (method, route.path) not in EXAMPLED_ROUTES:
                continue
            status = str(route.status_code or 200)
            answer = spec["paths"][API + route.path][method.lower()]["responses"][status]["content"]["application/json"]
            assert "example" in answer, (method, route.path)
            example, model = answer["example"], TypeAdapter(route.response_model)
            assert model.dump_python(model.validate_python(example), mode="json") == example, (method, route.path)
            checked.add((method, route.path))
    assert checked == EXAMPLED_ROUTES
    # where one model answers two operations, each shows its own
    review = f"{API}/submissions/{{submission_id}}"
    approved = spec["paths"][f"{review}/approve"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
    returned = spec["paths"][f"{review}/return"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
    assert (approved["action"], returned["action"]) == ("approved", "returned")
    redelivered = spec["paths"][f"{API}/webhooks/deliveries/{{delivery_id}}/redeliver"]["post"]["responses"]["202"]
    assert redelivered["content"]["application/json"]["example"]["state"] == "pending"
    assert {op["operationId"] for _, _, op in operations(spec)} >= set(OPERATION_EXAMPLES)
    created = spec["paths"][f"{API}/webhooks/subscriptions"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["example"]["secret"].startswith("whsec_")


# ------------------------------------------------------------------ item 3: Location, ETag, 304, Content-Language


def test_a_201_carries_location_and_the_etag_its_read_gives(client, make):
    org = client.post(f"{API}/organizations", json={"code": "O-1", "name": "Phường 1"})
    plan_body = {"code": "P-1", "title": "Kế hoạch", "organization_id": org.json()["id"], "start_date": "2019-01-01",
                 "end_date": "2019-12-31", "state": "active"}
    plan = client.post(f"{API}/plans", json=plan_body)
    target = client.post(f"{API}/plans/{plan.json()['id']}/targets",
                         json={"code": "T-1", "title": "Tỷ lệ", "unit": "%", "comparison": "at_least", "value": 90})
    figure = client.post(f"{API}/targets/{target.json()['id']}/submissions",
                         json={"value": 91.5, "period_date": "2019-06-30", "organization_id": org.json()["id"]})
    read_before = client.get(f"{API}/submissions/{figure.json()['id']}")  # before its correction changes its read
    assert read_before.headers["etag"] == figure.headers["etag"]
    correction = client.post(f"{API}/submissions/{figure.json()['id']}/corrections",
                             json={"value": 92.0, "period_date": "2019-06-30", "organization_id": org.json()["id"],
                                   "reason": "số liệu chính thức"})
    key = client.post(f"{API}/api-keys", json={"name": "Cổng thông tin", "role": "viewer", "organization_id": org.json()["id"]})
    for created, path in ((org, "organizations"), (plan, "plans"), (target, "targets"), (correction, "submissions"),
                          (key, "api-keys")):
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"{API}/{path}/{created.json()['id']}"
        read = client.get(created.headers["location"])
        assert read.status_code == 200
        assert created.headers["etag"] == read.headers["etag"], path
    assert figure.headers["location"] == f"{API}/submissions/{figure.json()['id']}"
    # the original's read changed when it got a correction: its ETag with it
    assert client.get(f"{API}/submissions/{figure.json()['id']}").headers["etag"] != figure.headers["etag"]


@pytest.mark.parametrize("kind", ["organizations", "plans", "targets", "submissions", "api-keys"])
def test_if_none_match_gives_304_while_the_resource_is_unchanged(client, make, kind):
    plan = make.plan()
    target = make.target(plan["id"])
    figure = make.submission(target["id"], value=91.5, period_date="2019-06-30", organization_id=plan["organization_id"])
    key = client.post(f"{API}/api-keys", json={"name": "x", "role": "viewer", "organization_id": plan["organization_id"]})
    ids = {"organizations": plan["organization_id"], "plans": plan["id"], "targets": target["id"],
           "submissions": figure["id"], "api-keys": key.json()["id"]}
    path = f"{API}/{kind}/{ids[kind]}"
    first = client.get(path)
    tag = first.headers["etag"]
    unchanged = client.get(path, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == tag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304  # weak comparison
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"something else"'}).status_code == 200
    if kind in ("plans", "targets"):  # a change gives a new ETag and a full answer
        assert client.patch(path, json={"title": "Đã đổi tên"}).status_code == 200
        changed = client.get(path, headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag and changed.json()["title"] == "Đã đổi tên"


def test_answers_in_a_language_say_which_and_vary_on_accept_language(client, seeded):
    for path in (f"{API}/targets/1/status", f"{API}/plans/1/status", f"{API}/plans/1/status/organizations",
                 f"{API}/plans/1/chart.svg", f"{API}/plans/1/export?content=status"):
        sep = "&" if "?" in path else "?"
        english = client.get(f"{path}{sep}as_of=2019-12-31", headers={"Accept-Language": "en-US,en;q=0.9"})
        assert english.status_code == 200, (path, english.text[:200])
        assert english.headers["content-language"] == "en", path
        assert "accept-language" in english.headers["vary"].lower(), path
        vietnamese = client.get(f"{path}{sep}as_of=2019-12-31")
        assert vietnamese.headers["content-language"] == "vi", path
        assert client.get(f"{path}{sep}as_of=2019-12-31&lang=en",
                          headers={"Accept-Language": "vi"}).headers["content-language"] == "en"
    assert "content-language" not in client.get(f"{API}/plans/1").headers  # not written in a language


def test_a_superseded_figure_409_names_the_current_version_in_a_field(client, make):
    plan = make.plan()
    target = make.target(plan["id"])
    body = {"value": 91.5, "period_date": "2019-06-30", "organization_id": plan["organization_id"]}
    original = make.submission(target["id"], **body)
    current = client.post(f"{API}/submissions/{original['id']}/corrections", json={**body, "value": 92, "reason": "sửa"})
    stale = client.post(f"{API}/submissions/{original['id']}/corrections", json={**body, "value": 93, "reason": "sửa lại"})
    assert assert_problem(stale, 409)["current_submission_id"] == current.json()["id"]
    again = client.post(f"{API}/targets/{target['id']}/submissions", json=body)
    assert assert_problem(again, 409)["existing_submission_id"] == current.json()["id"]  # the version in force


# ------------------------------------------------------------------ item 7: CORS


def test_cors_is_off_by_default(anonymous):
    r = anonymous.get(f"{API}/plans", headers={"Origin": "https://portal.example.gov.vn"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    preflight = anonymous.options(f"{API}/plans", headers={"Origin": "https://portal.example.gov.vn",
                                                          "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    assert not any(type(m.cls).__name__ == "CORSMiddleware" or m.cls.__name__ == "CORSMiddleware"
                   for m in anonymous.app.user_middleware)


@pytest.fixture
def cors_app(backend, database_urls):
    app = create_app(Settings(database_url=database_urls[backend],
                              cors_origins="https://portal.example.gov.vn, https://bi.example.gov.vn/"))
    yield app
    app.state.engine.dispose()


def test_cors_on_for_the_listed_origins_with_preflight(cors_app):
    allowed, other = "https://portal.example.gov.vn", "https://evil.example.com"
    with TestClient(cors_app, raise_server_exceptions=False) as c:
        preflight = c.options(f"{API}/plans", headers={
            "Origin": allowed, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == allowed
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        assert c.options(f"{API}/plans", headers={"Origin": "https://bi.example.gov.vn",
                                                 "Access-Control-Request-Method": "GET"}).status_code == 200
        refused = c.options(f"{API}/plans", headers={"Origin": other, "Access-Control-Request-Method": "POST"})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers

        read = c.get(f"{API}/plans", headers={"Origin": allowed})
        assert read.headers["access-control-allow-origin"] == allowed
        assert "etag" in read.headers["access-control-expose-headers"].lower()
        assert "location" in read.headers["access-control-expose-headers"].lower()
        error = c.post(f"{API}/plans", json={}, headers={"Origin": allowed})  # no key: 401, still readable by the page
        assert error.status_code == 401 and error.headers["access-control-allow-origin"] == allowed
        assert "access-control-allow-origin" not in c.get(f"{API}/plans", headers={"Origin": other}).headers


def test_cors_origins_must_be_origins():
    with pytest.raises(ValueError, match="not an origin"):
        Settings(cors_origins="https://ok.example.gov.vn,portal.example.gov.vn/path")
    assert Settings(cors_origins=" * ").cors_origin_list() == ["*"]
    assert Settings().cors_origin_list() == []


# ------------------------------------------------------------------ item 8: errors that teach; 415


def _figure_errors(client, make, body: dict, lang_header: str | None = None):
    plan = make.plan()
    target = make.target(plan["id"])
    headers = {"Accept-Language": lang_header} if lang_header else {}
    sent = {"organization_id": plan["organization_id"], "value": 91.5, "period_date": "2019-06-30", **body}
    r = client.post(f"{API}/targets/{target['id']}/submissions", json=sent, headers=headers)
    problem = assert_problem(r, 422)
    return r, {e["field"]: e["message"] for e in problem["errors"]}


def test_a_day_first_date_and_a_decimal_comma_say_what_is_expected_in_english(client, make):
    r, messages = _figure_errors(client, make, {"period_date": "30/06/2019", "value": "98,3"}, "en")
    assert r.headers["content-language"] == "en"
    assert "YYYY-MM-DD" in messages["period_date"] and "2019-06-30" in messages["period_date"]
    assert '"30/06/2019"' in messages["period_date"]  # what was sent
    assert "valid number" in messages["value"] and "98.3" in messages["value"] and "dot" in messages["value"]
    assert "2019-06-30" in r.json()["detail"]


def test_the_same_errors_in_vietnamese_by_default(client, make):
    r, messages = _figure_errors(client, make, {"period_date": "30/06/2019", "value": "98,3"})
    assert r.headers["content-language"] == "vi"
    assert "YYYY-MM-DD" in messages["period_date"] and "ví dụ" in messages["period_date"]
    assert "số hợp lệ" in messages["value"] and "98.3" in messages["value"]


def test_query_dates_and_other_types_teach_too(client, seeded):
    r = client.get(f"{API}/targets/1/status", params={"as_of": "30/06/2019", "lang": "en"})
    message = assert_problem(r, 422, fields={"query.as_of"})["errors"][0]["message"]
    assert "YYYY-MM-DD" in message and "2019-06-30" in message and "invalid character" not in message
    r = client.get(f"{API}/plans", params={"limit": "ten"}, headers={"Accept-Language": "en"})
    assert "whole number" in assert_problem(r, 422, fields={"query.limit"})["errors"][0]["message"]
    r = client.get(f"{API}/plans", params={"limit": 0}, headers={"Accept-Language": "en"})
    assert "at least 1" in assert_problem(r, 422, fields={"query.limit"})["errors"][0]["message"]
    r = client.get(f"{API}/plans", params={"state": "open"}, headers={"Accept-Language": "en"})
    message = assert_problem(r, 422, fields={"query.state"})["errors"][0]["message"]
    assert "expected one of" in message and "active" in message


def test_a_text_plain_body_on_a_json_route_is_415(client, make):
    plan = make.plan()
    target = make.target(plan["id"])
    body = b'{"value": 91.5, "period_date": "2019-06-30", "organization_id": %d}' % plan["organization_id"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        r = client.post(f"{API}/targets/{target['id']}/submissions", content=body, headers=headers)
        assert r.status_code == 415, (content_type, r.text)
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["type"].endswith("/unsupported-media-type") and "application/json" in r.json()["detail"]
    assert client.get(f"{API}/targets/{target['id']}/submissions").json()["total"] == 0  # nothing stored
    documented = client.app.openapi()["paths"]
    assert "415" in documented[f"{API}/targets/{{target_id}}/submissions"]["post"]["responses"]
    assert "415" not in documented[f"{API}/plans/{{plan_id}}/import/targets"]["post"]["responses"]
    ok = client.post(f"{API}/targets/{target['id']}/submissions", content=body,
                     headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 201, ok.text


def test_the_upload_routes_still_take_their_files_not_a_415(client, make):
    plan = make.plan()
    r = client.post(f"{API}/plans/{plan['id']}/import/targets", content=b"code,title", headers={"content-type": "text/plain"})
    assert r.status_code != 415
    csv = "code,title,unit,comparison,value\nT-9,Tỷ lệ,%,at_least,90\n".encode()
    r = client.post(f"{API}/plans/{plan['id']}/import/targets", files={"file": ("targets.csv", csv, "text/csv")})
    assert r.status_code == 200, r.text


def test_the_415_and_teaching_messages_hold_for_a_key_of_any_role(app, make):
    """Nothing here depends on being an admin: a reporter meets the same messages."""
    plan = make.plan()
    target = make.target(plan["id"])
    headers = bearer(new_key(app, "reporter", plan["organization_id"]))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        r = c.post(f"{API}/targets/{target['id']}/submissions", content=b"91.5", headers={"content-type": "text/plain"})
        assert r.status_code == 415
