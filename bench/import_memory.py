"""Where an import's memory goes (issue 17: peak RSS < 200 MB): the 100,000-figure import of
`bench/run.py` (5 CSV files of 20,000 rows) alone, on a fresh 10k database, in two ways.

- Default: a real server as `bench/run.py` starts it (uvicorn, one worker), the five files, then
  the judging in the import's wake; the worker's RSS (VmRSS) after each file and its peak
  (VmHWM, reset through /proc/<pid>/clear_refs) per phase, and rows/s. About a minute a database:
  no wrk rounds, so the worker starts the import from less than in `run.py` (whose wrk rounds leave
  it at 130-145 MB); `run.py --skip-large` gives the figure the goal is judged by.
- `--in-process`: the app in this process (Starlette's TestClient); a thread samples this
  process's RSS every 2 ms and, at each new peak, notes the stack of every other thread (the
  app's frames), so the peak is tied to the code that reached it; `--tracemalloc` adds Python's
  own allocations at the same moments (slower: rows/s is then meaningless).

    .venv/bin/python bench/import_memory.py [--db sqlite|postgresql] [--xlsx] [--in-process [--tracemalloc]]

PostgreSQL: the database `$BENCH_PG_DATABASE` (default `chitieu_bench_import`) on --postgres-url.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path

import httpx

import dataset
import run

ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _build(db: str, postgres_url: str) -> tuple[dataset.Dataset, str]:
    if db == "sqlite":
        url = f"sqlite:///{run.WORK / 'import-memory.db'}"
    else:
        base = postgres_url.replace("postgres://", "postgresql://").rpartition("/")[0]
        url = f"{base}/{os.environ.get('BENCH_PG_DATABASE', 'chitieu_bench_import')}"
    dataset.fresh_database(url)
    dataset.migrate(url)
    ds = dataset.create_plan(url, n_targets=run.FULL.targets, import_rounds=1)
    dataset.insert_submissions(ds, run.FULL.small)
    return ds, url


def _check(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise SystemExit(f"import answered {response.status_code}: {response.text[:800]}")
    report = response.json()
    if not report.get("stored") or report["counts"]["created"] != report["rows"]:
        raise SystemExit(f"import did not store every row: {response.text[:800]}")


def _rss_mb(field: str = "VmRSS", pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _as_xlsx(data: bytes) -> bytes:
    """The same rows as an .xlsx workbook (text cells, as an office's sheet of codes and figures)."""
    import csv
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def server(db: str, postgres_url: str, xlsx: bool = False) -> None:
    ds, url = _build(db, postgres_url)
    key = run.api_key(url)
    files = dataset.import_files(ds, ROWS, 0, run.import_file_rows())
    if xlsx:
        files = [_as_xlsx(data) for data in files]
    api = run.Server(f"api-import-{db}", ["app.main:create_app", "--factory"], {"DATABASE_URL": url}, "/readyz").start()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=api.url, timeout=900) as client:
            client.get(f"/api/v1/plans/{ds.plan_id}/status?as_of={run.AS_OF}")  # as run.py: the plan read once
            print(f"{db}: worker at start (after one plan status): {api.rss_mb():.0f} MB", flush=True)
            api.reset_peak()
            elapsed = 0.0
            for n, data in enumerate(files, 1):
                started = time.perf_counter()
                response = client.post(
                    f"/api/v1/plans/{ds.plan_id}/import/submissions",
                    files={"file": ("figures.xlsx", data, XLSX_TYPE) if xlsx else ("figures.csv", data, "text/csv")},
                    headers={**headers, "Idempotency-Key": f"bench-import-{uuid.uuid4()}"},
                )
                elapsed += time.perf_counter() - started
                _check(response)
                print(f"{db}: file {n}: RSS {api.rss_mb():.0f} MB, peak {api.peak_rss_mb():.0f} MB", flush=True)
        peak_import = api.peak_rss_mb()
        api.reset_peak()
        time.sleep(3)  # the plan is judged 2 s after the last import
        run.wait_idle(api)
        print(f"{db}: import {ROWS:,} rows in {elapsed:.2f} s = {ROWS / elapsed:,.0f} rows/s; peak RSS import "
              f"{peak_import:.0f} MB; judging after it {api.peak_rss_mb():.0f} MB (RSS then {api.rss_mb():.0f} MB)", flush=True)
    finally:
        api.stop()


class Sampler(threading.Thread):
    """RSS every 2 ms; at each new peak (by 1 MB or more), the app frames of the other threads."""

    def __init__(self, trace: bool) -> None:
        super().__init__(daemon=True)
        self.trace, self.stop_at, self.peak, self.where = trace, threading.Event(), 0.0, []

    def run(self) -> None:
        import tracemalloc

        me = threading.get_ident()
        while not self.stop_at.wait(0.002):
            rss = _rss_mb()
            if rss < self.peak + 1:
                continue
            self.peak = rss
            stacks = []
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                frames = [f for f in traceback.extract_stack(frame) if "/app/" in f.filename or "sqlalchemy" in f.filename]
                if frames:
                    stacks.append(" < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-6:])))
            traced = tracemalloc.get_traced_memory()[0] / 1e6 if self.trace else 0.0
            self.where.append((rss, traced, stacks))


def in_process(db: str, postgres_url: str, trace: bool) -> None:
    import tracemalloc

    ds, url = _build(db, postgres_url)
    key = run.api_key(url)
    files = dataset.import_files(ds, ROWS, 0, run.import_file_rows())
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from app.exchange.import_router import judged_after_imports
    from app.main import create_app

    sampler = Sampler(trace)
    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        client.get(f"/api/v1/plans/{ds.plan_id}/status?as_of={run.AS_OF}")
        print(f"{db}: RSS at start {_rss_mb():.0f} MB", flush=True)
        if trace:
            tracemalloc.start(12)
        sampler.start()
        started = time.perf_counter()
        for n, data in enumerate(files, 1):
            response = client.post(
                f"/api/v1/plans/{ds.plan_id}/import/submissions",
                files={"file": ("figures.csv", data, "text/csv")},
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"bench-import-{uuid.uuid4()}"},
            )
            _check(response)
            print(f"{db}: file {n}: RSS {_rss_mb():.0f} MB, peak so far {sampler.peak:.0f} MB", flush=True)
        elapsed = time.perf_counter() - started
        print(f"{db}: {ROWS / elapsed:,.0f} rows/s{' (traced)' if trace else ''}", flush=True)
        judged_after_imports(timeout=600)
        print(f"{db}: after judging: RSS {_rss_mb():.0f} MB, peak {sampler.peak:.0f} MB", flush=True)
        sampler.stop_at.set()
        sampler.join()
    for rss, traced, stacks in sampler.where[-12:]:
        print(f"--- RSS {rss:.0f} MB" + (f", traced {traced:.1f} MB" if trace else ""))
        for stack in stacks:
            print("    " + stack)
    if trace:
        snapshot = tracemalloc.take_snapshot()
        print("--- largest live allocations at the end (by line)")
        for stat in snapshot.statistics("lineno")[:15]:
            print(f"    {stat}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", run.DEFAULT_POSTGRES))
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--xlsx", action="store_true", help="the same rows as .xlsx files (server mode)")
    args = parser.parse_args()
    run.WORK.mkdir(parents=True, exist_ok=True)
    if args.in_process:
        in_process(args.db, args.postgres_url, args.tracemalloc)
    else:
        server(args.db, args.postgres_url, args.xlsx)


if __name__ == "__main__":
    main()
