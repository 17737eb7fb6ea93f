"""An import of figures is followed, off the request, by judging the plan on today's date (issue 17):
the evaluations are stored, so the next plan-status read judges nothing."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlmodel import Session

from app.exchange.import_router import JUDGE_AFTER_IMPORT
from app.status import cache
from tests.api.helpers import API


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _wake_done() -> None:
    JUDGE_AFTER_IMPORT.submit(lambda: None).result(timeout=60)  # one thread: what was queued before is done


def _stored_on(app, target_ids: list[int], as_of: str) -> int:
    with Session(app.state.engine) as s:
        query = select(func.count()).where(cache.TABLE.c.target_id.in_(target_ids), cache.TABLE.c.as_of == as_of)
        return s.execute(query).scalar_one()


def test_an_import_is_followed_by_judging_the_plan_on_today(client, app, make):
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    targets = [make.target(plan["id"], code=f"T{n}") for n in range(3)]
    today = app.state.settings.today().isoformat()
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
    assert status["total"] == 3 and status["as_of"] == today


def test_a_dry_run_judges_nothing(client, app, make):
    org = make.org()
    plan = make.plan(org["id"], start_date="2019-01-01", end_date="2030-12-31")
    target = make.target(plan["id"], code="D1")
    data = _csv([["target_code", "organization_code", "period_date", "value"], [target["code"], org["code"], "2019-03-31", "1"]])
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions?dry_run=true", files={"file": ("f.csv", data, "text/csv")})
    assert r.status_code == 200 and not r.json()["stored"], r.text
    _wake_done()
    assert _stored_on(app, [target["id"]], app.state.settings.today().isoformat()) == 0
