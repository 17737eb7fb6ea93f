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


def test_judging_waits_while_an_import_into_the_plan_runs(monkeypatch):
    """A national file takes longer than JUDGE_DELAY: the timer of the file before must not judge the plan
    in the middle of the next file's import (issue 17); it judges once that import is over."""
    import threading
    import time

    from app.exchange import import_router

    judged: list[int] = []
    done = threading.Event()

    def judge(engine, plan_id, as_of):
        judged.append(plan_id)
        done.set()

    monkeypatch.setattr(import_router, "judge_plan", judge)
    monkeypatch.setattr(import_router, "JUDGE_DELAY", 0.05)
    with import_router.importing(4242):
        import_router.judge_after_import(None, 4242, None)
        time.sleep(0.4)  # several delays: each finds the import running and waits again
        assert judged == []
    assert done.wait(5) and judged == [4242]
    time.sleep(0.2)
    assert judged == [4242]  # once
