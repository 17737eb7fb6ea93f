"""Where issue 17's fast paths meet the workflow and the client docs (the perf merge), on both databases.

- POST a figure writes its answer before the commit (the Idempotency-Key's record 'done' with it):
  the answer is the approval-era SubmissionPublic, the body may name the unit by code, and the
  record keeps the 201's Location and ETag, so a replay carries them too.
- The status routes that send their own Response say their language (Content-Language, Vary).
- The stored status by organisation follows approval (a review, the plan's setting) and never
  stores a provisional `include=submitted` reading.
- Judging in an import's wake judges as a plain read does: approved figures only.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.exchange.import_router import judged_after_imports
from app.plans.models import Plan
from app.status import cache, service
from tests.api.helpers import API
from tests.api.test_approval import approve, send, w  # noqa: F401 - w is the approval world fixture


def test_a_replayed_figure_post_carries_the_same_location_and_etag(client, w):  # noqa: F811
    body = {"value": 40, "period_date": "2019-06-30", "organization_code": w["ward"]["code"]}
    headers = {**w["keys"]["reporter@ward"], "Idempotency-Key": "perf-merge-replay"}
    first = client.post(f"{API}/targets/{w['target']['id']}/submissions", headers=headers, json=body)
    assert first.status_code == 201, first.text
    figure = first.json()
    assert figure["organization_id"] == w["ward"]["id"] and figure["review"] == "submitted"
    assert first.headers["location"] == f"{API}/submissions/{figure['id']}"
    read = client.get(first.headers["location"])
    assert read.status_code == 200 and read.headers["etag"] == first.headers["etag"]
    again = client.post(f"{API}/targets/{w['target']['id']}/submissions", headers=headers, json=body)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true", again.text
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    figures = client.get(f"{API}/targets/{w['target']['id']}/submissions").json()["items"]
    assert [f["id"] for f in figures] == [figure["id"]]  # written once


def test_an_unknown_organisation_code_is_a_422_and_stores_nothing(client, w):  # noqa: F811
    body = {"value": 40, "period_date": "2019-06-30", "organization_code": "P-NOWHERE"}
    headers = {**w["keys"]["reporter@ward"], "Idempotency-Key": "perf-merge-unknown-code"}
    r = client.post(f"{API}/targets/{w['target']['id']}/submissions", headers=headers, json=body)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert client.get(f"{API}/targets/{w['target']['id']}/submissions").json()["total"] == 0


def test_the_status_routes_say_their_language(client, w):  # noqa: F811
    send(client, w, "editor@city", 95, org="city")
    paths = [
        f"{API}/targets/{w['target']['id']}/status",
        f"{API}/plans/{w['plan']['id']}/status",
        f"{API}/plans/{w['plan']['id']}/status/organizations",
    ]
    for path in paths:
        for params, headers, lang in (({}, {"Accept-Language": "en-GB,en;q=0.9"}, "en"), ({"lang": "vi"}, {"Accept-Language": "en"}, "vi")):
            for include in ({}, {"include": "submitted"}):
                r = client.get(path, params={"as_of": "2019-12-31", **params, **include}, headers=headers)
                assert r.status_code == 200, (path, r.text)
                assert r.headers["content-language"] == lang, path
                assert "accept-language" in r.headers["vary"].lower(), path


def _by_org_rows(app, plan_id: int) -> int:
    with Session(app.state.engine) as s:
        return s.execute(select(func.count()).where(cache.BY_ORG.c.plan_id == plan_id)).scalar_one()


def test_the_stored_status_by_organisation_follows_approval(app, client, w):  # noqa: F811
    path = f"{API}/plans/{w['plan']['id']}/status/organizations"
    as_of = date(2019, 12, 31)

    def computed(include_submitted: bool = False) -> dict:
        with Session(app.state.engine) as s:
            return service.plan_status_by_organization(
                session=s, plan=s.get(Plan, w["plan"]["id"]), as_of=as_of, known_at=None, lang="vi",
                include_submitted=include_submitted,
            ).model_dump(mode="json")

    def read(**params) -> dict:
        r = client.get(path, params={"as_of": as_of.isoformat(), **params})
        assert r.status_code == 200, r.text
        return r.json()

    figure = send(client, w, "reporter@ward", 95)
    before = read()
    assert before == computed() and _by_org_rows(app, w["plan"]["id"]) == 1
    provisional = read(include="submitted")
    assert provisional == computed(include_submitted=True) and provisional != before  # the submitted figure counts there
    assert _by_org_rows(app, w["plan"]["id"]) == 1  # a provisional reading is not stored
    assert read() == before  # nor does it replace the stored one
    assert approve(client, w, figure["id"]).status_code == 201  # a review, no new figure: the fingerprint moves
    approved = read()
    assert approved == computed() and approved != before
    second = send(client, w, "reporter@ward", 20, day="2019-09-30")  # noqa: F841 - submitted, does not count
    now = read()
    assert now == computed() and now != approved
    # it does not count, but it is accounted for: counted among those that do not, with why, in every view above it
    assert [t["not_counted_by_reason"] for o in approved["organizations"] for t in o["targets"]] == [{}, {}]
    assert [(t["not_counted_by_reason"], t["submission_count"]) for o in now["organizations"] for t in o["targets"]] == [
        ({"awaiting approval": 1}, 1), ({"awaiting approval": 1}, 1)]
    assert client.patch(f"{API}/plans/{w['plan']['id']}", json={"approval_required": False}).status_code == 200
    everything = read()  # the setting changes what counts without a figure or a review
    assert everything == computed() and everything != approved


def _csv(rows: list[list]) -> dict:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return {"file": ("figures.csv", out.getvalue().encode(), "text/csv")}


def test_judging_after_an_import_counts_approved_figures_only(app, client, w):  # noqa: F811
    today = app.state.settings.today()
    header = ["target_code", "organization_code", "period_date", "value"]
    day = w["plan"]["start_date"]
    r = client.post(f"{API}/plans/{w['plan']['id']}/import/submissions", headers=w["keys"]["reporter@ward"],
                    files=_csv([header, [w["target"]["code"], w["ward"]["code"], day, "95"]]))
    assert r.status_code == 200 and r.json()["stored"], r.text
    judged_after_imports()
    with Session(app.state.engine) as s:
        stored = cache.read(s, s.get(Plan, w["plan"]["id"]), today)
    assert set(stored) == {w["target"]["id"]}  # judged in the import's wake
    payload = stored[w["target"]["id"]][1].payload.decode()
    assert '"measured":null' in payload.replace(" ", "")  # the submitted figure does not count
    plain = client.get(f"{API}/plans/{w['plan']['id']}/status").json()["targets"][0]
    provisional = client.get(f"{API}/plans/{w['plan']['id']}/status", params={"include": "submitted"}).json()["targets"][0]
    assert plain["measured"] is None and provisional["measured"] == 95


def test_the_json_batch_is_judged_in_its_wake_as_a_sheet_is(app, client, make):
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    target = make.target(plan["id"], code="B1")
    today = app.state.settings.today()
    judged_after_imports()
    with Session(app.state.engine) as s:
        assert cache.read(s, s.get(Plan, plan["id"]), today) == {}
    batch = [{"target_code": "B1", "organization_code": org["code"], "period_date": "2019-03-31", "value": 10}]
    r = client.post(f"{API}/plans/{plan['id']}/submissions/batch", json=batch)
    assert r.status_code == 200 and r.json()["stored"], r.text
    judged_after_imports()
    with Session(app.state.engine) as s:
        assert set(cache.read(s, s.get(Plan, plan["id"]), today)) == {target["id"]}
