"""Webhooks survive a crash: the delivery worker (a real `chitieu worker` process) is killed with SIGKILL
in the middle of delivering, then started again.

Every event is delivered; a receiver sees an event more than once only with the same `webhook-id` (and
the same body), and every request carries a valid Standard Webhooks signature. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session
from standardwebhooks import Webhook

from app.common.crud import transaction
from app.config import Settings
from app.db import make_engine
from app.events import outbox
from app.webhooks import service
from app.webhooks.models import SubscriptionCreate
from tests.reliability.conftest import ROOT
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.reliability

EVENTS = 300


def start_worker(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "WEBHOOKS_LEASE_SECONDS": "2",  # claims of a killed worker are due again after 2 s
        "WEBHOOKS_BATCH_SIZE": "20",
        "WEBHOOKS_CONCURRENCY": "4",
        "WEBHOOKS_POLL_SECONDS": "0.2",
        "WEBHOOKS_BACKOFF_BASE_SECONDS": "0.2",
        "WEBHOOKS_OVERDUE_CHECK_SECONDS": "0",
        "LOG_LEVEL": "warning",
    }
    cmd = [sys.executable, "-c", "from app.cli import main; main()", "worker"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def delivered(database_url: str) -> int:
    engine = create_engine(Settings(database_url=database_url).database_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM webhook_delivery WHERE state = 'delivered'")).scalar_one()
    engine.dispose()
    return n


def test_every_event_is_delivered_across_a_sigkill_of_the_worker(world):
    receiver = Receiver(delay=0.05).start()  # a slow receiver: the kill lands while requests are in flight
    settings = Settings(database_url=world.database_url, webhooks_allow_private=True)
    engine = make_engine(settings)
    with Session(engine) as s, transaction(s):
        sub = service.create(s, settings, SubscriptionCreate(url=receiver.url, event_types=["figure.approved"]))
        ids = outbox.emit_many(s, [("figure.approved", {"n": n}, None) for n in range(EVENTS)])
    engine.dispose()
    assert len(set(ids)) == EVENTS

    first = start_worker(world.database_url)
    try:
        receiver.wait_for(70, timeout=60)  # inside the fourth batch of 20
        os.killpg(first.pid, signal.SIGKILL)  # no shutdown, no recording of the batch in hand
        first.wait(10)
        seen_at_kill = len(receiver.received)
        recorded_at_kill = delivered(world.database_url)
        assert recorded_at_kill < seen_at_kill, "the kill did not land mid-delivery"
        assert seen_at_kill < EVENTS
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    second = start_worker(world.database_url)
    try:
        deadline = time.monotonic() + 90
        while delivered(world.database_url) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert delivered(world.database_url) == EVENTS
    finally:
        os.killpg(second.pid, signal.SIGTERM)  # a clean stop: the batch in hand is finished first
        assert second.wait(30) == 0
        receiver.stop()

    bodies: dict[str, set[bytes]] = defaultdict(set)
    verifier = Webhook(sub.secret)
    for got in receiver.received:
        payload = verifier.verify(got.body, got.headers)
        assert payload["id"] == got.headers["webhook-id"]
        bodies[got.headers["webhook-id"]].add(got.body)
    assert set(bodies) == set(ids), "an event was lost or an unknown one arrived"
    assert all(len(b) == 1 for b in bodies.values()), "a duplicate carried another body under the same id"
    duplicates = len(receiver.received) - EVENTS
    print(f"\nwebhook crash: {len(receiver.received)} requests for {EVENTS} events ({duplicates} duplicates, same ids); "
          f"at the kill {seen_at_kill} received, {recorded_at_kill} recorded")
    assert sorted(json.loads(next(iter(bodies[i])))["data"]["n"] for i in ids) == list(range(EVENTS))
