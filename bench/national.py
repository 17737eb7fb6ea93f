"""`make bench-national` (issue 17): a province's whole reporting tree on PostgreSQL, not part of `make bench`.

- 10,009 organisations in four levels: a province, 24 districts, 16 communes each (384), 25 cells
  each (9,600); every level is a reporting unit;
- 63 plans of the province with 1,000 targets between them (the templates of bench/dataset.py);
- N figures (--figures, default 10,000,000) loaded with COPY, from the cells, spread over the targets
  and over the days up to the judging date;
- then, on one uvicorn worker: the status of the largest plan (first request, then p50), its roll-up
  by organisation (first request, then p50; the API has no route for one unit's own status: a
  unit's view is its line in this roll-up), a target's status, an import of 100,000 figures in 5
  files of 20,000 (rows/s), and the database's size and its largest indexes.

The database is `chitieu_bench_national` on the server (dropped and made again; nothing else is
touched). Every request has a time limit (--timeout); one that does not answer in time is reported
as such, never waited for without end.

    .venv/bin/python bench/national.py [--figures N] [--postgres-url URL] [--timeout 600] [--reuse]

`--reuse` skips the load and works on the database an earlier run left (see `reuse`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
import run  # noqa: E402

LEVELS = (("district", 24), ("commune", 16), ("cell", 25))
PLANS = 63
TARGETS = 1000
AS_OF = dataset.AS_OF.isoformat()


def log(message: str) -> None:
    print(f"[national {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build(url: str, figures: int) -> dict:
    """Organisations, plans and targets through the app's models; figures with COPY. Returns what the driver needs."""
    import psycopg
    from sqlmodel import Session

    from app.config import Settings
    from app.db import make_engine
    from app.engine import definition_errors
    from app.organizations.models import Organization
    from app.plans.models import Plan
    from app.targets.models import Target
    from app.targets.spec import spec_of

    dataset.fresh_database(url)
    dataset.migrate(url)
    engine = make_engine(Settings(database_url=url))
    started = time.perf_counter()
    with Session(engine) as session:
        province = Organization(code="P", name="Tỉnh thử nghiệm", kind="province")
        session.add(province)
        session.flush()
        level, codes = [province], {}
        for kind, per_parent in LEVELS:
            below = [
                Organization(code=f"{parent.code}.{k + 1}", name=f"{kind} {parent.code}.{k + 1}", kind=kind, parent_id=parent.id)
                for parent in level
                for k in range(per_parent)
            ]
            session.add_all(below)
            session.flush()
            codes[kind] = [(o.id, o.code) for o in below]
            level = below
        plans, targets = [], []
        rows = dataset._target_rows(TARGETS)
        for p in range(PLANS):
            plan = Plan(code=f"NAT-{p + 1:02d}", title=f"Kế hoạch {p + 1}", organization_id=province.id,
                        start_date=dataset.PLAN_START, end_date=dataset.PLAN_END, state="active")
            session.add(plan)
            session.flush()
            mine = [Target(plan_id=plan.id, **row) for row in rows[p::PLANS]]
            for t in mine:
                assert not definition_errors(spec_of(t, plan)), t.code
            session.add_all(mine)
            session.flush()
            plans.append(plan.id)
            targets += [(t.id, t.code, plan.id, i) for i, t in zip(range(p, TARGETS, PLANS), mine, strict=True)]
        session.commit()
        province_id = province.id
    engine.dispose()
    log(f"10,009 organisations, {PLANS} plans, {TARGETS} targets in {time.perf_counter() - started:.1f} s")
    cells = codes["cell"]
    started = time.perf_counter()
    rng = random.Random(17)
    days = [dataset.PLAN_START + timedelta(days=d) for d in range((dataset.AS_OF - dataset.PLAN_START).days + 1)]
    recorded0 = datetime(2025, 10, 1, tzinfo=UTC)
    cols = ", ".join(dataset.SUBMISSION_COLUMNS)
    with psycopg.connect(dataset.pg_dsn(url)) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY submission ({cols}) FROM STDIN") as copy:
            for k in range(figures):
                target_id, _, _, template = targets[k % TARGETS]
                value, num, den, done = dataset.figure(rng, template % len(dataset.TEMPLATES))
                copy.write_row((target_id, rng.choice(cells)[0], rng.choice(days), value, num, den, done,
                                rng.random() < 0.2, "", "", recorded0 + timedelta(microseconds=k), "original", ""))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE submission")
    load_s = time.perf_counter() - started
    log(f"{figures:,} figures with COPY in {load_s:.1f} s")
    return {"plans": plans, "targets": targets, "cells": cells, "province_id": province_id, "load_s": load_s}


def reuse(url: str, figures: int) -> dict:
    """The database of an earlier run, as `build` left it (`--reuse`): migrated to head (a new migration
    runs on 10M figures here), the figures a previous run's import added removed (ids above the COPY's:
    the owner lifts the append-only guard for that one transaction, as app/maintenance.py does), and the
    stored status answers emptied, so the first requests compute as on a fresh load."""
    import psycopg

    dataset.migrate(url)
    with psycopg.connect(dataset.pg_dsn(url)) as conn:
        loaded = conn.execute("SELECT count(*) FROM submission WHERE id <= %s", (figures,)).fetchone()[0]
        assert loaded == figures, f"the database holds {loaded:,} loaded figures, not {figures:,}: run without --reuse"
        for table in ("submission", "audit_event"):
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        extra = conn.execute("DELETE FROM submission WHERE id > %s", (figures,)).rowcount
        conn.execute("DELETE FROM audit_event WHERE entity = 'submission'")  # the COPY wrote none: the imports' events
        for table in ("submission", "audit_event"):
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        conn.execute("DELETE FROM target_evaluation")
        conn.execute("DELETE FROM plan_organization_status")
        plans = [r[0] for r in conn.execute("SELECT id FROM plan WHERE code LIKE 'NAT-%%' ORDER BY code")]
        order = {p: i for i, p in enumerate(plans)}
        # the template index as `build` gave it: the codes are T0001.. in dataset._target_rows' order
        targets = [(tid, code, pid, int(code[1:]) - 1) for tid, code, pid in conn.execute("SELECT id, code, plan_id FROM target ORDER BY id")]
        targets.sort(key=lambda t: (order[t[2]], t[0]))
        cells = [tuple(r) for r in conn.execute("SELECT id, code FROM organization WHERE kind = 'cell' ORDER BY id")]
        province_id = conn.execute("SELECT id FROM organization WHERE code = 'P'").fetchone()[0]
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE submission")
        conn.execute("VACUUM ANALYZE audit_event")
    log(f"reused the database: {figures:,} loaded figures, {extra:,} added by an earlier run removed")
    return {"plans": plans, "targets": targets, "cells": cells, "province_id": province_id, "load_s": None}


IMPORT_HEAD = "mã chỉ tiêu;mã đơn vị;ngày số liệu;giá trị;tử số;mẫu số;hoàn thành"


def import_rows(built: dict, plan_id: int, n: int) -> list[str]:
    """The import's CSV rows (under IMPORT_HEAD): `n` new figures for the plan's targets, each shaped as its
    target takes them (a value, a ratio or done, dataset.figure; decimal commas), from random cells and days
    (a fixed seed: every run imports the same rows; bench/profile_import.py sends them too)."""
    rng = random.Random(99)
    plan_targets = [(code, template) for _, code, p, template in built["targets"] if p == plan_id]
    day_list = [dataset.PLAN_START + timedelta(days=d) for d in range(365)]
    rows: list[str] = []
    seen = set()
    while len(rows) < n:
        (code, template), cell, day = rng.choice(plan_targets), rng.choice(built["cells"])[1], rng.choice(day_list)
        if (code, cell, day) in seen:
            continue
        seen.add((code, cell, day))
        value, num, den, done = dataset.figure(rng, template % len(dataset.TEMPLATES))
        cells = ["" if x is None else dataset._vn(x) for x in (value, num, den)]
        rows.append(";".join([code, cell, day.isoformat(), *cells, "" if done is None else ("có" if done else "không")]))
    return rows


def sizes(url: str) -> dict:
    import psycopg

    with psycopg.connect(dataset.pg_dsn(url)) as conn:
        db = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        tables = conn.execute(
            "SELECT relname, pg_relation_size(relid), pg_indexes_size(relid) FROM pg_stat_user_tables "
            "ORDER BY pg_total_relation_size(relid) DESC LIMIT 6"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
            "ORDER BY pg_relation_size(indexrelid) DESC LIMIT 8"
        ).fetchall()
    return {"database_mb": db / 2**20, "tables": [(n, t / 2**20, i / 2**20) for n, t, i in tables],
            "indexes": [(n, s / 2**20) for n, s in indexes]}


def timed(client: httpx.Client, path: str, timeout: float, **kw) -> tuple[float | None, httpx.Response | None]:
    started = time.perf_counter()
    try:
        response = client.request(kw.pop("method", "GET"), path, timeout=timeout, **kw)
    except httpx.TimeoutException:
        return None, None
    return time.perf_counter() - started, response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--figures", type=int, default=10_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one request may take before it is reported as too slow")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the database of an earlier run with the same --figures (migrated to head; no load)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", run.DEFAULT_POSTGRES))
    args = parser.parse_args()
    run.WORK.mkdir(parents=True, exist_ok=True)
    url = args.postgres_url.replace("postgres://", "postgresql://").rpartition("/")[0] + "/chitieu_bench_national"
    built = reuse(url, args.figures) if args.reuse else build(url, args.figures)
    key = run.api_key(url)
    headers = {"Authorization": f"Bearer {key}"}
    out: dict = {"figures": args.figures, "load_s": built["load_s"], "as_of": AS_OF}
    api = run.Server("api-national", ["app.main:create_app", "--factory"], {"DATABASE_URL": url}, "/readyz")
    plan_id = built["plans"][0]
    try:
        api.start()
        out["rss_at_start_mb"] = api.rss_mb()
        with httpx.Client(base_url=api.url) as client:
            for name, path in (("plan status", f"/api/v1/plans/{plan_id}/status?as_of={AS_OF}"),
                               ("roll-up by organisation", f"/api/v1/plans/{plan_id}/status/organizations?as_of={AS_OF}")):
                api.reset_peak()  # each phase its own peak (the worker's VmHWM), from its RSS at the start
                rss0 = api.rss_mb()
                first, response = timed(client, path, args.timeout)
                if first is None:
                    log(f"{name}: the first request did not answer within {args.timeout:.0f} s")
                    out[name] = {"first_s": None}
                    continue
                assert response is not None and response.status_code == 200, response.text[:300] if response else None
                times = [timed(client, path, args.timeout)[0] for _ in range(args.samples)]
                good = [t for t in times if t is not None]
                out[name] = {"first_s": first, "p50_s": statistics.median(good) if good else None, "bytes": len(response.content),
                             "peak_rss_mb": api.peak_rss_mb(), "rss_at_start_mb": rss0}
                log(f"{name}: first {first * 1000:,.0f} ms ({len(response.content) / 1e6:.1f} MB), then p50 "
                    f"{out[name]['p50_s'] * 1000:,.0f} ms over {len(good)}; peak RSS {out[name]['peak_rss_mb']:.0f} MB "
                    f"(RSS {rss0:.0f} MB at the start)")
            target_id = next(t for t, _, p, _ in built["targets"] if p == plan_id)
            api.reset_peak()
            times = [timed(client, f"/api/v1/targets/{target_id}/status?as_of={AS_OF}", args.timeout)[0] for _ in range(args.samples + 1)]
            # the first computes (10,000 figures at 10M) and stores; the p50 is over the stored reads after it
            out["a target's status"] = {"first_s": times[0], "p50_s": statistics.median([t for t in times[1:] if t is not None]),
                                        "peak_rss_mb": api.peak_rss_mb()}
            p50 = out["a target's status"]["p50_s"]
            log(f"a target's status ({args.figures // TARGETS:,} figures): first {times[0] * 1000:,.0f} ms, then p50 {p50 * 1000:.0f} ms")
            # The import: 100,000 new figures for the plan's targets, each shaped as its target takes them (a
            # value, a ratio or done, dataset.figure; decimal commas), from random cells and days. Every file
            # must be stored (an import with a refused row stores nothing): the rate counts stored rows only.
            rows, head = import_rows(built, plan_id, args.import_rows), IMPORT_HEAD
            elapsed, stored, counted = 0.0, 0, {"created": 0, "updated": 0, "ignored": 0, "failed": 0}
            api.reset_peak()
            rss0 = api.rss_mb()
            for i in range(0, len(rows), 20_000):
                data = ("\n".join([head, *rows[i : i + 20_000]]) + "\n").encode()
                took, response = timed(client, f"/api/v1/plans/{plan_id}/import/submissions", args.timeout, method="POST",
                                       files={"file": ("f.csv", io.BytesIO(data), "text/csv")},
                                       headers={**headers, "Idempotency-Key": f"national-{uuid.uuid4()}"})
                if took is None or response is None or response.status_code != 200 or not response.json()["stored"]:
                    log(f"import file {i // 20_000 + 1}: {'timed out' if took is None else response.text[:600]}")
                    break
                elapsed += took
                for name in counted:
                    counted[name] += response.json()["counts"][name]
                stored += response.json()["counts"]["created"] + response.json()["counts"]["updated"]
            out["import"] = {"rows": stored, "seconds": elapsed, "rows_per_s": stored / elapsed if elapsed else None,
                             "counts": counted, "peak_rss_mb": api.peak_rss_mb(), "rss_at_start_mb": rss0}
            log(f"import: {stored:,} rows stored ({counted}) in {elapsed:.1f} s = {stored / max(elapsed, 1e-9):,.0f} rows/s; "
                f"peak RSS {out['import']['peak_rss_mb']:.0f} MB (RSS {rss0:.0f} MB at the start)")
        out["peak_rss_mb"] = max(v["peak_rss_mb"] or 0 for k, v in out.items() if isinstance(v, dict) and "peak_rss_mb" in v)
    finally:
        api.stop()
    out["sizes"] = sizes(url)
    log(f"database {out['sizes']['database_mb']:,.0f} MB; tables (MB, data/indexes): "
        + ", ".join(f"{n} {t:,.0f}/{i:,.0f}" for n, t, i in out["sizes"]["tables"]))
    log("largest indexes (MB): " + ", ".join(f"{n} {s:,.0f}" for n, s in out["sizes"]["indexes"]))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (run.WORK / f"national-{stamp}.json").write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
