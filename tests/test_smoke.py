"""The walk a new user takes: seeded plan, its status, a new figure."""


def test_seeded_plan_lists_twelve_targets(client, seeded):
    plans = client.get("/api/v1/plans").json()
    assert plans["total"] == 1
    plan_id = plans["items"][0]["id"]
    status = client.get(f"/api/v1/plans/{plan_id}/status").json()
    assert status["total"] == 12
    assert len(status["targets"]) == 12
