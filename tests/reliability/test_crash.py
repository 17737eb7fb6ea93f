"""Crash: under write load the server is killed with SIGKILL and started again.

Every figure that got a 2xx is there with the value that was sent; nothing is half-written
(each row satisfies the table's constraints, and on SQLite `PRAGMA integrity_check` is ok).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.config import Settings
from tests.reliability.conftest import Server

pytestmark = pytest.mark.reliability

WRITERS = 4
LOAD_SECONDS = 3.0


def test_acknowledged_figures_survive_sigkill(world):
    server = Server(world.database_url, workers=1).start()
    acknowledged: dict[int, float] = {}
    lock = threading.Lock()
    stop = threading.Event()
    url = f"{server.base}/api/v1/targets/{world.target_id}/submissions"

    def writer(no: int) -> None:
        n = 0
        with httpx.Client(headers=world.headers, timeout=10) as client:
            while not stop.is_set():
                n += 1
                value = float(no * 1_000_000 + n)
                # a unit per writer, a new date per figure (one figure per unit, date and estimate flag)
                day = date(2019, 1, 1) + timedelta(days=(n - 1) % 365)
                body = {"value": value, "period_date": day.isoformat(), "organization_id": world.unit_ids[no],
                        "is_estimate": (n - 1) // 365 % 2 == 1}
                try:
                    r = client.post(url, json=body)
                except httpx.HTTPError:
                    continue  # the server died mid-request: no acknowledgement, no promise
                if 200 <= r.status_code < 300:
                    with lock:
                        acknowledged[r.json()["id"]] = value

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    server.kill()
    stop.set()
    for t in threads:
        t.join(15)
    assert len(acknowledged) > 50, "the load did not get going"

    restarted = Server(world.database_url, workers=1).start()
    try:
        engine = create_engine(Settings(database_url=world.database_url).database_url)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, value FROM submission")).all())
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            half = conn.execute(text("SELECT count(*) FROM submission WHERE value IS NULL OR recorded_at IS NULL")).scalar()
        engine.dispose()
        missing = {i for i in acknowledged if i not in stored}
        assert not missing, f"{len(missing)} acknowledged figures lost"
        assert all(stored[i] == v for i, v in acknowledged.items())
        assert half == 0
        # The restarted server reads them back too.
        with httpx.Client(headers=world.headers) as client:
            sample = sorted(acknowledged)[:: max(1, len(acknowledged) // 20)]
            for sid in sample:
                assert client.get(f"{restarted.base}/api/v1/submissions/{sid}").json()["value"] == acknowledged[sid]
    finally:
        restarted.stop()
