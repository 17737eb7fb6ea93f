"""`make bench-reports`: the report of a 1,000-target plan in each format, and the charts, on one core (issue 15).

1. Makes bench/.work/reports.db (SQLite) with the bench dataset's plan: 1,000 targets in six
   categories and 10,000 figures from 20 units (bench/dataset.py), judged on dataset.AS_OF.
2. For each format, and for the charts, a child process pinned to one core (os.sched_setaffinity)
   calls the routes in process (FastAPI's TestClient: the status read, the session closed, the
   rendering, the response): a first time (the renderer's library imported), then ROUNDS times
   warm. A first child reads the plan's status once, so that its evaluations are computed and
   stored (and measured) before any report, as in a running service (the charts CHART_ROUNDS times each). Each route's
   `Server-Timing: render` header gives the rendering alone.
3. Prints the medians (whole request, and rendering alone) against the goals (HTML and DOCX under
   2 s, PDF under 5 s, a chart under 100 ms) and each child's peak RSS (VmHWM: the app, the
   status of 1,000 targets, the rendering) against 200 MB, and writes them to
   bench/.work/reports.json. The app alone, imported, is about 150 MB of it.

    .venv/bin/python bench/reports.py [--rounds 3] [--chart-rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
URL = f"sqlite:///{WORK / 'reports.db'}"
GOALS = {"html": 2.0, "docx": 2.0, "pdf": 5.0, "target chart": 0.1, "badge": 0.1, "plan chart": 0.1}
MEMORY_GOAL_MB = 200


def build() -> None:
    sys.path.insert(0, str(BENCH))
    import dataset

    dataset.fresh_database(URL)
    dataset.migrate(URL)
    ds = dataset.create_plan(URL, n_targets=1000, import_rounds=0)
    dataset.insert_submissions(ds, 10_000)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(what: str, rounds: int, chart_rounds: int) -> dict:
    """Runs in a child: times one format (or the charts) on one core."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(BENCH.parent))
    sys.path.insert(0, str(BENCH))
    import dataset
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    as_of = dataset.AS_OF.isoformat()
    app = create_app(Settings(database_url=URL))
    out: dict = {"times": {}, "sizes": {}, "cpu": os.sched_getaffinity(0).pop()}
    with TestClient(app) as client:
        plan_id = client.get("/api/v1/plans").json()["items"][0]["id"]
        target_id = client.get(f"/api/v1/plans/{plan_id}/targets", params={"limit": 1}).json()["items"][0]["id"]

        def timed(path: str, params: dict, n: int, key: str) -> None:
            total, render = [], []
            for _ in range(n):
                started = time.perf_counter()
                r = client.get(path, params=params)
                total.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text
                render.append(float(r.headers.get("server-timing", "dur=0").partition("dur=")[2]) / 1000)
            out["times"][key] = {"median": statistics.median(total), "max": max(total), "render": statistics.median(render),
                                 "n": n}
            out["sizes"][key] = len(r.content)

        if what == "status":  # the plan's evaluations computed and stored: what the reports then read
            timed(f"/api/v1/plans/{plan_id}/status", {"as_of": as_of}, 1, "status (cold)")
        elif what == "charts":
            timed(f"/api/v1/targets/{target_id}/chart.svg", {"as_of": as_of}, chart_rounds, "target chart")
            timed(f"/api/v1/targets/{target_id}/badge.svg", {"as_of": as_of}, chart_rounds, "badge")
            timed(f"/api/v1/plans/{plan_id}/chart.svg", {"as_of": as_of}, chart_rounds, "plan chart")
        else:
            params = {"as_of": as_of, "format": what}
            timed(f"/api/v1/plans/{plan_id}/report", params, 1, f"{what} (first)")
            timed(f"/api/v1/plans/{plan_id}/report", params, rounds, what)
    out["peak_rss_mb"] = {what: peak_rss_mb()}
    return out


def table(result: dict) -> str:
    lines = [f"reports bench: a plan of 1,000 targets, 10,000 figures, as of {result['as_of']}, one core per child",
             f"{'what':<14}{'request':>10}{'render':>10}{'max':>10}{'goal':>9}  result  size"]
    for key, t in result["times"].items():
        goal = GOALS.get(key)
        verdict = "" if goal is None else ("PASS" if t["median"] < goal else "MISS")
        size = result["sizes"].get(key)
        lines.append(f"{key:<14}{t['median'] * 1000:>7.0f} ms{t['render'] * 1000:>7.0f} ms{t['max'] * 1000:>7.0f} ms"
                     f"{'' if goal is None else f'{goal * 1000:.0f} ms':>9}  {verdict:<6}  {'' if size is None else f'{size / 1024:.0f} KiB'}")
    for what, rss in result["peak_rss_mb"].items():
        lines.append(f"{'peak RSS ' + what:<14}{rss:>7.0f} MB{'':>20}{MEMORY_GOAL_MB:>6} MB  {'PASS' if rss < MEMORY_GOAL_MB else 'MISS'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chart-rounds", type=int, default=15)
    parser.add_argument("--measure", choices=("status", "html", "docx", "pdf", "charts"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds, args.chart_rounds)))
        return
    WORK.mkdir(exist_ok=True)
    started = time.perf_counter()
    build()
    print(f"dataset: 1,000 targets, 10,000 figures in {time.perf_counter() - started:.1f} s", flush=True)
    sys.path.insert(0, str(BENCH))
    import dataset

    result: dict = {"as_of": dataset.AS_OF.isoformat(), "times": {}, "sizes": {}, "peak_rss_mb": {}}
    for what in ("status", "html", "docx", "pdf", "charts"):
        child = subprocess.run([sys.executable, __file__, "--measure", what, "--rounds", str(args.rounds), "--chart-rounds",
                                str(args.chart_rounds)], check=True, capture_output=True, text=True)
        part = json.loads(child.stdout.strip().splitlines()[-1])
        for key in ("times", "sizes", "peak_rss_mb"):
            result[key].update(part[key])
    (WORK / "reports.json").write_text(json.dumps(result, indent=2))
    print(table(result))


if __name__ == "__main__":
    main()
