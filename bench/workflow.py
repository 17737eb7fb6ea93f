"""`make bench-workflow`: what the reporting workflow (issue 14) adds to POST a figure, on SQLite.

One uvicorn server (one worker, as `make run` serves) on a fresh database: a city, a ward, one plan.
Ways of sending a figure, measured in the same run, rounds interleaved so the machine's noise falls on
them alike. First phase, no subscription:

- `plain`      approval off, the ward's reporter sends (what every POST did before issue 14);
- `approval`   approval required, the ward's reporter sends: the figure is recorded `submitted`.

Second phase, after two subscriptions to the figure events (each POST also writes its event and two
deliveries; nobody delivers during the run, the worker is not started):

- `plain+events` as `plain`;
- `outbox`       as `approval`.

Third phase, after a subscription to target.status_changed as well (at commit, the target's status is
evaluated before and after the new figure: a read of the target's figures and two evaluations):

- `plain+status`, `outbox+status`.

Each round sends REQUESTS figures one after the other over one keep-alive connection (a new target per
round and way, a figure per day), and keeps the median latency. Prints the median over rounds and the
ratio to `plain` (1.0 = no added cost). Writes bench/.work/workflow.json.

    .venv/bin/python bench/workflow.py [--rounds 5] [--requests 200]
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
from datetime import date, timedelta
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
DB = WORK / "workflow.db"
URL = f"sqlite:///{DB}"
PHASES = (("plain", "approval"), ("plain+events", "outbox"), ("plain+status", "outbox+status"))
FIGURE_EVENTS = ["figure.submitted", "figure.approved", "figure.returned", "figure.corrected"]
WAYS = tuple(way for phase in PHASES for way in phase)

sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys() -> dict[str, str]:
    """A fresh migrated database with an admin key, and the organisations' keys made through the CLI's service."""
    from sqlmodel import Session

    from app.auth.models import ApiKeyCreate
    from app.auth.service import CLI, create_key
    from app.common.crud import transaction
    from app.config import Settings
    from app.db import make_engine
    from app.migrate import upgrade

    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    upgrade(URL)
    engine = make_engine(Settings(database_url=URL))
    with Session(engine) as s, transaction(s):
        admin = create_key(session=s, key_in=ApiKeyCreate(name="bench admin", role="admin"), created_by=CLI)[1]
    engine.dispose()
    return {"admin": admin}


def setup(client: httpx.Client, admin: str) -> dict:
    h = {"Authorization": f"Bearer {admin}"}

    def post(path: str, body: dict) -> dict:
        r = client.post(path, json=body, headers=h)
        r.raise_for_status()
        return r.json()

    city = post("/api/v1/organizations", {"code": "CITY", "name": "Thành phố"})
    ward = post("/api/v1/organizations", {"code": "WARD", "name": "Phường", "parent_id": city["id"]})
    plans = {
        way: post("/api/v1/plans", {
            "code": f"KH-{n}", "title": f"Kế hoạch {way}", "organization_id": city["id"], "start_date": "2019-01-01",
            "end_date": "2019-12-31", "state": "active", "approval_required": way.startswith(("approval", "outbox"))})
        for n, way in enumerate(WAYS)
    }
    made = {}
    for role, org in (("reporter", ward),):
        made[role] = post("/api/v1/api-keys", {"name": f"bench {role}", "role": role, "organization_id": org["id"]})["key"]
    return {"city": city, "ward": ward, "plans": plans, "keys": made, "admin": h}


def subscribe(client: httpx.Client, w: dict, types: list[str], copies: int) -> None:
    for n in range(copies):
        r = client.post("/api/v1/webhooks/subscriptions", headers=w["admin"],
                        json={"url": f"http://127.0.0.1:9/hook{n}", "event_types": types})
        r.raise_for_status()


def one_round(client: httpx.Client, w: dict, way: str, n: int, counter: list[int]) -> float:
    counter[0] += 1
    plan = w["plans"][way]
    target = client.post(f"/api/v1/plans/{plan['id']}/targets", headers=w["admin"], json={
        "code": f"B{counter[0]}", "title": "Diện tích trồng rừng mới", "comparison": "at_least",
        "value": 1000, "unit": "ha", "aggregation": "sum", "across_units": "sum"})
    target.raise_for_status()
    tid = target.json()["id"]
    submitted = way.startswith(("approval", "outbox"))
    who, org = "reporter", w["ward"]  # the same key everywhere: only the plan's setting differs
    h = {"Authorization": f"Bearer {w['keys'][who]}"}
    times = []
    for i in range(n):
        body = {"value": 3, "period_date": (date(2019, 1, 1) + timedelta(days=i % 365)).isoformat(),
                "period_start": (date(2019, 1, 1) + timedelta(days=i % 365)).isoformat(), "organization_id": org["id"]}
        t0 = time.perf_counter()
        r = client.post(f"/api/v1/targets/{tid}/submissions", json=body, headers=h)
        times.append(time.perf_counter() - t0)
        if r.status_code != 201:
            raise RuntimeError(f"{way}: {r.status_code} {r.text}")
        if r.json()["review"] != ("submitted" if submitted else "approved"):
            raise RuntimeError(f"{way}: unexpected review state {r.json()['review']}")
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    admin = keys()["admin"]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": URL, "WEBHOOKS_ALLOW_PRIVATE": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as client:
            w = setup(client, admin)
            counter = [0]
            results: dict[str, list[float]] = {way: [] for way in WAYS}
            for phase in PHASES:
                if "outbox" in phase:
                    subscribe(client, w, FIGURE_EVENTS, 2)
                if "outbox+status" in phase:
                    subscribe(client, w, ["target.status_changed"], 1)
                for way in phase:  # a warm-up round each, not kept (first requests, caches, the WAL)
                    one_round(client, w, way, args.requests // 4 or 1, counter)
                for r in range(args.rounds):
                    for way in phase if r % 2 == 0 else reversed(phase):  # alternate who goes first
                        results[way].append(one_round(client, w, way, args.requests, counter))
                    print(f"round {r + 1}: " + ", ".join(f"{way} {results[way][-1]:.2f} ms" for way in phase), flush=True)
    finally:
        server.terminate()
        server.wait(10)
    medians = {way: statistics.median(v) for way, v in results.items()}
    print(f"\nPOST a figure, SQLite, median latency of {args.requests} sequential requests, median of {args.rounds} rounds:")
    for way in WAYS:
        print(f"  {way:13} {medians[way]:6.2f} ms   ratio to plain {medians[way] / medians['plain']:.2f}")
    (WORK / "workflow.json").write_text(json.dumps({"medians_ms": medians, "rounds": results}, indent=2))


if __name__ == "__main__":
    main()
