"""Figures are never lost: corrections and retractions over HTTP, on both databases.

A correction or retraction is a new row superseding the chain's current version; the
status counts the current version as known at `known_at`; a closed plan takes no new
figures and only editors' corrections.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import Conflict
from app.organizations.models import Organization
from app.plans.models import Plan
from app.common.crud import transaction
from app.submissions import service
from app.submissions.models import Submission
from app.targets.models import Target
from tests.api.helpers import API, assert_problem
from tests.conftest import bearer, new_key


@pytest.fixture
def scene(session):
    """A 2019 plan of ROOT (with a ward under it, and a stranger outside), an 'at least 90 %' target."""
    root = Organization(code="ROOT", name="Thành ủy")
    stranger = Organization(code="STRANGER", name="Huyện ủy khác")
    session.add_all([root, stranger])
    session.flush()
    ward = Organization(code="WARD", name="Phường", parent_id=root.id)
    plan = Plan(code="P-2019", title="Kế hoạch 2019", organization_id=root.id, start_date=date(2019, 1, 1),
                end_date=date(2019, 12, 31), state="active")
    session.add_all([ward, plan])
    session.flush()
    target = Target(plan_id=plan.id, code="01", title="Tỷ lệ", unit="%", comparison="at_least", value=90,
                    direction="higher_is_better")
    session.add(target)
    session.flush()
    ids = {"root": root.id, "stranger": stranger.id, "ward": ward.id, "plan": plan.id, "target": target.id}
    session.commit()
    return ids


def figure(scene, value=80.0, **kw) -> dict:
    return {"value": value, "period_date": "2019-12-31", "organization_id": scene["root"], **kw}


def submit(client, scene, **kw) -> dict:
    r = client.post(f"{API}/targets/{scene['target']}/submissions", json=figure(scene, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def correct(client, submission_id: int, body: dict, **kw):
    return client.post(f"{API}/submissions/{submission_id}/corrections", json=body, **kw)


def retract(client, submission_id: int, reason: str = "gửi nhầm", **kw):
    return client.post(f"{API}/submissions/{submission_id}/retraction", json={"reason": reason}, **kw)


def status(client, scene, **params) -> dict:
    r = client.get(f"{API}/targets/{scene['target']}/status", params={"as_of": "2019-12-31", **params})
    assert r.status_code == 200, r.text
    return r.json()


def listed(client, scene, **params) -> list[dict]:
    r = client.get(f"{API}/targets/{scene['target']}/submissions", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# ------------------------------------------------------------------ corrections and history


def test_a_correction_is_a_new_version_and_the_history_shows_every_one(client, scene):
    original = submit(client, scene, value=80.0, note="Ước")
    r = correct(client, original["id"], figure(scene, 85.0, note="Số chính thức", reason="Số liệu chính thức"))
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["kind"], first["supersedes_id"], first["root_id"]) == ("correction", original["id"], original["id"])
    assert (first["value"], first["note"], first["reason"]) == (85.0, "Số chính thức", "Số liệu chính thức")
    assert first["id"] != original["id"] and first["recorded_at"] >= original["recorded_at"]

    second = correct(client, first["id"], figure(scene, 86.0, reason="Điều chỉnh lần 2")).json()
    assert (second["supersedes_id"], second["root_id"]) == (first["id"], original["id"])  # root: always the original

    for any_version in (original, first, second):
        detail = client.get(f"{API}/submissions/{any_version['id']}").json()
        assert detail["id"] == any_version["id"]
        assert [v["id"] for v in detail["history"]] == [original["id"], first["id"], second["id"]]
        assert [v["kind"] for v in detail["history"]] == ["original", "correction", "correction"]
        assert (detail["current_id"], detail["retracted"]) == (second["id"], False)
    # The original is unchanged: nothing is edited in place.
    assert client.get(f"{API}/submissions/{original['id']}").json()["history"][0] == original

    assert [s["id"] for s in listed(client, scene)] == [second["id"]]  # current versions by default
    assert [s["id"] for s in listed(client, scene, versions="all")] == [original["id"], first["id"], second["id"]]


def test_a_superseded_version_cannot_be_corrected_or_retracted_and_the_409_names_the_current_one(client, scene):
    original = submit(client, scene)
    current = correct(client, original["id"], figure(scene, 85.0, reason="sửa")).json()
    for r in (correct(client, original["id"], figure(scene, 99.0, reason="sửa lại")), retract(client, original["id"])):
        body = assert_problem(r, 409)
        assert f"current version is submission {current['id']}" in body["detail"]
        assert body["current_submission_id"] == current["id"]  # for machines: no parsing of the prose
    assert len(listed(client, scene, versions="all")) == 2  # nothing stored


def test_two_corrections_of_one_version_race_one_wins_and_the_other_gets_409(app, client, scene):
    original = submit(client, scene)
    headers = bearer(new_key(app, "admin"))

    def attempt(value: float) -> int:
        with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
            return correct(c, original["id"], figure(scene, value, reason=f"sửa {value}")).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(attempt, [81.0, 82.0, 83.0, 84.0]))
    assert sorted(codes) == [201, 409, 409, 409], codes
    chain = client.get(f"{API}/submissions/{original['id']}").json()["history"]
    assert len(chain) == 2 and chain[1]["supersedes_id"] == original["id"]


def test_the_unique_supersedes_turns_a_lost_race_into_409(client, scene, session):
    """The check-then-insert gap: a writer that read the version before another corrected it
    still gets a 409 naming the winner (from the UNIQUE constraint on supersedes_id)."""
    original = submit(client, scene)
    stale = session.get(Submission, original["id"])  # read before the other writer commits
    winner = correct(client, original["id"], figure(scene, 85.0, reason="nhanh hơn")).json()
    loser = Submission.model_validate({**figure(scene, 86.0), "period_date": date(2019, 12, 31),
                                       "target_id": scene["target"], "kind": "correction", "reason": "chậm hơn"}
                                      ).model_dump(exclude={"id"})  # a new version's columns, as submit inserts them
    with pytest.raises(Conflict) as caught, transaction(session):  # the edge maps the use case's IntegrityError
        service._supersede(session, stale, loser)
    assert f"current version is submission {winner['id']}" in caught.value.detail
    assert caught.value.extra == {"current_submission_id": winner["id"]}
    assert len(listed(client, scene, versions="all")) == 2


def test_a_correction_needs_a_reason_and_a_valid_figure(client, scene):
    original = submit(client, scene)
    assert_problem(correct(client, original["id"], figure(scene, 85.0)), 422, fields={"reason"})
    assert_problem(correct(client, original["id"], figure(scene, 85.0, reason="   ")), 422, fields={"reason"})
    assert_problem(correct(client, original["id"], figure(scene, 85.0, reason="x", extra=1)), 422, fields={"extra"})
    r = correct(client, original["id"], {**figure(scene, reason="x"), "value": None, "done": True})
    assert_problem(r, 422, fields={"done"})  # a numeric target takes no done/not done
    r = correct(client, original["id"], figure(scene, 85.0, period_date="2020-01-01", reason="x"))
    assert_problem(r, 422, fields={"period_date"})
    r = correct(client, original["id"], figure(scene, 85.0, organization_id=scene["stranger"], reason="x"))
    assert_problem(r, 422, fields={"organization_id"})
    assert_problem(retract(client, original["id"], reason=""), 422, fields={"reason"})
    assert_problem(client.post(f"{API}/submissions/{original['id']}/retraction", json={}), 422, fields={"reason"})
    assert len(listed(client, scene, versions="all")) == 1


def test_unknown_submissions_are_404(client, scene):
    assert_problem(correct(client, 999_999, figure(scene, reason="x")), 404)
    assert_problem(retract(client, 999_999), 404)
    assert_problem(client.get(f"{API}/submissions/999999"), 404)


def test_a_correction_may_move_the_figure_to_another_date_or_organisation(client, scene):
    original = submit(client, scene, value=95.0, period_date="2019-06-30")
    moved = correct(client, original["id"], figure(scene, 95.0, period_date="2019-12-31", organization_id=scene["ward"],
                                                  reason="ngày và đơn vị ghi nhầm")).json()
    assert (moved["period_date"], moved["organization_id"]) == ("2019-12-31", scene["ward"])
    # On 30 June the figure no longer exists: the correction dates it at the year end.
    mid = status(client, scene, as_of="2019-06-30")
    assert mid["status"] == "no_data" and mid["submission_ids"] == []
    # Moved to the ward: the target counts the plan organisation's own figure, so the ward's is context, listed with why.
    end = status(client, scene)
    assert end["submission_ids"] == []
    assert [(n["submission_id"], n["reason"].split(":")[0]) for n in end["explanation"]["not_counted"]] == [
        (original["id"], "superseded"), (moved["id"], "context")]


# ------------------------------------------------------------------ status uses the current version, as known then


def test_status_before_and_after_a_correction_and_as_known_between_them(client, scene):
    original = submit(client, scene, value=80.0)
    before = status(client, scene)
    assert (before["status"], before["measured"], before["submission_ids"]) == ("not_achieved", 80.0, [original["id"]])

    corrected = correct(client, original["id"], figure(scene, 95.0, reason="Số chính thức")).json()
    after = status(client, scene)
    assert (after["status"], after["measured"], after["submission_ids"]) == ("exceeded", 95.0, [corrected["id"]])

    # What a review held between the two recordings saw: the original.
    assert original["recorded_at"] < corrected["recorded_at"]
    between = status(client, scene, known_at=original["recorded_at"])
    assert (between["status"], between["measured"], between["submission_ids"]) == ("not_achieved", 80.0, [original["id"]])
    assert status(client, scene, known_at=corrected["recorded_at"])["measured"] == 95.0

    plan = client.get(f"{API}/plans/{scene['plan']}/status", params={"as_of": "2019-12-31"}).json()
    assert plan["counts"]["exceeded"] == 1 and plan["targets"][0]["submission_ids"] == [corrected["id"]]
    plan_then = client.get(f"{API}/plans/{scene['plan']}/status",
                           params={"as_of": "2019-12-31", "known_at": original["recorded_at"]}).json()
    assert plan_then["counts"]["not_achieved"] == 1
    history = client.get(f"{API}/targets/{scene['target']}/history").json()
    assert [p["submission_ids"] for p in history["points"]] == [[corrected["id"]]]
    by_org = client.get(f"{API}/plans/{scene['plan']}/status/organizations", params={"as_of": "2019-12-31"}).json()
    assert [t["measured"] for o in by_org["organizations"] for t in o["targets"]] == [95.0]


def test_a_retraction_withdraws_the_figure_from_then_on(client, scene):
    original = submit(client, scene, value=80.0)
    corrected = correct(client, original["id"], figure(scene, 95.0, note="chính thức", reason="sửa")).json()
    r = retract(client, corrected["id"], reason="Báo cáo nhầm chỉ tiêu")
    assert r.status_code == 201, r.text
    retraction = r.json()
    # It repeats the figure it withdraws, and supersedes the current version.
    assert {k: retraction[k] for k in ("value", "period_date", "organization_id", "note", "is_estimate")} == {
        k: corrected[k] for k in ("value", "period_date", "organization_id", "note", "is_estimate")}
    assert (retraction["kind"], retraction["supersedes_id"], retraction["root_id"], retraction["reason"]) == (
        "retraction", corrected["id"], original["id"], "Báo cáo nhầm chỉ tiêu")

    now = status(client, scene)
    assert (now["status"], now["submission_ids"]) == ("no_data", [])
    assert status(client, scene, known_at=corrected["recorded_at"])["measured"] == 95.0  # before it was withdrawn
    assert status(client, scene, known_at=original["recorded_at"])["measured"] == 80.0

    detail = client.get(f"{API}/submissions/{original['id']}").json()
    assert (detail["current_id"], detail["retracted"]) == (retraction["id"], True)
    assert [v["kind"] for v in detail["history"]] == ["original", "correction", "retraction"]
    assert listed(client, scene) == []
    assert len(listed(client, scene, versions="all")) == 3

    # A retracted figure can be neither corrected nor retracted again, through any of its versions.
    for version in (original, corrected, retraction):
        body = assert_problem(correct(client, version["id"], figure(scene, 90.0, reason="x")), 409)
        assert "retracted" in body["detail"]
        assert_problem(retract(client, version["id"]), 409)
    # A new figure may be submitted instead.
    fresh = submit(client, scene, value=91.0)
    assert status(client, scene)["submission_ids"] == [fresh["id"]]


def test_exports_hold_the_figures_in_force(client, scene):
    kept = submit(client, scene, value=80.0, period_date="2019-06-30")
    corrected = correct(client, kept["id"], figure(scene, 81.0, period_date="2019-06-30", reason="sửa")).json()
    gone = submit(client, scene, value=70.0, period_date="2019-09-30")
    retract(client, gone["id"])
    r = client.get(f"{API}/plans/{scene['plan']}/export", params={"content": "submissions", "format": "json"})
    assert r.status_code == 200, r.text
    rows = r.json()
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert [(row["id"], row["value"]) for row in rows] == [(corrected["id"], 81.0)]


# ------------------------------------------------------------------ who may correct


def test_roles_and_scope(client, anonymous, key_for, scene):
    original = submit(client, scene, organization_id=scene["ward"])
    body = figure(scene, 85.0, organization_id=scene["ward"], reason="sửa")
    assert_problem_status(correct(anonymous, original["id"], body), 401)
    assert_problem_status(correct(client, original["id"], body, headers=key_for("viewer", scene["root"])), 403)
    assert_problem_status(correct(client, original["id"], body, headers=key_for("reporter", scene["stranger"])), 403)
    assert_problem_status(retract(client, original["id"], headers=key_for("reporter", scene["stranger"])), 403)
    ward_reporter = key_for("reporter", scene["ward"])
    # Moving the figure to an organisation outside the key's scope is refused.
    moved = {**body, "organization_id": scene["root"]}
    assert_problem_status(correct(client, original["id"], moved, headers=ward_reporter), 403)
    r = correct(client, original["id"], body, headers=ward_reporter)
    assert r.status_code == 201, r.text
    assert retract(client, r.json()["id"], headers=ward_reporter).status_code == 201


def assert_problem_status(r, status_code: int) -> None:
    assert r.status_code == status_code, r.text
    assert r.headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------ closed plans


def test_a_closed_plan_takes_no_new_figures_and_only_editors_correct(client, key_for, scene):
    original = submit(client, scene, value=80.0)
    assert client.patch(f"{API}/plans/{scene['plan']}", json={"state": "closed"}).status_code == 200

    body = assert_problem(client.post(f"{API}/targets/{scene['target']}/submissions", json=figure(scene, 90.0)), 409)
    assert "closed" in body["detail"]
    data = f"target_code,organization_code,period_date,value\n01,ROOT,2019-12-31,91\n".encode()
    for params in ({}, {"dry_run": "true"}):
        r = client.post(f"{API}/plans/{scene['plan']}/import/submissions", params=params,
                        files={"file": ("f.csv", io.BytesIO(data), "text/csv")})
        assert "closed" in assert_problem(r, 409)["detail"]

    reporter = key_for("reporter", scene["root"])
    r = correct(client, original["id"], figure(scene, 85.0, reason="sửa"), headers=reporter)
    assert_problem_status(r, 403)
    assert "closed" in r.json()["detail"]
    assert_problem_status(retract(client, original["id"], headers=reporter), 403)

    editor = key_for("editor", scene["root"])
    assert_problem(correct(client, original["id"], figure(scene, 85.0), headers=editor), 422, fields={"reason"})
    r = correct(client, original["id"], figure(scene, 85.0, reason="Hội nghị tổng kết điều chỉnh"), headers=editor)
    assert r.status_code == 201, r.text
    assert status(client, scene)["measured"] == 85.0
    assert retract(client, r.json()["id"], headers=editor).status_code == 201

    # Reopened, it takes figures again.
    assert client.patch(f"{API}/plans/{scene['plan']}", json={"state": "active"}).status_code == 200
    submit(client, scene, value=90.0)


# ------------------------------------------------------------------ the importer corrects


def test_an_import_corrects_the_figure_in_force_and_chains_rows_of_one_file(client, scene):
    original = submit(client, scene, value=80.0)
    data = ("target_code,organization_code,period_date,value\n"
            "01,ROOT,2019-12-31,82\n"
            "01,ROOT,2019-12-31,83\n").encode()
    r = client.post(f"{API}/plans/{scene['plan']}/import/submissions", files={"file": ("f.csv", io.BytesIO(data), "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"created": 0, "updated": 2, "ignored": 0, "failed": 0}
    detail = client.get(f"{API}/submissions/{original['id']}").json()
    assert [(v["value"], v["kind"], v["reason"]) for v in detail["history"]] == [
        (80.0, "original", ""), (82.0, "correction", "import: csv row 2"), (83.0, "correction", "import: csv row 3")]
    assert [v["supersedes_id"] for v in detail["history"]] == [None, detail["history"][0]["id"], detail["history"][1]["id"]]
    assert status(client, scene)["measured"] == 83.0


# ------------------------------------------------------------------ the database refuses edits


@pytest.mark.parametrize("statement", ["UPDATE submission SET value = 1", "DELETE FROM submission"])
def test_the_database_refuses_raw_updates_and_deletes_of_figures(app, backend, client, scene, statement):
    """Triggers on both databases (SQLite since migration 0006_hardening)."""
    original = submit(client, scene, value=80.0)
    with pytest.raises(DBAPIError):
        with app.state.engine.begin() as conn:
            conn.execute(text(statement))
    assert client.get(f"{API}/submissions/{original['id']}").json()["value"] == 80.0


# ------------------------------------------------------------------ documentation


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (f"{API}/submissions/{{submission_id}}/corrections", f"{API}/submissions/{{submission_id}}/retraction"):
        operation = paths[path]["post"]
        assert operation["summary"] and operation["description"]
        assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    listing = paths[f"{API}/targets/{{target_id}}/submissions"]["get"]
    assert "versions" in {p["name"] for p in listing["parameters"]}
    detail = paths[f"{API}/submissions/{{submission_id}}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"]["$ref"].endswith("/SubmissionDetail")
