"""An import of figures is followed, off the request, by judging the plan on today's date (issue 17):
the evaluations are stored, so the next plan-status read judges nothing."""

from __future__ import annotations

import csv
import io
import zlib

from sqlalchemy import func, select
from sqlmodel import Session

from app.exchange.import_router import judged_after_imports
from app.status import cache
from tests.api.helpers import API


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _wake_done() -> None:
    judged_after_imports()


def _stored_on(app, target_ids: list[int], as_of) -> int:
    with Session(app.state.engine) as s:
        query = select(func.count()).where(cache.TABLE.c.target_id.in_(target_ids), cache.TABLE.c.as_of == as_of)
        return s.execute(query).scalar_one()


def test_an_import_is_followed_by_judging_the_plan_on_today(client, app, make):
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    targets = [make.target(plan["id"], code=f"T{n}") for n in range(3)]
    today = app.state.settings.today()
    _wake_done()
    assert _stored_on(app, [t["id"] for t in targets], today) == 0
    data = _csv([["target_code", "organization_code", "period_date", "value"],
                 *[[t["code"], org["code"], "2019-03-31", "10"] for t in targets]])
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("f.csv", data, "text/csv")},
                    headers={"Idempotency-Key": "import-then-judge"})
    assert r.status_code == 200 and r.json()["stored"], r.text
    _wake_done()
    assert _stored_on(app, [t["id"] for t in targets], today) == 3
    # and the read that follows agrees with a fresh judgement (the stored rows hold: nothing stale)
    status = client.get(f"{API}/plans/{plan['id']}/status").json()
    assert status["total"] == 3 and status["as_of"] == today.isoformat()


def test_a_dry_run_judges_nothing(client, app, make):
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    target = make.target(plan["id"], code="D1")
    data = _csv([["target_code", "organization_code", "period_date", "value"], [target["code"], org["code"], "2019-03-31", "1"]])
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions?dry_run=true", files={"file": ("f.csv", data, "text/csv")})
    assert r.status_code == 200 and not r.json()["stored"], r.text
    _wake_done()
    assert _stored_on(app, [target["id"]], app.state.settings.today()) == 0


def _by_org_rows(app, plan_id: int) -> int:
    with Session(app.state.engine) as s:
        return s.execute(select(func.count()).where(cache.BY_ORG.c.plan_id == plan_id)).scalar_one()


def test_the_status_by_organisation_is_stored_and_follows_every_change(client, app, make):
    """Stored per plan, date and language; served while its fingerprint holds; a new figure, a renamed
    organisation or another language is computed afresh, and always equals what computing says."""
    from app.plans.models import Plan
    from app.status import service

    org = make.org()
    ward = make.org(parent_id=org["id"])
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2019-12-31")
    target = make.target(plan["id"], code="O1")
    make.submission(target["id"], organization_id=ward["id"], value=5, period_date="2019-03-31")
    path = f"{API}/plans/{plan['id']}/status/organizations?as_of=2019-06-30"

    def computed(lang: str = "vi") -> dict:
        with Session(app.state.engine) as s:
            return service.plan_status_by_organization(
                session=s, plan=s.get(Plan, plan["id"]), as_of=__import__("datetime").date(2019, 6, 30), known_at=None, lang=lang
            ).model_dump(mode="json")

    first = client.get(path)
    assert first.status_code == 200 and first.json() == computed()
    assert _by_org_rows(app, plan["id"]) == 1
    with Session(app.state.engine) as s:  # what is served next is the stored row: mark it to see it come back
        stored = zlib.decompress(s.execute(select(cache.BY_ORG.c.payload)).scalar_one())
        # the envelope, then one line per organisation (the page is cut from them, the lines sent as they are)
        assert stored.count(b"\n") == first.json()["total"] == len(first.json()["organizations"]) == 1
        s.execute(cache.BY_ORG.update().values(payload=zlib.compress(stored.replace(b'"summary"', b'"summary" '))))
        s.commit()
    assert client.get(path).content == first.content.replace(b'"summary"', b'"summary" ')
    make.submission(target["id"], organization_id=ward["id"], value=7, period_date="2019-04-30")
    after = client.get(path)
    assert after.json() == computed() and after.json() != first.json()  # the new figure counts
    client.patch(f"{API}/organizations/{ward['id']}", json={"name": "Phường mới"})
    renamed = client.get(path).json()
    assert renamed == computed() and any(o["name"] == "Phường mới" for o in renamed["organizations"])
    assert client.get(path + "&lang=en").json() == computed("en")
    assert _by_org_rows(app, plan["id"]) == 2  # vi and en


def test_a_plan_is_not_judged_while_this_worker_imports_into_it(monkeypatch):
    """A file that takes longer than JUDGE_DELAY is not imported beside the judging of the files before it
    (both would hold their rows at once: the import's peak memory, issue 17); the judging runs after it."""
    import time

    from app.exchange import import_router

    judged: list[int] = []
    monkeypatch.setattr(import_router, "JUDGE_DELAY", 0.02)
    monkeypatch.setattr(import_router, "judge_plan", lambda engine, plan_id, as_of: judged.append(plan_id))

    def settled() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (import_router._pending or import_router._importing):
            time.sleep(0.01)
        import_router.JUDGE_AFTER_IMPORT.submit(lambda: None).result(timeout=10)

    with import_router.importing(901):
        import_router.judge_after_import(None, 901, None)  # an earlier file of the plan, done
        import_router.judge_after_import(None, 902, None)  # another plan: not held back
        time.sleep(0.3)  # many times the delay: the timer came due and was put off, again and again
        assert 902 in judged and 901 not in judged
        assert 901 in import_router._pending
    settled()
    assert sorted(judged) == [901, 902]  # once each, after the import ended
    assert not import_router._pending and not import_router._importing


def test_an_upload_or_a_batch_holds_the_plans_judging_from_its_reading_to_its_answer(client, app, make, monkeypatch):
    from app.exchange import import_router, importer

    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    target = make.target(plan["id"], code="H1")
    held: list[dict] = []
    real = importer.import_submissions

    def watched(**kwargs):
        held.append(dict(import_router._importing))
        return real(**kwargs)

    monkeypatch.setattr(importer, "import_submissions", watched)
    data = _csv([["target_code", "organization_code", "period_date", "value"], [target["code"], org["code"], "2019-03-31", "1"]])
    sheet = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("f.csv", data, "text/csv")})
    batch = client.post(f"{API}/plans/{plan['id']}/submissions/batch",
                        json=[{"target_code": target["code"], "organization_code": org["code"], "period_date": "2019-06-30", "value": 2}])
    assert sheet.status_code == 200 and batch.status_code == 200, (sheet.text, batch.text)
    assert held == [{plan["id"]: 1}, {plan["id"]: 1}]
    assert not import_router._importing  # released with the answer
    _wake_done()
