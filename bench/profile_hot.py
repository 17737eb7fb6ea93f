"""Where a hot request's time goes (issue 17): the app driven in process, with no HTTP server.

Builds a small SQLite dataset (bench/dataset.py: 100 targets, 1,000 figures) in bench/.work/,
makes an admin key, then sends each kind of request N times through the ASGI app, one after
another, and prints the wall time per request. With --profile, cProfile records the event loop
thread and every thread-pool call (one profiler per call, merged), and prints the top functions
by cumulative and own time, so each step's share can be read off.

    .venv/bin/python bench/profile_hot.py [-n 2000] [--concurrency C] [--profile healthz|status|post] [--db-url URL]

What it leaves out: the HTTP parsing (h11/httptools) and the socket, which the floor pays as well.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import dataset  # noqa: E402


def build(url: str) -> tuple[dataset.Dataset, str]:
    dataset.fresh_database(url)
    dataset.migrate(url)
    ds = dataset.create_plan(url, n_targets=100, import_rounds=1)
    dataset.insert_submissions(ds, 1000)
    import subprocess

    out = subprocess.run(
        [str(dataset.VENV_BIN / "chitieu"), "keys", "create", "--name", "prof", "--role", "admin", "--quiet"],
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, check=True,
    ).stdout
    return ds, out.strip().splitlines()[-1]


class Driver:
    def __init__(self, app):
        self.app = app

    async def request(self, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status, chunks = 0, []

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


THREAD_PROFILES: list[cProfile.Profile] = []
CPU_TIMER = False  # --cpu: each thread's CPU time (time.thread_time) instead of the wall clock


def _profiler() -> cProfile.Profile:
    return cProfile.Profile(time.thread_time) if CPU_TIMER else cProfile.Profile()


def profile_threads(profilers: list[cProfile.Profile]) -> None:
    """Every thread-pool call runs under its own profiler (merged at the end)."""
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def run_sync(func, *args, **kwargs):
        def profiled(*a):
            p = _profiler()
            p.enable()
            try:
                return func(*a)
            finally:
                p.disable()
                profilers.append(p)

        return await original(profiled, *args, **kwargs)

    anyio.to_thread.run_sync = run_sync


async def main_async(args) -> None:
    url = args.db_url or f"sqlite:///{BENCH / '.work' / 'profile.db'}"
    ds, key = build(url)
    os.environ["DATABASE_URL"] = url
    from app.main import create_app

    app = create_app()
    drv = Driver(app)
    async with app.router.lifespan_context(app):
        if os.environ.get("PROFILE_THREADS"):
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = int(os.environ["PROFILE_THREADS"])
        auth = [(b"authorization", f"Bearer {key}".encode())]
        n_post = [0]

        def post():
            n_post[0] += 1
            n = n_post[0]
            target = ds.value_target_ids[n % len(ds.value_target_ids)]
            body = json.dumps({"value": n, "period_date": f"2025-{10 + n % 3:02d}-{1 + n % 28:02d}",
                               "organization_id": ds.org_ids[1 + (n // 84) % 20], "is_estimate": bool(n // 1680 % 2)}).encode()
            headers = [*auth, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"idempotency-key", uuid.uuid4().hex.encode())]
            return drv.request("POST", f"/api/v1/targets/{target}/submissions", headers, body), 201

        kinds = {
            "healthz": lambda: (drv.request("GET", "/healthz", []), 200),
            "status": lambda: (drv.request("GET", f"/api/v1/targets/{ds.target_ids[n_post[0] % 100]}/status?as_of=2025-09-30", []), 200),
            "post": post,
        }
        for name, make in kinds.items():
            if args.only and name != args.only:
                continue
            for _ in range(50):  # warm up
                coro, want = make()
                status, body = await coro
                assert status == want, (name, status, body[:300])
            THREAD_PROFILES.clear()
            loop_prof = _profiler() if args.profile == name else None
            started = time.perf_counter()
            cpu0 = time.process_time()
            if loop_prof:
                loop_prof.enable()
            async def one_client(count: int) -> None:
                for _ in range(count):
                    coro, want = make()
                    status, body = await coro
                    if status != want:
                        raise SystemExit(f"{name}: {status} {body[:300]!r}")

            # --concurrency C: C clients at once, as wrk's connections (the thread pool and, on SQLite,
            # the writers' turns come into play); 1: one request after another
            await asyncio.gather(*(one_client(args.n // args.concurrency) for _ in range(args.concurrency)))
            if loop_prof:
                loop_prof.disable()
            wall = (time.perf_counter() - started) / args.n
            cpu = (time.process_time() - cpu0) / args.n
            at = "one at a time" if args.concurrency == 1 else f"{args.concurrency} at a time"
            print(f"{name:8} {wall * 1e6:8.0f} µs/request wall, {cpu * 1e6:8.0f} µs CPU (in process, {at})")
            if loop_prof:
                stats = pstats.Stats(loop_prof, stream=(out := io.StringIO()))
                for p in THREAD_PROFILES:
                    stats.add(p)
                stats.sort_stats(args.sort).print_stats(args.top)
                print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--only", choices=("healthz", "status", "post"))
    parser.add_argument("--profile", choices=("healthz", "status", "post"))
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once (default 1)")
    parser.add_argument("--cpu", action="store_true", help="profile CPU time per thread, not wall time (I/O waits left out)")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--db-url")
    args = parser.parse_args()
    global CPU_TIMER
    CPU_TIMER = args.cpu
    if args.profile:
        profile_threads(THREAD_PROFILES)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
