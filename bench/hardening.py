"""Figures for issue 12 (items 2 and 3), measured on a real server or in process.

    .venv/bin/python bench/hardening.py [--root CHECKOUT] [--readers 8] [--writes 200]

- item 2: a uvicorn server (one worker, SQLite in a temporary folder) of the checkout at --root
  (default: this one): the median of figure POSTs alone, then while --readers threads send
  anonymous GET /plans/{id}/status with a new as_of each time; and the rows of target_evaluation
  after 1,000 such reads.
- item 3: the issue's two crafted workbooks (built as tests/security/test_spreadsheets.py builds
  them) posted to the import route in process: answer, seconds, peak traced Python memory and the
  growth of the process's peak RSS.
Run it against the code before the fix with --root pointing at a checkout of it (the workbooks
need minutes and a gigabyte there: --skip-workbooks).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(root: Path, args, env) -> str:
    return subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *args], cwd=root, env=env,
                          check=True, capture_output=True, text=True).stdout


def item2(root: Path, readers: int, writes: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    run(root, ["migrate"], env)
    key = run(root, ["keys", "create", "--name", "bench", "--quiet"], env).strip()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port),
                               "--log-level", "warning"], cwd=root, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(headers=auth, timeout=30) as c:
            org = c.post(f"{base}/organizations", json={"code": "B-1", "name": "Bench"}).json()
            plan = c.post(f"{base}/plans", json={"code": "P-B", "title": "Bench", "organization_id": org["id"],
                                                  "start_date": "2019-01-01", "end_date": "2019-12-31", "state": "active"}).json()
            targets = [c.post(f"{base}/plans/{plan['id']}/targets", json={"code": f"T-{i}", "title": f"Target {i}",
                       "comparison": "at_least", "value": 90}).json() for i in range(15)]

            def write_times(n: int, offset: int) -> list[float]:
                out = []
                for i in range(n):
                    body = {"value": i, "period_date": (date(2019, 1, 1) + timedelta(days=(offset + i) % 365)).isoformat(),
                            "organization_id": org["id"]}
                    started = time.perf_counter()
                    r = c.post(f"{base}/targets/{targets[i % len(targets)]['id']}/submissions", json=body)
                    out.append(time.perf_counter() - started)
                    assert r.status_code == 201, r.text
                return out

            alone = write_times(writes, 0)
            stop = threading.Event()
            reads = [0]

            def reader(k: int) -> None:
                day = date(1950, 1, 1) + timedelta(days=k * 10_000)
                with httpx.Client(timeout=30) as anonymous:
                    while not stop.is_set():
                        anonymous.get(f"{base}/plans/{plan['id']}/status", params={"as_of": day.isoformat()})
                        day += timedelta(days=1)
                        reads[0] += 1

            threads = [threading.Thread(target=reader, args=(k,)) for k in range(readers)]
            for t in threads:
                t.start()
            time.sleep(1)
            busy = write_times(writes, 1000)
            stop.set()
            for t in threads:
                t.join()
        print(f"item 2: figure POST median alone {statistics.median(alone) * 1000:.1f} ms, "
              f"with {readers} anonymous readers of new dates {statistics.median(busy) * 1000:.1f} ms "
              f"(p90 {statistics.quantiles(busy, n=10)[-1] * 1000:.1f} ms); {reads[0]} reads meanwhile")
        with sqlite3.connect(db) as conn:
            before = conn.execute("SELECT count(*) FROM target_evaluation").fetchone()[0]
        with httpx.Client(timeout=30) as anonymous:
            for i in range(1000):
                anonymous.get(f"{base}/plans/{plan['id']}/status", params={"as_of": (date(2030, 1, 1) + timedelta(days=i)).isoformat()})
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT count(*) FROM target_evaluation").fetchone()[0]
            size = (db.stat().st_size + (tmp / "bench.db-wal").stat().st_size if (tmp / "bench.db-wal").exists() else 0)
        print(f"item 2: target_evaluation rows {before} after the flood above, {rows} after 1,000 more anonymous reads with "
              f"distinct dates (15 targets); database + WAL {size / 2**20:.1f} MiB")
    finally:
        server.terminate()
        server.wait(10)


def item3(root: Path) -> None:
    sys.path.insert(0, str(root))
    import tracemalloc

    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app
    from app.migrate import upgrade
    from tests.conftest import new_key, bearer
    from tests.security.test_spreadsheets import huge_shared_string_workbook, wide_rows_workbook

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'wb.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url))
    with TestClient(app, raise_server_exceptions=False, headers=bearer(new_key(app, "admin"))) as c:
        org = c.post("/api/v1/organizations", json={"code": "W-1", "name": "W"}).json()
        plan = c.post("/api/v1/plans", json={"code": "P-W", "title": "W", "organization_id": org["id"],
                                             "start_date": "2019-01-01", "end_date": "2019-12-31"}).json()
        for build in (wide_rows_workbook, huge_shared_string_workbook):
            data = build()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            started = time.perf_counter()
            r = c.post(f"/api/v1/plans/{plan['id']}/import/submissions",
                       files={"file": ("x.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
            print(f"item 3: {build.__name__} ({len(data) / 1024:.0f} KiB): {r.status_code} in {seconds:.3f} s, "
                  f"peak traced {peak / 2**20:.1f} MiB, peak RSS growth {rss_growth:.1f} MiB: {r.json().get('detail')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--skip-workbooks", action="store_true")
    options = parser.parse_args()
    item2(options.root, options.readers, options.writes)
    if not options.skip_workbooks:
        item3(options.root)
