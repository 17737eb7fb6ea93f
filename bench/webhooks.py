"""`make bench-webhooks`: delivery throughput of one webhook worker on SQLite (issue 14; goal >= 200/s).

Each round:
1. a fresh SQLite database (bench/.work/webhooks.db), migrated; one subscription to a local receiver;
   EVENTS events written to the outbox in one transaction (each a figure as the API shows it);
2. the receiver, examples/webhook_receiver.py (a threaded HTTP server on loopback that verifies every
   signature with the `standardwebhooks` library), runs in a process of its own;
3. one worker (app.webhooks.worker.run, what `chitieu worker` runs, with its defaults: batches of 50,
   8 requests at once) delivers until nothing is due; the time from its start to its end is measured, and
   every delivery is checked to be `delivered`.
Prints each round and the median of ROUNDS rounds (deliveries per second); writes bench/.work/webhooks.json.

    .venv/bin/python bench/webhooks.py [--rounds 3] [--events 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
DB = WORK / "webhooks.db"
URL = f"sqlite:///{DB}"
GOAL = 200.0

sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the receiver did not listen on {port}")


def one_round(events: int) -> float:
    from sqlalchemy import text
    from sqlmodel import Session

    from app.common.crud import transaction
    from app.config import Settings
    from app.db import make_engine
    from app.events import outbox
    from app.migrate import upgrade
    from app.webhooks import service, worker
    from app.webhooks.models import SubscriptionCreate

    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    upgrade(URL)
    settings = Settings(database_url=URL, webhooks_allow_private=True, webhooks_overdue_check_seconds=0)
    engine = make_engine(settings)
    port = free_port()
    figure = {
        "value": 123.5, "numerator": None, "denominator": None, "done": None, "period_date": "2019-06-30",
        "is_estimate": False, "note": "Báo cáo 6 tháng", "evidence_url": "", "target_id": 7, "organization_id": 3,
        "period_start": None, "recorded_at": "2026-12-06T10:00:00Z", "kind": "original", "supersedes_id": None,
        "root_id": None, "reason": "",
    }
    with Session(engine) as s, transaction(s):
        sub = service.create(s, settings, SubscriptionCreate(url=f"http://127.0.0.1:{port}/hook", event_types=["figure.submitted"]))
        outbox.emit_many(s, [("figure.submitted", {**figure, "id": n}, 3) for n in range(1, events + 1)])
    receiver = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "webhook_receiver.py"), "--port", str(port), "--secret", sub.secret, "--quiet"]
    )
    try:
        wait_listening(port)
        started = time.perf_counter()
        attempts = worker.run(engine, settings, once=True)
        elapsed = time.perf_counter() - started
    finally:
        receiver.terminate()
        receiver.wait(10)
    with engine.connect() as conn:
        done = conn.execute(text("SELECT count(*) FROM webhook_delivery WHERE state = 'delivered'")).scalar_one()
    engine.dispose()
    if done != events or attempts != events:
        raise SystemExit(f"{done} of {events} delivered in {attempts} attempts: the round is not valid")
    return events / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    rates = []
    for k in range(1, args.rounds + 1):
        rate = one_round(args.events)
        rates.append(rate)
        print(f"round {k}: {args.events} deliveries, {rate:,.0f}/s", flush=True)
    median = statistics.median(rates)
    verdict = "meets" if median >= GOAL else "MISSES"
    print(f"webhook delivery, one worker, SQLite, local receiver: median {median:,.0f} deliveries/s "
          f"over {args.rounds} rounds ({verdict} the goal of {GOAL:.0f}/s); cores: {len(os.sched_getaffinity(0))}")
    (WORK / "webhooks.json").write_text(json.dumps({"rates": rates, "median": median, "events": args.events, "goal": GOAL}))


if __name__ == "__main__":
    main()
