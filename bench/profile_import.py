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
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import dataset  # noqa: E402
import national  # noqa: E402
import profile_hot  # noqa: E402
import run  # noqa: E402

URL = os.environ.get("BENCH_NATIONAL_URL", "postgresql://postgres@127.0.0.1:5432/chitieu_bench_national")


def rows_of(built: dict, plan_id: int, n: int) -> list[str]:
    """The rows bench/national.py imports (the same seed)."""
    rng = random.Random(99)
    plan_targets = [(code, template) for _, code, p, template in built["targets"] if p == plan_id]
    days = [dataset.PLAN_START + timedelta(days=d) for d in range(365)]
    rows: list[str] = []
    seen = set()
    while len(rows) < n:
        (code, template), cell, day = rng.choice(plan_targets), rng.choice(built["cells"])[1], rng.choice(days)
        if (code, cell, day) in seen:
            continue
        seen.add((code, cell, day))
        value, num, den, done = dataset.figure(rng, template % len(dataset.TEMPLATES))
        cells = ["" if x is None else dataset._vn(x) for x in (value, num, den)]
        rows.append(";".join([code, cell, day.isoformat(), *cells, "" if done is None else ("có" if done else "không")]))
    return rows


def main() -> None:
    built = national.reuse(URL, 10_000_000)
    key = run.api_key(URL)
    os.environ["DATABASE_URL"] = URL
    import httpx

    from app.main import create_app

    app = create_app()
    plan_id = built["plans"][0]
    rows = rows_of(built, plan_id, 100_000)
    head = "mã chỉ tiêu;mã đơn vị;ngày số liệu;giá trị;tử số;mẫu số;hoàn thành"
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
