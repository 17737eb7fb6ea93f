"""The national import in process (issue 17): the database `make bench-national` left, reset as `--reuse`
does, then the same 100,000 figures in 5 CSV files of 20,000 sent through the app over httpx's ASGI
transport (no server), one after another; prints each file's time and the rows per second. With
`--profile [cumulative|tottime]`, cProfile records every thread-pool call and prints the top functions.

    .venv/bin/python bench/profile_import.py [--profile cumulative]

Alternating two checkouts (a worktree with `ln -s /work/main/.venv`) gives an A/B on one machine.
"""

from __future__ import annotations

import asyncio
import io
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import national  # noqa: E402
import profile_hot  # noqa: E402
import run  # noqa: E402

URL = os.environ.get("BENCH_NATIONAL_URL", "postgresql://postgres@127.0.0.1:5432/chitieu_bench_national")


def main() -> None:
    built = national.reuse(URL, 10_000_000)
    key = run.api_key(URL)
    os.environ["DATABASE_URL"] = URL
    import httpx

    from app.main import create_app

    app = create_app()
    plan_id = built["plans"][0]
    rows, head = national.import_rows(built, plan_id, 100_000), national.IMPORT_HEAD
    profiles: list = []
    if "--profile" in sys.argv:
        profile_hot.profile_threads(profiles)

    async def send() -> None:
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            total = 0.0
            for i in range(0, len(rows), 20_000):
                data = ("\n".join([head, *rows[i : i + 20_000]]) + "\n").encode()
                started = time.perf_counter()
                r = await c.post(
                    f"/api/v1/plans/{plan_id}/import/submissions",
                    files={"file": ("f.csv", io.BytesIO(data), "text/csv")},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
                )
                took = time.perf_counter() - started
                total += took
                assert r.status_code == 200 and r.json()["stored"], r.text[:500]
                print(f"file {i // 20_000 + 1}: {took:.2f} s {r.json()['counts']}", flush=True)
            print(f"total {total:.2f} s = {len(rows) / total:,.0f} rows/s")

    asyncio.run(send())
    if profiles:
        stats = pstats.Stats(profiles[0])
        for p in profiles[1:]:
            stats.add(p)
        stats.sort_stats(sys.argv[-1] if sys.argv[-1] in ("tottime", "cumulative") else "cumulative").print_stats(70)


if __name__ == "__main__":
    main()
