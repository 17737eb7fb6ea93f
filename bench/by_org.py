"""The plan status by organisation at 1M figures, alone (issue 17): build the 1M database
(bench/dataset.py, as `run.py` does for its second database), start the API, then time
GET /plans/{id}/status/organizations: the first request (judges and stores), then `--requests`
stored ones, with the API worker's peak RSS for each phase. Minutes, not the whole bench.

    .venv/bin/python bench/by_org.py --db sqlite [--figures 1000000] [--query 'limit=100']
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from statistics import median

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (bench/run.py: the servers, the database builder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--figures", type=int, default=run.FULL.large)
    parser.add_argument("--requests", type=int, default=7, help="stored requests after the first")
    parser.add_argument("--query", default="", help="extra query string, e.g. limit=100&offset=0")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", run.DEFAULT_POSTGRES))
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run (no build)")
    args = parser.parse_args(argv)
    api_url, _ = run.urls(args.db, args.postgres_url)
    scale = run.FULL
    timings: dict[str, float] = {}
    if args.reuse:
        from dataset import Dataset  # noqa: F401  (only the plan id is needed)

        plan_id = int(os.environ.get("BENCH_PLAN_ID", "1"))
    else:
        ds = run.build(api_url, scale, args.figures, 1, timings, "large")
        plan_id = ds.plan_id
    api = run.Server(f"api-{args.db}-byorg", ["app.main:create_app", "--factory"], {"DATABASE_URL": api_url}, "/readyz")
    try:
        api.start()
        api.reset_peak()
        start_rss = api.rss_mb()
        path = f"/api/v1/plans/{plan_id}/status/organizations?as_of={run.AS_OF}" + (f"&{args.query}" if args.query else "")
        times: list[float] = []
        with httpx.Client(base_url=api.url, timeout=900) as client:
            for n in range(1 + args.requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                if response.status_code != 200 or not response.json().get("organizations"):
                    raise run.BenchError(f"status by organisation answered {response.status_code}: {response.text[:300]}")
                if n == 0:
                    cold_rss = api.peak_rss_mb()
                    api.reset_peak()
        warm_rss = api.peak_rss_mb()
        body = response.json()
        print(
            f"{args.db} {args.figures:,} figures {path}; the worker's RSS at start {start_rss:.0f} MB\n"
            f"  first (judges, stores): {times[0] * 1000:,.0f} ms, peak RSS {cold_rss:.0f} MB\n"
            f"  stored: p50 {median(times[1:]) * 1000:,.1f} ms ({', '.join(f'{t * 1000:.0f}' for t in times[1:])}), "
            f"peak RSS {warm_rss:.0f} MB\n"
            f"  answer {len(response.content) / 1e6:.2f} MB, {len(body['organizations'])} organisations"
            f"{', total ' + str(body['total']) if 'total' in body else ''}; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
