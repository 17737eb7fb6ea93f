"""`make bench`: the API under load, next to a floor, on SQLite and PostgreSQL (issue 6).

For each database:

1. Makes a fresh database (a file under bench/.work/, or the PostgreSQL database
   `chitieu_bench` on the test server: nothing else is touched), migrates it with
   `chitieu migrate`, and loads organisations, a plan with 1,000 targets and 10,000
   submissions (bench/dataset.py).
2. Starts the API as production runs it (uvicorn, one worker, no reload, log level
   warning, no access log) and the floor (bench/floor.py: validate the same body and
   INSERT one row with the raw driver; SELECT one row by key), both on the same database
   settings, and checks each answers as it should.
3. Times the plan's status at 10k submissions, then, round by round (API and floor
   interleaved, so both see the same noise), drives with wrk: POST a figure, GET a target's
   status; floor INSERT, floor SELECT. Then imports 100,000 new figures as CSV, in files of at
   most 20,000 rows (the API's limit per file, app/exchange/tabular.py MAX_ROWS).
4. Makes the database again with the same plan and targets and 1,000,000 submissions, restarts
   the API and times the plan's status there.
5. Reads the server's peak RSS (VmHWM in /proc/<pid>/status, reset between phases).

Prints one table (medians over the rounds) with each goal's PASS/MISS, and writes it with
every raw figure to bench/.work/. Besides req/s and latency it gives the server's CPU time per
request (/proc/<pid>/stat), which the machine's noise disturbs much less than throughput.

    .venv/bin/python bench/run.py [--db sqlite|postgresql|both] [--rounds 3] [--duration 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

import dataset

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
BIN = ROOT / ".venv" / "bin"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
AS_OF = dataset.AS_OF.isoformat()


@dataclass(frozen=True)
class Scale:
    targets: int
    small: int  # submissions in the first database
    large: int  # submissions in the second
    import_rows: int
    plan_samples_small: int  # plan status requests per round
    plan_samples_large: int


FULL = Scale(targets=1000, small=10_000, large=1_000_000, import_rows=100_000, plan_samples_small=5, plan_samples_large=5)
QUICK = Scale(targets=100, small=1_000, large=20_000, import_rows=5_000, plan_samples_small=5, plan_samples_large=2)

# The goals of issue 6.
# Issue 17: the done-bars (0.5 remains the goal for POST; the table says which).
GOAL_HEALTH_RATIO = 0.8  # GET /healthz: at least 0.8 x the floor's constant route
GOAL_WRITE_RATIO = 0.35  # POST a figure: at least 0.35 x the floor's INSERT rate (goal 0.5)
GOAL_READ_RATIO = 0.5  # GET a target's status: at least half the floor's SELECT rate
GOAL_PLAN_P50_MS = 100.0  # plan status with 1,000 targets at 1M submissions
GOAL_PLAN_GROWTH = 1.5  # ... and at most 1.5 x its time at 10k
GOAL_IMPORT_ROWS_S = 10_000.0
GOAL_RSS_MB = 200.0


def log(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A run that cannot be trusted (a refused request, a server that does not start)."""


# ------------------------------------------------------------------ tools


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is not installed: installing the Debian package (apt-get install -y wrk)")
    apt = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(apt, stdout=subprocess.DEVNULL).returncode != 0:
        log("apt-get install failed; running apt-get update and trying again")
        subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=False)
        subprocess.run(apt, stdout=subprocess.DEVNULL, check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app", "migrations"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def api_key(url: str) -> str | None:
    """An admin key for the bench database when the app has `chitieu keys` (issue 4); else None."""
    chitieu = str(BIN / "chitieu")
    env = {**os.environ, "DATABASE_URL": url}
    help_text = subprocess.run([chitieu, "--help"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    if not re.search(r"^\W*keys\b", help_text, re.M):
        return None
    create_help = subprocess.run([chitieu, "keys", "create", "--help"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    argv = [chitieu, "keys", "create", "--name", "bench", "--role", "admin"]
    if "--quiet" in create_help:
        argv.append("--quiet")
    out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if "--quiet" in argv and lines:
        return lines[-1]
    match = re.search(r"\b(ct_[A-Za-z0-9_\-]{16,})", out) or re.search(r"^\s+(\S{24,})\s*$", out, re.M)
    if not match:
        raise BenchError(f"could not read the key printed by `chitieu keys create`: {out!r}")
    return match.group(1)


# ------------------------------------------------------------------ servers


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


WORKERS = 1  # --workers (issue 17: 1 against 2 on PostgreSQL); the floor always runs one


class Server:
    """A uvicorn process: one worker, no reload, log level warning, no access log."""

    def __init__(self, name: str, app: list[str], env: dict[str, str], ready_path: str):
        self.name, self.port, self.ready_path = name, free_port(), ready_path
        self.argv = [
            str(BIN / "uvicorn"), *app, "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(WORKERS if name.startswith("api") else 1), "--log-level", "warning", "--no-access-log",
        ]
        self.env = {**os.environ, "LOG_LEVEL": "warning", **env}
        self.proc: subprocess.Popen | None = None
        self.log_path = WORK / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited at start ({self.proc.returncode}); see {self.log_path}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not answer within 60 s; see {self.log_path}")

    def _status(self, field_name: str) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024  # kB -> MiB
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its worker processes so far (all their threads; not
        the database server's). With --workers N, uvicorn's workers are children of this process."""
        total = 0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float | None:
        """The highest resident set size since start, or since the last reset_peak()."""
        return self._status("VmHWM")

    def rss_mb(self) -> float | None:
        return self._status("VmRSS")

    def reset_peak(self) -> bool:
        """Resets VmHWM to the current RSS (Linux: 5 > /proc/<pid>/clear_refs), so phases can be told apart."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log_file", None):
            self.log_file.close()


# ------------------------------------------------------------------ measuring


def run_wrk(server: Server, script: str, env: dict[str, str], *, duration: float, connections: int) -> dict:
    """One wrk run against the server; adds req/s, failures and the server's CPU time per request."""
    base_url = server.url
    cpu_before = server.cpu_seconds()
    argv = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
        "-s", str(BENCH / script), base_url,
    ]
    proc = subprocess.run(
        argv, env={**os.environ, "BENCH_LUA_DIR": str(BENCH), **env}, capture_output=True, text=True, timeout=duration + 120
    )
    cpu = server.cpu_seconds() - cpu_before
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms_per_request"] = 1000 * cpu / max(result["requests"], 1)
    bad = result["status_errors"] + result["connect_errors"] + result["read_errors"] + result["write_errors"] + result["timeouts"]
    result["failed"] = bad
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def wait_idle(server: Server, quiet: float = 1.0, limit: float = 300.0) -> None:
    """Returns once the server's CPU time has not moved for `quiet` seconds (or after `limit`)."""
    deadline = time.monotonic() + limit
    last = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = server.cpu_seconds()
        if now - last < 0.02:
            return
        last = now


def time_plan_status(client: httpx.Client, plan_id: int, samples: int, expected_targets: int) -> list[float]:
    """Seconds per GET /plans/{id}/status, one request after another; each answer is checked."""
    path = f"/api/v1/plans/{plan_id}/status?as_of={AS_OF}"
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(f"plan status answered {response.status_code}: {response.text[:500]}")
        total = response.json().get("total")
        if total != expected_targets:
            raise BenchError(f"plan status counted {total} targets, expected {expected_targets}")
        times.append(elapsed)
    return times


def post_one_figure(client: httpx.Client, ds: dataset.Dataset, key: str | None, n: int) -> None:
    """One new figure through the API (so the plan's status has one target to judge again)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    target = ds.value_target_ids[n % len(ds.value_target_ids)]
    # dated after AS_OF, where no loaded figure is: a new figure for its unit and date, never a 409
    on = (dataset.AS_OF + timedelta(days=1 + n % 90)).isoformat()
    body = {"value": 40 + n, "period_date": on, "organization_id": ds.org_ids[1 + n % (len(ds.org_ids) - 1)], "note": "bench"}
    response = client.post(f"/api/v1/targets/{target}/submissions", json=body, headers=headers)
    if response.status_code != 201:
        raise BenchError(f"POST a figure answered {response.status_code}: {response.text[:500]}")


def read_every_target_status(api: Server, ds: dataset.Dataset) -> None:
    """Each target's status read once (not timed): what the first read after a change does (judge, store), done."""
    with httpx.Client(base_url=api.url, timeout=60) as client:
        for target_id in ds.target_ids:
            client.get(f"/api/v1/targets/{target_id}/status", params={"as_of": AS_OF}).raise_for_status()


def import_file_rows() -> int:
    """The most data rows the API takes in one file (app/exchange/tabular.py MAX_ROWS); 100k rows go in as several files."""
    try:
        from app.exchange.tabular import MAX_ROWS
    except ImportError:
        return 1_000_000
    return int(MAX_ROWS)


# ------------------------------------------------------------------ one database


@dataclass
class DbResult:
    db: str
    scale: str
    dataset_seconds: dict[str, float] = field(default_factory=dict)
    auth: bool = False
    idempotency: str = "unknown"
    wrk: dict[str, list[dict]] = field(default_factory=dict)  # measurement -> one result per round
    plan_small: list[list[float]] = field(default_factory=list)  # per round, seconds per request
    plan_large: list[list[float]] = field(default_factory=list)
    plan_cold: dict[str, float] = field(default_factory=dict)  # "small"/"large": the first request after loading
    plan_after_write: list[float] = field(default_factory=list)  # at 1M: the request right after one new figure
    plan_cpu_s: dict[str, float] = field(default_factory=dict)  # server CPU seconds per plan status request
    imports: list[dict] = field(default_factory=list)
    after_import: dict[str, float] = field(default_factory=dict)  # judging in the import's wake, then the first read
    by_org_cold: float | None = None  # at 1M: the first GET /plans/{id}/status/organizations (computes and stores)
    by_org: list[float] = field(default_factory=list)  # at 1M: the next ones (stored)
    history: dict[str, list[float]] = field(default_factory=dict)  # at 1M: GET /targets/{id}/history, per target
    peak_rss_mb: dict[str, float | None] = field(default_factory=dict)
    floor_peak_rss_mb: float | None = None


def urls(db: str, postgres_url: str) -> tuple[str, str]:
    """(API database, floor database). PostgreSQL: one bench database on the test server, two tables."""
    if db == "sqlite":
        return f"sqlite:///{WORK / 'api-sqlite.db'}", f"sqlite:///{WORK / 'floor-sqlite.db'}"
    base = postgres_url.replace("postgres://", "postgresql://").rpartition("/")[0]
    # BENCH_PG_DATABASE: another name starting with chitieu_bench (chitieu_bench_<branch>), so that two
    # engineers' runs on one server do not drop each other's database (dataset.fresh_database checks the prefix).
    bench = f"{base}/{os.environ.get('BENCH_PG_DATABASE', 'chitieu_bench')}"
    return bench, bench


def postgres_reachable(postgres_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dataset.postgres_admin_url(dataset.pg_dsn(postgres_url)), connect_timeout=5):
            return True
    except psycopg.Error:
        return False


def build(url: str, scale: Scale, n_submissions: int, rounds: int, timings: dict[str, float], tag: str) -> dataset.Dataset:
    started = time.perf_counter()
    dataset.fresh_database(url)
    dataset.migrate(url)
    timings[f"migrate_{tag}"] = time.perf_counter() - started
    started = time.perf_counter()
    ds = dataset.create_plan(url, n_targets=scale.targets, import_rounds=rounds)
    timings[f"plan_{tag}"] = time.perf_counter() - started
    timings[f"submissions_{tag}"] = dataset.insert_submissions(ds, n_submissions)
    log(f"  {n_submissions:,} submissions in {timings[f'submissions_{tag}']:.1f} s")
    return ds


def check_answers(api: Server, floor: Server, ds: dataset.Dataset, key: str | None, result: DbResult) -> None:
    """One request of each kind, checked by hand before wrk sends thousands."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"value": 12.5, "period_date": dataset.PLAN_END.isoformat(), "organization_id": ds.org_ids[1], "note": "bench check"}
    target = ds.value_target_ids[0]
    idem = {"Idempotency-Key": f"bench-check-{uuid.uuid4()}"}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        first = client.post(f"/api/v1/targets/{target}/submissions", json=body, headers={**headers, **idem})
        if first.status_code != 201:
            raise BenchError(f"POST a figure answered {first.status_code}: {first.text[:500]}")
        again = client.post(f"/api/v1/targets/{target}/submissions", json=body, headers={**headers, **idem})
        if again.status_code >= 400:
            result.idempotency = f"a repeated key is refused ({again.status_code})"
        else:
            result.idempotency = "replayed" if again.json().get("id") == first.json()["id"] else "not supported (a second row)"
        status = client.get(f"/api/v1/targets/{target}/status?as_of={AS_OF}")
        if status.status_code != 200:
            raise BenchError(f"GET a target's status answered {status.status_code}: {status.text[:500]}")
    with httpx.Client(base_url=floor.url, timeout=60) as client:
        response = client.post(f"/floor/targets/{target}/submissions", json=body)
        if response.status_code != 201:
            raise BenchError(f"floor POST answered {response.status_code}: {response.text[:500]}")
        if client.get("/floor/submissions/1").status_code != 200:
            raise BenchError("floor GET failed")


def time_plan_small(api: Server, ds: dataset.Dataset, scale: Scale, rounds: int, result: DbResult) -> None:
    """The plan's status at the small size: the first request on its own, then the timed rounds."""
    with httpx.Client(base_url=api.url, timeout=600) as client:
        # The first request judges every target and stores the evaluations (the status cache,
        # docs/PERFORMANCE.md); it is reported on its own, then the rounds are timed.
        [result.plan_cold["small"]] = time_plan_status(client, ds.plan_id, 1, scale.targets)
        cpu0 = api.cpu_seconds()
        for r in range(rounds):
            result.plan_small.append(time_plan_status(client, ds.plan_id, scale.plan_samples_small, scale.targets))
    result.plan_cpu_s["small"] = (api.cpu_seconds() - cpu0) / sum(map(len, result.plan_small))
    log(f"{result.db}: plan status at {scale.small:,}: p50 {median([median(x) for x in result.plan_small]) * 1000:.1f} ms")
    result.peak_rss_mb["plan status, small"] = api.peak_rss_mb()


def bench_db(db: str, args: argparse.Namespace, scale: Scale) -> DbResult:
    api_url, floor_url = urls(db, args.postgres_url)
    result = DbResult(db=db, scale="quick" if args.quick else "full")
    rounds, duration, conns = args.rounds, args.duration, args.connections

    # ---- the first database: 10k submissions
    log(f"{db}: dataset with {scale.targets:,} targets and {scale.small:,} submissions")
    ds = build(api_url, scale, scale.small, args.import_rounds, result.dataset_seconds, "small")
    dataset.create_floor_table(ds, floor_url, scale.small)
    key = api_key(api_url)
    result.auth = key is not None
    log(f"{db}: {'an admin key made with `chitieu keys create`' if key else 'no `chitieu keys`: requests go without a key'}")

    api = Server(f"api-{db}", ["app.main:create_app", "--factory"], {"DATABASE_URL": api_url}, "/readyz")
    floor = Server(f"floor-{db}", ["--app-dir", str(BENCH), "--factory", "floor:create_app"],
                   {"FLOOR_DATABASE_URL": floor_url}, "/floor/submissions/1")
    try:
        api.start()
        floor.start()
        check_answers(api, floor, ds, key, result)
        log(f"{db}: both servers answer; idempotency: {result.idempotency}")
        api.reset_peak()

        if args.hot_only:  # issue 17: only the wrk rounds (the ratios to the floor)
            pass
        else:
            time_plan_small(api, ds, scale, rounds, result)

        # New figures are dated after AS_OF (the loaded ones end there): each POST is a new figure
        first_day = dataset.AS_OF + timedelta(days=1)
        day0 = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp())
        post_env = {
            "BENCH_TARGET_IDS": ",".join(map(str, ds.value_target_ids)),
            "BENCH_ORG_IDS": ",".join(map(str, ds.org_ids[1:])),  # the units, not the plan's organisation
            "BENCH_DAY0": str(day0),
            "BENCH_DAYS": str((dataset.PLAN_END - dataset.AS_OF).days),
        }
        status_env = {"BENCH_IDS": ",".join(map(str, ds.target_ids)), "BENCH_PATH": f"/api/v1/targets/%s/status?as_of={AS_OF}"}
        measurements = {
            "api_healthz": (api, "get_by_id.lua", {"BENCH_PATH": "/healthz"}),
            "floor_hello": (floor, "get_by_id.lua", {"BENCH_PATH": "/floor/hello"}),
            "api_post": (api, "post_submission.lua", {**post_env, "BENCH_PATH": "/api/v1/targets/%s/submissions", "BENCH_AUTH": key or ""}),
            "floor_insert": (floor, "post_submission.lua", {**post_env, "BENCH_PATH": "/floor/targets/%s/submissions"}),
            # Right after the POST round: a target changed by it is judged and stored by its first read. Shown
            # beside the bar, not measured against it: the floor's select reads a row nobody changed.
            "api_target_status_after_posts": (api, "get_by_id.lua", status_env),
            # Then every target's status is read once (so each changed target is judged and stored: what the
            # first read after a change does), and the round reads targets nobody changed since: the same
            # situation as the floor's select, a stored row read by key. This is the bar's measurement.
            "api_target_status": (api, "get_by_id.lua", status_env),
            "floor_select": (floor, "get_by_id.lua", {"BENCH_ID_MIN": "1", "BENCH_ID_MAX": str(scale.small),
                                                      "BENCH_PATH": "/floor/submissions/%s"}),
        }
        log(f"{db}: warming up (2 s each)")
        for name, (server, script, env) in measurements.items():
            run_wrk(server, script, {**env, "BENCH_NONCE": f"warm-{uuid.uuid4().hex[:8]}"}, duration=2, connections=conns)
        api.reset_peak()
        for r in range(rounds):
            for name, (server, script, env) in measurements.items():
                if name == "api_target_status":
                    read_every_target_status(api, ds)
                out = run_wrk(server, script, {**env, "BENCH_NONCE": f"r{r}-{uuid.uuid4().hex[:8]}"},
                              duration=duration, connections=conns)
                result.wrk.setdefault(name, []).append(out)
                flag = f"  ({out['failed']} FAILED)" if out["failed"] else ""
                log(f"{db}: round {r + 1}/{rounds} {name:18} {out['rps']:8.1f} req/s  p50 {out['p50_us'] / 1000:7.2f} ms"
                    f"  p99 {out['p99_us'] / 1000:7.2f} ms  CPU {out['cpu_ms_per_request']:.2f} ms/req{flag}")
                if out["failed"]:
                    raise BenchError(f"{name}: {out['failed']} requests failed or were refused; the run is not valid")
        result.peak_rss_mb["wrk rounds"] = api.peak_rss_mb()
        if args.hot_only:
            return result

        api.reset_peak()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        max_rows = import_file_rows()
        with httpx.Client(base_url=api.url, timeout=900) as client:
            for r in range(args.import_rounds):
                files = dataset.import_files(ds, scale.import_rows, r, max_rows)
                elapsed = 0.0
                for data in files:
                    started = time.perf_counter()
                    response = client.post(
                        f"/api/v1/plans/{ds.plan_id}/import/submissions",
                        files={"file": ("figures.csv", data, "text/csv")},
                        headers={**headers, "Idempotency-Key": f"bench-import-{uuid.uuid4()}"},
                    )
                    elapsed += time.perf_counter() - started
                    if response.status_code != 200:
                        raise BenchError(f"import answered {response.status_code}: {response.text[:800]}")
                    report = response.json()
                    if not report.get("stored") or report["counts"]["created"] != report["rows"]:
                        raise BenchError(f"import did not store every row: {json.dumps(report)[:800]}")
                size = sum(map(len, files))
                result.imports.append({"rows": scale.import_rows, "files": len(files), "bytes": size, "seconds": elapsed,
                                       "rows_per_s": scale.import_rows / elapsed})
                log(f"{db}: import {r + 1}/{args.import_rounds}: {scale.import_rows:,} rows in {len(files)} file(s) "
                    f"({size / 1e6:.1f} MB) in {elapsed:.2f} s = {scale.import_rows / elapsed:,.0f} rows/s")
        result.peak_rss_mb["import"] = api.peak_rss_mb()
        # Issue 17: the plan is judged in the import's wake (on today's date, off the request). Wait until the
        # server is idle (its CPU time stops moving), then time the first plan-status read on today's date.
        started = time.perf_counter()
        time.sleep(3)  # the plan is judged 2 s after its last import (app/exchange/import_router.py JUDGE_DELAY)
        wait_idle(api)
        result.after_import["wake_s"] = time.perf_counter() - started
        with httpx.Client(base_url=api.url, timeout=900) as client:
            started = time.perf_counter()
            response = client.get(f"/api/v1/plans/{ds.plan_id}/status")
            result.after_import["first_read_s"] = time.perf_counter() - started
            if response.status_code != 200 or response.json().get("total") != scale.targets:
                raise BenchError(f"plan status after the import answered {response.status_code}: {response.text[:300]}")
        log(f"{db}: after the import: idle after {result.after_import['wake_s']:.1f} s, then the first plan-status read "
            f"(today) took {result.after_import['first_read_s'] * 1000:,.0f} ms")
        result.floor_peak_rss_mb = floor.peak_rss_mb()
    finally:
        api.stop()
        floor.stop()
    if args.skip_large:
        return result

    # ---- the second database: the same plan and targets, 1M submissions
    log(f"{db}: dataset with the same plan and {scale.large:,} submissions")
    ds = build(api_url, scale, scale.large, args.import_rounds, result.dataset_seconds, "large")
    key = api_key(api_url)
    api = Server(f"api-{db}-large", ["app.main:create_app", "--factory"], {"DATABASE_URL": api_url}, "/readyz")
    try:
        api.start()
        api.reset_peak()
        with httpx.Client(base_url=api.url, timeout=900) as client:
            [result.plan_cold["large"]] = time_plan_status(client, ds.plan_id, 1, scale.targets)
            log(f"{db}: plan status at {scale.large:,}, first request (judges and stores every target): "
                f"{result.plan_cold['large'] * 1000:,.0f} ms")
            result.peak_rss_mb["plan status, large, first request"] = api.peak_rss_mb()
            api.reset_peak()
            cpu0 = api.cpu_seconds()
            for r in range(rounds):
                result.plan_large.append(time_plan_status(client, ds.plan_id, scale.plan_samples_large, scale.targets))
                log(f"{db}: plan status at {scale.large:,}, round {r + 1}/{rounds}: "
                    f"{', '.join(f'{t * 1000:.0f}' for t in result.plan_large[-1])} ms")
            result.plan_cpu_s["large"] = (api.cpu_seconds() - cpu0) / sum(map(len, result.plan_large))
            for n in range(rounds):  # a new figure, then the status: one target is judged again
                post_one_figure(client, ds, key, n)
                result.plan_after_write += time_plan_status(client, ds.plan_id, 1, scale.targets)
            log(f"{db}: plan status at {scale.large:,} right after a new figure: "
                f"{', '.join(f'{t * 1000:.0f}' for t in result.plan_after_write)} ms")
        result.peak_rss_mb["plan status, large"] = api.peak_rss_mb()
        with httpx.Client(base_url=api.url, timeout=900) as client:  # issue 17: a target's history (1,000 figures)
            for target in ds.target_ids[:3]:
                times = []
                for _ in range(7):
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/targets/{target}/history?as_of={AS_OF}")
                    times.append(time.perf_counter() - started)
                    if response.status_code != 200 or not response.json().get("points"):
                        raise BenchError(f"history answered {response.status_code}: {response.text[:300]}")
                result.history[str(target)] = times
            log(f"{db}: history at {scale.large:,}: p50 " + ", ".join(
                f"target {t} {median(v) * 1000:.1f} ms" for t, v in result.history.items()))
        api.reset_peak()
        with httpx.Client(base_url=api.url, timeout=900) as client:  # issue 17: the status by organisation, stored
            path = f"/api/v1/plans/{ds.plan_id}/status/organizations?as_of={AS_OF}"
            for n in range(1 + max(3, rounds)):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or not response.json().get("organizations"):
                    raise BenchError(f"status by organisation answered {response.status_code}: {response.text[:300]}")
                if n == 0:
                    result.by_org_cold = elapsed
                else:
                    result.by_org.append(elapsed)
        log(f"{db}: status by organisation at {scale.large:,}: first {result.by_org_cold * 1000:,.0f} ms "
            f"({len(response.content) / 1e6:.1f} MB), then {', '.join(f'{t * 1000:.0f}' for t in result.by_org)} ms")
        result.peak_rss_mb["status by organisation, large"] = api.peak_rss_mb()
    finally:
        api.stop()
    return result


# ------------------------------------------------------------------ the table


def ms(us_or_s: float, *, seconds: bool = False) -> str:
    value = us_or_s * 1000 if seconds else us_or_s / 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def summarize(result: DbResult, scale: Scale) -> tuple[list[list[str]], list[dict]]:
    """Table rows (medians over the rounds) and goals ({goal, measured, pass})."""
    rows, goals = [], []

    def wrk_figures(name: str) -> dict:
        runs = result.wrk[name]
        return {key: median([x[key] for x in runs]) for key in ("rps", "p50_us", "p99_us", "cpu_ms_per_request")}

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    def size(n: int) -> str:
        return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000:,}k"

    db, driver = result.db, ("sqlite3" if result.db == "sqlite" else "psycopg")
    small, large = size(scale.small), size(scale.large)
    health, hello = wrk_figures("api_healthz"), wrk_figures("floor_hello")
    health_ratio = health["rps"] / hello["rps"]
    post, ins = wrk_figures("api_post"), wrk_figures("floor_insert")
    get, sel = wrk_figures("api_target_status"), wrk_figures("floor_select")
    write_ratio, read_ratio = post["rps"] / ins["rps"], get["rps"] / sel["rps"]

    def wrk_row(label: str, f: dict, ratio: str, goal: str = "", ok: str = "") -> list[str]:
        return [db, label, f"{f['rps']:,.0f}", ms(f["p50_us"]), ms(f["p99_us"]), f"{f['cpu_ms_per_request']:.2f} ms",
                ratio, goal, ok]

    rows.append(wrk_row("GET /healthz", health, f"{health_ratio:.2f}", f"≥ {GOAL_HEALTH_RATIO} × floor",
                        verdict(health_ratio >= GOAL_HEALTH_RATIO)))
    rows.append(wrk_row("floor: constant JSON", hello, "1.00"))
    rows.append(wrk_row("POST /targets/{id}/submissions", post, f"{write_ratio:.2f}", f"≥ {GOAL_WRITE_RATIO} × floor (goal 0.5)",
                        verdict(write_ratio >= GOAL_WRITE_RATIO)))
    rows.append(wrk_row(f"floor: validate + INSERT ({driver})", ins, "1.00"))
    rows.append(wrk_row("GET /targets/{id}/status (each target read once since the POST round)", get, f"{read_ratio:.2f}",
                        f"≥ {GOAL_READ_RATIO} × floor", verdict(read_ratio >= GOAL_READ_RATIO)))
    rows.append(wrk_row(f"floor: SELECT by key ({driver})", sel, "1.00"))
    if "api_target_status_after_posts" in result.wrk:
        after = wrk_figures("api_target_status_after_posts")
        rows.append(wrk_row("  … right after the POST round (a changed target's first read judges, stores)", after,
                            f"{after['rps'] / sel['rps']:.2f}", "(no bar)", ""))

    ratio_goals = [
        {"goal": "/healthz ≥ 0.8 × floor constant route", "measured": health_ratio, "pass": health_ratio >= GOAL_HEALTH_RATIO},
        {"goal": "create a submission ≥ 0.35 × floor insert", "measured": write_ratio, "pass": write_ratio >= GOAL_WRITE_RATIO},
        {"goal": "target status (each target read once since the POST round) ≥ 0.5 × floor select", "measured": read_ratio,
         "pass": read_ratio >= GOAL_READ_RATIO},
    ]
    if not result.plan_small:  # --hot-only
        return rows, ratio_goals
    plan_small = median([median(x) for x in result.plan_small])
    plan_large = median([median(x) for x in result.plan_large]) if result.plan_large else float("nan")
    growth = plan_large / plan_small
    for n, times, cpu in ((small, result.plan_small, result.plan_cpu_s.get("small")),
                          (large, result.plan_large, result.plan_cpu_s.get("large"))):
        if not times:  # --skip-large
            continue
        flat = [t for x in times for t in x]
        p50 = median([median(x) for x in times])
        row = [db, f"GET /plans/{{id}}/status ({scale.targets:,} targets, {n} subm.; {len(flat)} requests)",
               f"{1 / p50:,.2f}", ms(p50, seconds=True), ms(percentile(flat, 99), seconds=True),
               ms(cpu, seconds=True) if cpu else "", "", "", ""]
        cold = result.plan_cold.get("small" if n == small else "large")
        if cold is not None:
            rows.append([db, f"GET /plans/{{id}}/status ({n} subm.): first request, judges and stores all", "",
                         ms(cold, seconds=True), "", "", "", "", ""])
        if n == large:
            row[6:] = [f"{growth:.1f} × {small}", f"p50 < {GOAL_PLAN_P50_MS:.0f} ms", verdict(plan_large * 1000 < GOAL_PLAN_P50_MS)]
            rows.append(row)
            rows.append([db, f"  … {large} against {small}", "", "", "", "", f"{growth:.1f}", f"≤ {GOAL_PLAN_GROWTH} × {small}",
                         verdict(growth <= GOAL_PLAN_GROWTH)])
            if result.plan_after_write:
                rows.append([db, f"GET /plans/{{id}}/status ({n} subm.) right after one new figure "
                                 f"({len(result.plan_after_write)} requests)", "", ms(median(result.plan_after_write), seconds=True),
                             ms(max(result.plan_after_write), seconds=True), "", "", "", ""])
        else:
            rows.append(row)

    import_rate = median([x["rows_per_s"] for x in result.imports])
    import_time = median([x["seconds"] for x in result.imports])
    files = result.imports[0]["files"]
    rows.append([db, f"POST /plans/{{id}}/import/submissions ({scale.import_rows:,} rows; {files} CSV file{'s' if files > 1 else ''})", f"{import_rate:,.0f} rows/s",
                 f"{import_time:,.1f} s", "", "", "", f"≥ {GOAL_IMPORT_ROWS_S:,.0f} rows/s", verdict(import_rate >= GOAL_IMPORT_ROWS_S)])
    if result.after_import:
        first = result.after_import["first_read_s"]
        rows.append([db, f"GET /plans/{{id}}/status (today) first request after the import (judged in its wake: "
                         f"idle after {result.after_import['wake_s']:.1f} s)", "", ms(first, seconds=True), "", "", "",
                     "< 1 s", verdict(first < 1.0)])
        goals.append({"goal": "first plan status after the import < 1 s", "measured_ms": first * 1000, "pass": first < 1.0})
    if result.history:
        worst = max(median(v) for v in result.history.values())
        rows.append([db, f"GET /targets/{{id}}/history ({large} subm.; {scale.large // scale.targets:,} figures a target; "
                         f"worst p50 of {len(result.history)} targets)", "", ms(worst, seconds=True), "", "", "",
                     "p50 < 20 ms", verdict(worst < 0.02)])
        goals.append({"goal": f"history p50 < 20 ms at {large}", "measured_ms": worst * 1000, "pass": worst < 0.02})
        first = max(v[0] for v in result.history.values())  # the first read of each target computes and stores it
        rows.append([db, "  … the first read of each target (computes it, stores it with the evaluation; worst of "
                         f"{len(result.history)})", "", ms(first, seconds=True), "", "", "", "(no bar)", ""])
    if result.by_org:
        p50 = median(result.by_org)
        rows.append([db, f"GET /plans/{{id}}/status/organizations ({large} subm.): first request, judges and stores", "",
                     ms(result.by_org_cold or 0, seconds=True), "", "", "", "", ""])
        rows.append([db, f"GET /plans/{{id}}/status/organizations ({large} subm.; {len(result.by_org)} requests)",
                     f"{1 / p50:,.2f}", ms(p50, seconds=True), ms(max(result.by_org), seconds=True), "", "", "p50 < 200 ms",
                     verdict(p50 < 0.2)])
        goals.append({"goal": f"status by organisation p50 < 200 ms at {large}", "measured_ms": p50 * 1000, "pass": p50 < 0.2})
    measured = {k: v for k, v in result.peak_rss_mb.items() if v is not None}
    peak = max(measured.values())
    where = max(measured, key=measured.get)
    rows.append([db, f"peak RSS of the API worker (during: {where})", f"{peak:,.0f} MB", "", "", "", "", f"< {GOAL_RSS_MB:.0f} MB",
                 verdict(peak < GOAL_RSS_MB)])
    goals += [
        *ratio_goals,
        *([] if not result.plan_large else [
            {"goal": f"plan status p50 < 100 ms at {large}", "measured_ms": plan_large * 1000, "pass": plan_large * 1000 < GOAL_PLAN_P50_MS},
            {"goal": f"plan status at {large} ≤ 1.5 × at {small}", "measured": growth, "pass": growth <= GOAL_PLAN_GROWTH},
        ]),
        {"goal": "import ≥ 10,000 rows/s", "measured": import_rate, "pass": import_rate >= GOAL_IMPORT_ROWS_S},
        {"goal": "peak RSS < 200 MB", "measured_mb": peak, "pass": peak < GOAL_RSS_MB},
    ]
    return rows, goals


def markdown_table(rows: list[list[str]]) -> str:
    head = ["db", "endpoint", "req/s", "p50", "p99", "CPU/req", "vs floor", "goal", ""]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    right = {2, 3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measurement; medians are reported (default 3; --quick: 1)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 10; --quick: 2)")
    parser.add_argument("--import-rounds", type=int, default=1,
                        help="imports of the 100k-row file (default 1: one takes minutes, which averages the noise itself)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (one wrk thread; default 8)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small dataset, short runs (the goals' sizes are not reached)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="a PostgreSQL server (the bench creates and drops its own database there: `chitieu_bench`, "
                             "or $BENCH_PG_DATABASE, a name starting with chitieu_bench)")
    parser.add_argument("--hot-only", action="store_true",
                        help="only the wrk rounds against the floor (/healthz, POST a figure, a target's status): no plan status, import or 1M")
    parser.add_argument("--skip-large", action="store_true", help="no 1M database: the rounds, the plan status at 10k and the import")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for the API (the floor keeps one)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    global WORKERS
    WORKERS = args.workers
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    scale = QUICK if args.quick else FULL

    WORK.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in dbs and not postgres_reachable(args.postgres_url):
        if args.db == "postgresql":
            raise SystemExit(f"PostgreSQL does not answer at {args.postgres_url} (set --postgres-url or BENCH_POSTGRES_URL)")
        log(f"PostgreSQL does not answer at {args.postgres_url}: SQLite only")
        dbs = ["sqlite"]

    started = datetime.now(UTC)
    header = (
        f"chitieu bench, {started:%Y-%m-%d %H:%M} UTC, commit {git_commit()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}; API workers: {args.workers}; wrk -t1 -c{args.connections} -d{args.duration:g}s; medians of {args.rounds} round(s)"
        + ("; QUICK (small dataset: not the goals' sizes)" if args.quick else "")
    )
    results, rows, goals = [], [], {}
    failed = False
    for db in dbs:
        try:
            result = bench_db(db, args, scale)
        except BenchError as exc:
            log(f"{db}: NOT VALID: {exc}")
            failed = True
            continue
        results.append(result)
        db_rows, goals[db] = summarize(result, scale)
        rows.extend(db_rows)
    if not rows:
        return 2

    notes = []
    for r in results:
        notes.append(f"{r.db}: writes {'with an admin API key' if r.auth else 'without a key'}; a unique Idempotency-Key "
                     f"per POST (idempotency: {r.idempotency}); peak RSS by phase (MB): "
                     + ", ".join(f"{k} {v:,.0f}" for k, v in r.peak_rss_mb.items() if v is not None)
                     + (f"; floor {r.floor_peak_rss_mb:,.0f}" if r.floor_peak_rss_mb else ""))
    table = markdown_table(rows)
    print()
    print(header)
    print()
    print(table)
    print()
    for note in notes:
        print("- " + note)
    missed = [f"{db}: {g['goal']}" for db, gs in goals.items() for g in gs if not g["pass"]]
    print()
    print(f"{sum(g['pass'] for gs in goals.values() for g in gs)}/{sum(len(gs) for gs in goals.values())} goals met"
          + (f"; missed: {'; '.join(missed)}" if missed else ""))

    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out = WORK / f"results-{stamp}.json"
    out.write_text(json.dumps({"header": header, "args": vars(args), "scale": asdict(scale), "notes": notes,
                               "goals": goals, "results": [asdict(r) for r in results]}, indent=1, default=str))
    (WORK / f"results-{stamp}.md").write_text(header + "\n\n" + table + "\n\n" + "\n".join("- " + n for n in notes) + "\n")
    log(f"raw figures: {out}")
    if failed:
        return 2
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
