"""Webhooks end to end, on both databases: subscribe a real receiver on loopback, write figures
through the API and the import, run the worker, verify what arrived with the `standardwebhooks`
reference library.
"""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session
from standardwebhooks import Webhook, WebhookVerificationError

from app.common.crud import transaction
from app.common.models import utcnow
from app.events import outbox
from app.webhooks import urls, worker
from app.webhooks.overdue import check_overdue
from tests.api.helpers import API, assert_problem
from tests.webhooks.receiver import Receiver

ALL = ["figure.submitted", "figure.corrected", "target.status_changed", "report.overdue"]


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def settings_of(app, **overrides):
    base = {"webhooks_backoff_base_seconds": 0.0, "webhooks_overdue_check_seconds": 0.0, "webhooks_poll_seconds": 0.0}
    return app.state.settings.model_copy(update={**base, **overrides})


def deliver(app, **overrides) -> int:
    """The worker's loop until nothing is due (what `chitieu worker --once` does)."""
    return worker.run(app.state.engine, settings_of(app, **overrides), once=True)


def subscribe(client, url: str, types=None, **extra) -> dict:
    r = client.post(f"{API}/webhooks/subscriptions", json={"url": url, "event_types": types or ALL, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def verified(sub: dict, received) -> dict:
    """The payload, once its signature checks out with the reference library."""
    return Webhook(sub["secret"]).verify(received.body, received.headers)


def count(app, table: str) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def figure(client, target_id: int, org_id: int, value: float, day: str = "2019-03-31") -> dict:
    r = client.post(f"{API}/targets/{target_id}/submissions", json={"value": value, "period_date": day, "organization_id": org_id})
    assert r.status_code == 201, r.text
    return r.json()


# ------------------------------------------------------------------ subscriptions


def test_the_secret_is_shown_once_and_never_again(client, receiver):
    sub = subscribe(client, receiver.url, ["figure.submitted"], description="bộ nhận thử")
    assert sub["secret"].startswith("whsec_") and sub["event_types"] == ["figure.submitted"]
    got = client.get(f"{API}/webhooks/subscriptions/{sub['id']}")
    assert got.status_code == 200 and "secret" not in got.json()
    listed = client.get(f"{API}/webhooks/subscriptions").json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    changed = client.patch(f"{API}/webhooks/subscriptions/{sub['id']}", json={"event_types": ["report.overdue"]})
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert changed.json()["event_types"] == ["report.overdue"]
    assert client.delete(f"{API}/webhooks/subscriptions/{sub['id']}").status_code == 204
    assert_problem(client.get(f"{API}/webhooks/subscriptions/{sub['id']}"), 404)


def test_bad_subscriptions_are_422(client, receiver):
    post = lambda body: client.post(f"{API}/webhooks/subscriptions", json=body)  # noqa: E731
    assert_problem(post({"url": receiver.url, "event_types": ["figure.deleted"]}), 422)
    assert_problem(post({"url": receiver.url, "event_types": []}), 422)
    assert_problem(post({"url": "ftp://127.0.0.1/x", "event_types": ALL}), 422, fields={"url"})
    assert_problem(post({"url": "http://user:pw@127.0.0.1/x", "event_types": ALL}), 422, fields={"url"})
    # metadata services are refused even where private addresses are allowed (the tests allow them)
    assert_problem(post({"url": "http://169.254.169.254/latest", "event_types": ALL}), 422, fields={"url"})
    assert_problem(post({"url": receiver.url, "event_types": ALL, "organization_id": 999999}), 422, fields={"organization_id"})


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "0.0.0.0", "[::1]", "[fe80::1]",
     "[fd00::1]", "[::ffff:127.0.0.1]", "localhost"],
)
def test_private_loopback_link_local_refused_by_default(address):
    with pytest.raises(urls.Refused):
        urls.check_url(f"http://{address}:8080/hook", allow_private=False)


def test_global_addresses_pass_and_the_setting_allows_private_ones_but_never_metadata():
    urls.check_url("https://93.184.216.34/hook", allow_private=False)  # a global address, no DNS needed
    urls.check_url("http://127.0.0.1:9/hook", allow_private=True)
    urls.check_url("http://[::1]:9/hook", allow_private=True)
    for metadata in ("169.254.169.254", "[fd00:ec2::254]", "0.0.0.0"):
        with pytest.raises(urls.Refused):
            urls.check_url(f"http://{metadata}/", allow_private=True)


# ------------------------------------------------------------------ delivery


def test_a_new_figure_arrives_signed_with_the_resource_as_the_api_shows_it(app, client, make, receiver):
    plan = make.plan()
    target = make.target(plan["id"])
    sub = subscribe(client, receiver.url, ["figure.submitted"])
    sent = figure(client, target["id"], plan["organization_id"], 42)
    assert deliver(app) == 1
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = verified(sub, got)
    assert payload["type"] == "figure.submitted"
    assert payload["id"] == got.headers["webhook-id"] and payload["id"].startswith("msg_")
    assert payload["data"] == sent  # the figure exactly as POST answered it
    assert payload["timestamp"].endswith("Z")
    # a tampered body fails the same check
    with pytest.raises(WebhookVerificationError):
        Webhook(sub["secret"]).verify(got.body.replace(b"42", b"43"), got.headers)
    log = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()
    assert log["total"] == 1
    item = log["items"][0]
    assert item["state"] == "delivered" and item["event_id"] == payload["id"] and item["event_type"] == "figure.submitted"
    assert [(a["attempt"], a["status_code"]) for a in item["log"]] == [(1, 204)]


def test_nothing_is_written_without_a_subscriber_and_nothing_for_a_rolled_back_change(app, client, make, receiver):
    plan = make.plan()
    target = make.target(plan["id"])
    figure(client, target["id"], plan["organization_id"], 1)
    assert count(app, "webhook_event") == 0  # nobody subscribed: no row at all
    subscribe(client, receiver.url, ["figure.submitted"])
    # refused figures (a second one for the same unit and date; a date outside the plan) roll back: no event
    r = client.post(f"{API}/targets/{target['id']}/submissions",
                    json={"value": 2, "period_date": "2019-03-31", "organization_id": plan["organization_id"]})
    assert r.status_code == 409
    r = client.post(f"{API}/targets/{target['id']}/submissions",
                    json={"value": 2, "period_date": "2024-01-01", "organization_id": plan["organization_id"]})
    assert r.status_code == 422
    # and an event emitted in a transaction that then rolls back is gone with it
    with Session(app.state.engine) as s:
        assert outbox.emit(s, "figure.submitted", {"x": 1}, None) is not None
        s.rollback()
    assert count(app, "webhook_event") == 0 and count(app, "webhook_delivery") == 0
    figure(client, target["id"], plan["organization_id"], 3, "2019-04-30")
    assert count(app, "webhook_event") == 1


def test_retries_on_500_with_the_same_id_until_delivered(app, client, make):
    receiver = Receiver(fail_first=2).start()
    try:
        plan = make.plan()
        target = make.target(plan["id"])
        sub = subscribe(client, receiver.url, ["figure.submitted"])
        figure(client, target["id"], plan["organization_id"], 7)
        assert deliver(app) == 3
        ids = receiver.ids()
        assert len(ids) == 3 and len(set(ids)) == 1
        for got in receiver.received:
            verified(sub, got)  # each attempt signed anew, each valid
        item = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()["items"][0]
        assert item["state"] == "delivered" and item["attempts"] == 3
        assert [a["status_code"] for a in item["log"]] == [500, 500, 204]
    finally:
        receiver.stop()


def test_a_receiver_that_is_down_is_retried_until_it_is_back(app, client, make):
    down = Receiver().start()
    port = down.port
    down.stop()  # nothing listens there now
    plan = make.plan()
    target = make.target(plan["id"])
    sub = subscribe(client, f"http://127.0.0.1:{port}/hook", ["figure.submitted"])
    figure(client, target["id"], plan["organization_id"], 8)
    settings = settings_of(app)
    with worker.make_client(settings) as http, ThreadPoolExecutor(2) as pool:
        assert worker.deliver_batch(app.state.engine, settings, http, pool) == 1
        item = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()["items"][0]
        assert item["state"] == "pending" and item["last_status_code"] is None and "Connect" in item["log"][0]["error"]
        back = Receiver(port=port).start()
        try:
            assert worker.deliver_batch(app.state.engine, settings, http, pool) == 1
            assert len(back.received) == 1 and back.ids() == [item["event_id"]]
        finally:
            back.stop()
    item = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()["items"][0]
    assert item["state"] == "delivered" and [a["status_code"] for a in item["log"]] == [None, 204]


def test_backoff_grows_exponentially_with_jitter(app):
    settings = settings_of(app, webhooks_backoff_base_seconds=5.0, webhooks_backoff_max_seconds=3600.0)
    for attempt, full in [(1, 5), (2, 10), (3, 20), (8, 640), (20, 3600)]:
        delays = {worker.backoff(settings, attempt) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays) and len(delays) > 1


def test_after_the_retry_window_the_delivery_fails_the_subscription_is_failing_and_redeliver_recovers(app, client, make):
    receiver = Receiver(status=503).start()
    try:
        plan = make.plan()
        target = make.target(plan["id"])
        sub = subscribe(client, receiver.url, ["figure.submitted"])
        figure(client, target["id"], plan["organization_id"], 9)
        with app.state.engine.begin() as conn:  # 24 hours have passed
            conn.execute(text("UPDATE webhook_delivery SET give_up_at = :t"), {"t": utcnow() - timedelta(seconds=1)})
        assert deliver(app) == 1
        item = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()["items"][0]
        assert item["state"] == "failed" and item["last_status_code"] == 503
        assert client.get(f"{API}/webhooks/subscriptions/{sub['id']}").json()["failing_since"] is not None
        assert deliver(app) == 0  # failed deliveries are not retried by themselves
        receiver.status = 200
        r = client.post(f"{API}/webhooks/deliveries/{item['id']}/redeliver")
        assert r.status_code == 202 and r.json()["state"] == "pending"
        assert deliver(app) == 1
        assert receiver.ids() == [item["event_id"], item["event_id"]]  # the same id again
        assert client.get(f"{API}/webhooks/subscriptions/{sub['id']}").json()["failing_since"] is None
        assert_problem(client.post(f"{API}/webhooks/deliveries/999999/redeliver"), 404)
    finally:
        receiver.stop()


def test_redirects_are_not_followed(app, client, make, receiver):
    receiver.status = 302
    plan = make.plan()
    target = make.target(plan["id"])
    sub = subscribe(client, receiver.url, ["figure.submitted"])
    figure(client, target["id"], plan["organization_id"], 10)
    settings = settings_of(app)
    with worker.make_client(settings) as http, ThreadPoolExecutor(1) as pool:
        worker.deliver_batch(app.state.engine, settings, http, pool)
    item = client.get(f"{API}/webhooks/subscriptions/{sub['id']}/deliveries").json()["items"][0]
    assert item["state"] == "pending" and item["last_status_code"] == 302 and len(receiver.received) == 1


def test_a_paused_subscription_waits_and_a_scoped_one_hears_only_its_organisations(app, client, make, receiver):
    root = make.org()
    ward = make.org(parent_id=root["id"])
    other = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"])
    scoped = subscribe(client, receiver.url, ["figure.submitted"], organization_id=ward["id"])
    everything = subscribe(client, receiver.url, ["figure.submitted"])
    figure(client, target["id"], ward["id"], 1)
    figure(client, target["id"], root["id"], 2)
    other_plan = make.plan(other["id"])
    figure(client, make.target(other_plan["id"])["id"], other["id"], 3)
    client.patch(f"{API}/webhooks/subscriptions/{everything['id']}", json={"active": False})
    assert deliver(app) == 1  # the scoped one's single event; the paused one's three wait
    assert verified(scoped, receiver.received[0])["data"]["organization_id"] == ward["id"]
    client.patch(f"{API}/webhooks/subscriptions/{everything['id']}", json={"active": True})
    assert deliver(app) == 3


def test_corrections_retractions_and_imports_share_the_write_path(app, client, make, receiver):
    plan = make.plan()
    target = make.target(plan["id"])
    sub = subscribe(client, receiver.url, ["figure.submitted", "figure.corrected"])
    first = figure(client, target["id"], plan["organization_id"], 10)
    fixed = client.post(f"{API}/submissions/{first['id']}/corrections", json={
        "value": 11, "period_date": "2019-03-31", "organization_id": plan["organization_id"], "reason": "số chính thức"})
    assert fixed.status_code == 201, fixed.text
    gone = client.post(f"{API}/submissions/{fixed.json()['id']}/retraction", json={"reason": "gửi nhầm"})
    assert gone.status_code == 201, gone.text
    org_code = client.get(f"{API}/organizations/{plan['organization_id']}").json()["code"]
    csv = f"target_code,organization_code,period_date,value\n{target['code']},{org_code},2019-05-31,5\n{target['code']},{org_code},2019-06-30,6\n"
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("f.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert r.status_code == 200, r.text
    assert deliver(app) == 5
    payloads = sorted((verified(sub, got) for got in receiver.received), key=lambda p: p["data"]["id"])
    assert [(p["type"], p["data"]["kind"]) for p in payloads] == [
        ("figure.submitted", "original"), ("figure.corrected", "correction"), ("figure.corrected", "retraction"),
        ("figure.submitted", "original"), ("figure.submitted", "original"),
    ]
    assert [p["data"]["value"] for p in payloads[3:]] == [5, 6]
    assert len({p["id"] for p in payloads}) == 5


def test_target_status_changed_is_decided_on_the_write_path(app, client, make, receiver):
    plan = make.plan()  # 2019: over, so the status is the final verdict
    target = make.target(plan["id"], value=90)
    org = plan["organization_id"]
    figure(client, target["id"], org, 10, "2019-01-31")  # nobody watches: nothing compared, nothing stored
    assert count(app, "webhook_event") == 0
    sub = subscribe(client, receiver.url, ["target.status_changed"])
    low = figure(client, target["id"], org, 50)  # latest figure 50 < 90: still not achieved
    fixed = client.post(f"{API}/submissions/{low['id']}/corrections", json={
        "value": 95, "period_date": "2019-03-31", "organization_id": org, "reason": "số đúng"})
    assert fixed.status_code == 201
    again = client.post(f"{API}/submissions/{fixed.json()['id']}/corrections", json={
        "value": 96, "period_date": "2019-03-31", "organization_id": org, "reason": "làm tròn"})
    assert again.status_code == 201
    assert deliver(app) == 1  # only the correction that moved the verdict
    payload = verified(sub, receiver.received[0])
    assert payload["type"] == "target.status_changed"
    data = payload["data"]
    status_now = client.get(f"{API}/targets/{target['id']}/status").json()["status"]
    assert data["target_id"] == target["id"] and data["status"] == status_now
    assert data["previous_status"] != data["status"] and data["submission_ids"] == [fixed.json()["id"]]


def test_report_overdue_once_per_target_unit_and_due_date(app, client, make, receiver):
    root = make.org()
    units = [make.org(parent_id=root["id"], is_reporting_unit=True) for _ in range(2)]
    plan = make.plan(root["id"])
    target = make.target(plan["id"], frequency="monthly", across_units="sum", aggregation="sum")
    make.target(plan["id"], across_units="sum", aggregation="sum")  # no frequency: never overdue
    figure(client, target["id"], units[0]["id"], 5, "2019-01-31")
    sub = subscribe(client, receiver.url, ["report.overdue"])
    settings = settings_of(app)
    assert check_overdue(app.state.engine, settings) == 2
    assert check_overdue(app.state.engine, settings) == 0  # deduped in the database
    assert deliver(app) == 2
    data = sorted((verified(sub, got)["data"] for got in receiver.received), key=lambda d: d["organization_id"])
    assert [d["organization_id"] for d in data] == [u["id"] for u in units]
    assert data[0]["due_date"] > data[1]["due_date"]  # the first unit reported January: its next report is the one missed
    assert all(d["target_id"] == target["id"] and d["days_overdue"] > 0 for d in data)


def test_nobody_subscribed_to_overdue_means_no_check(app, client, make, receiver):
    root = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], frequency="monthly")
    subscribe(client, receiver.url, ["figure.submitted"])
    assert check_overdue(app.state.engine, settings_of(app)) == 0
    assert count(app, "webhook_overdue_notice") == 0


def test_concurrent_claims_never_share_a_delivery(app, backend, client, receiver):
    subscribe(client, receiver.url, ["figure.approved"])
    with Session(app.state.engine) as s, transaction(s):
        outbox.emit_many(s, [("figure.approved", {"n": n}, None) for n in range(200)])
    settings = settings_of(app, webhooks_batch_size=7)
    claimed: list[list[int]] = [[], [], [], []]

    def claimer(k: int) -> None:
        while True:
            got = worker.claim(app.state.engine, settings)
            if not got:
                return
            claimed[k].extend(c.id for c in got)

    threads = [threading.Thread(target=claimer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [i for ids in claimed for i in ids]
    assert len(every) == 200 and len(set(every)) == 200


def test_payload_is_json_with_id_type_timestamp_data(app, client, receiver):
    sub = subscribe(client, receiver.url, ["figure.approved"])
    with Session(app.state.engine) as s, transaction(s):
        event_id = outbox.emit(s, "figure.approved", {"id": 5, "note": "Đã duyệt"}, None)
    deliver(app)
    got = receiver.received[0]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == event_id
    body = json.loads(got.body)
    assert set(body) == {"id", "type", "timestamp", "data"} and body["data"] == {"id": 5, "note": "Đã duyệt"}
    assert verified(sub, got) == body
