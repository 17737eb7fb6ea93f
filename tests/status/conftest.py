"""What the stored status tests share (test_target_stored.py, test_history_stored.py): a plan with many
kinds of targets and figures, and a plan that requires approval."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.helpers import API
from tests.conftest import bearer, new_key


def forget(app) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(text("DELETE FROM target_evaluation"))



@pytest.fixture
def varied(make, client):
    """A province with two reporting wards and a plan with targets of many kinds, figures, corrections,
    retractions, estimates, an assessment, more than 20 figures on one target, and one target without any."""
    province = make.org()
    wards = [make.org(parent_id=province["id"], is_reporting_unit=True) for _ in range(2)]
    plan = make.plan(province["id"])
    w1, w2 = wards[0]["id"], wards[1]["id"]
    level = make.target(plan["id"], code="LEVEL")
    flow = make.target(plan["id"], code="FLOW", unit="tấn", value=1000, aggregation="sum", across_units="sum")
    ceiling = make.target(plan["id"], code="CEIL", unit="%", comparison="at_most", value=5)
    bare = make.target(plan["id"], code="BARE")
    make.submission(level["id"], value=85, period_date="2019-03-31", organization_id=w1)
    wrong = make.submission(level["id"], value=70, period_date="2019-04-30", organization_id=w2)
    r = client.post(f"{API}/submissions/{wrong['id']}/corrections",
                    json={"value": 92, "period_date": "2019-04-30", "organization_id": w2, "reason": "số chính thức"})
    assert r.status_code == 201, r.text
    for day in range(1, 26):
        make.submission(flow["id"], value=10 + day, period_date=f"2019-05-{day:02d}", organization_id=w1 if day % 2 else w2)
    make.submission(flow["id"], value=40, period_date="2019-06-15", organization_id=w2, is_estimate=True)
    gone = make.submission(ceiling["id"], value=9, period_date="2019-02-28", organization_id=w1)
    assert client.post(f"{API}/submissions/{gone['id']}/retraction", json={"reason": "gửi nhầm"}).status_code == 201
    make.submission(ceiling["id"], value=4.5, period_date="2019-03-31", organization_id=w1)
    r = client.post(f"{API}/targets/{flow['id']}/assessments",
                    json={"verdict": "not_achieved", "reason": "Chưa đạt", "assessed_by": "BTV", "assessed_on": "2019-07-01"})
    assert r.status_code == 201, r.text
    return {"plan": plan["id"], "ward": w1, "targets": {t["code"]: t["id"] for t in (level, flow, ceiling, bare)}}


@pytest.fixture
def approval(app, make):
    """A plan that requires approval (issue 14): a ward reporter's figures wait for an editor of the city."""
    city = make.org()
    ward = make.org(parent_id=city["id"])
    plan = make.plan(city["id"], approval_required=True)
    target = make.target(plan["id"], across_units="sum", comparison="at_least", value=90, unit="ha")
    keys = {
        "reporter": bearer(new_key(app, "reporter", ward["id"], name="reporter@ward")),
        "editor": bearer(new_key(app, "editor", city["id"], name="editor@city")),
    }
    return {"ward": ward["id"], "target": target["id"], "keys": keys}


def send(client, w, value: float, day: str) -> dict:
    r = client.post(f"{API}/targets/{w['target']}/submissions", headers=w["keys"]["reporter"],
                    json={"value": value, "period_date": day, "organization_id": w["ward"]})
    assert r.status_code == 201 and r.json()["review"] == "submitted", r.text
    return r.json()


