"""Issue 12, item 8: dates in JSON bodies are ISO 8601 calendar dates, and the error says so."""

from __future__ import annotations

import pytest

from tests.api.helpers import API, assert_problem, post_raw


@pytest.mark.parametrize("raw", ["1561852800", '"1561852800"', '"2019-06-30T00:00:00"', '"2019-06-30T00:00:00Z"',
                                 '"2019-06-30 00:00"', '"20190630"', '"2019-6-30"', "true"])
def test_period_date_refuses_unix_times_and_datetimes(client, make, raw):
    plan = make.plan()
    target = make.target(plan["id"])
    body = '{"value": 5, "organization_id": %d, "period_date": %s}' % (plan["organization_id"], raw)
    problem = assert_problem(post_raw(client, f"{API}/targets/{target['id']}/submissions", body), 422, fields={"period_date"})
    message = next(e["message"] for e in problem["errors"] if e["field"] == "period_date")
    assert "ISO 8601" in message and "2019-06-30" in message, message
    assert client.get(f"{API}/targets/{target['id']}/submissions").json()["total"] == 0


def test_other_body_dates_follow_the_same_rule(client, make):
    org = make.org()
    body = {"code": "P-X", "title": "Plan", "organization_id": org["id"], "start_date": 1546300800, "end_date": "2019-12-31"}
    assert_problem(client.post(f"{API}/plans", json=body), 422, fields={"start_date"})
    body["start_date"] = "2019-01-01T00:00:00"
    assert_problem(client.post(f"{API}/plans", json=body), 422, fields={"start_date"})
    body["start_date"] = "2019-01-01"
    assert client.post(f"{API}/plans", json=body).status_code == 201
