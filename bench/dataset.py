"""The benchmark's dataset: organisations, one plan with N targets, and submissions in bulk.

The schema is made the only way the project makes it (`chitieu migrate`). Organisations, the
plan and its targets go through the ORM in one commit (a few thousand rows at most, and new
columns with model defaults keep working); submissions, up to a million, go in with the raw
driver: `executemany` in one transaction on SQLite, `COPY` on PostgreSQL.

Everything is deterministic (a seeded random generator), so the dataset at 10k and at 1M
submissions has the same plan, the same organisations and the same targets, with the same ids.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"

PLAN_CODE = "BENCH-2025"
PLAN_START = date(2025, 1, 1)
PLAN_END = date(2025, 12, 31)
# Every request and every stored figure is judged on this date: during the period, so the
# engine's pace, forecast and overdue paths all run. Stored figures are dated up to it, so every
# one of them counts (the worst case for a plan's status).
AS_OF = date(2025, 9, 30)
CHILD_ORGS = 20  # organisations under the plan's own, which report too
IMPORT_ORGS_PER_ROUND = 5  # each import round reports for its own organisations: all rows are new
CATEGORIES = ("kinh tế", "xã hội", "môi trường", "quốc phòng - an ninh", "xây dựng Đảng", "đô thị")

# Ten kinds of target, used in turn: every comparison, the rules over time and across units
# (the figures come from the 20 units under the plan's organisation), ratios, checkpoints,
# reporting frequencies. (comparison, fields, figure kind)
TEMPLATES: list[tuple[str, dict, str]] = [
    ("at_least", {"value": 100.0, "unit": "tỷ đồng", "across_units": "sum"}, "value"),
    ("at_least", {"value": 5000.0, "unit": "tấn", "aggregation": "cumulative", "across_units": "sum",
                  "frequency": "quarterly"}, "value"),
    ("between", {"low": 11.0, "high": 13.0, "unit": "%", "across_units": "mean"}, "value"),
    ("at_most", {"value": 5.0, "unit": "%", "across_units": "max"}, "value"),
    ("approximately", {"value": 65.0, "tolerance": 1.0, "unit": "%", "across_units": "mean"}, "value"),
    ("at_least", {"value": 80.0, "unit": "%", "across_units": "pooled_ratio"}, "ratio"),
    ("change", {"value": 10.0, "baseline_value": 100.0, "change_basis": "relative_percent", "unit": "tỷ đồng",
                "across_units": "min"}, "value"),
    (
        "at_least",
        {
            "value": 1200.0,
            "unit": "ha",
            "aggregation": "sum",
            "across_units": "sum",
            "frequency": "monthly",
            "checkpoints": [{"date": "2025-06-30", "share": 40.0}, {"date": "2025-12-31", "share": 100.0}],
        },
        "value",
    ),
    ("more_than", {"value": 50.0, "unit": "%", "aggregation": "mean", "across_units": "mean"}, "value"),
    ("milestone", {"across_units": "min"}, "done"),
]
# A typical figure per template (what the generated values scatter around).
TYPICAL = {0: 95.0, 1: 20.0, 2: 12.0, 3: 4.5, 4: 65.0, 5: 0.8, 6: 108.0, 7: 5.0, 8: 52.0, 9: 1.0}


@dataclass
class Dataset:
    """What the driver needs to know about the data it made."""

    url: str
    plan_id: int = 0
    root_org_id: int = 0
    org_ids: list[int] = field(default_factory=list)  # the plan's organisation and those under it
    org_codes: dict[int, str] = field(default_factory=dict)
    import_org_codes: list[list[str]] = field(default_factory=list)  # per import round
    target_ids: list[int] = field(default_factory=list)
    target_codes: dict[int, str] = field(default_factory=dict)
    value_target_ids: list[int] = field(default_factory=list)  # take a plain value (POSTs go to these)
    submissions: int = 0
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ databases


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def postgres_admin_url(url: str) -> str:
    """The same server, the `postgres` maintenance database (to create and drop the bench one)."""
    base, _, _ = url.rpartition("/")
    return base + "/postgres"


def pg_dsn(url: str) -> str:
    """A libpq URL (psycopg wants postgresql://, SQLAlchemy's postgresql+psycopg:// is translated)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(url: str) -> None:
    """Removes the SQLite file, or drops and creates the PostgreSQL database; never another one."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = url.rpartition("/")[2]
    assert name.startswith("chitieu_bench"), f"refusing to drop {name!r}: not a bench database"
    with psycopg.connect(postgres_admin_url(pg_dsn(url)), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([str(VENV_BIN / "chitieu"), "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


# ------------------------------------------------------------------ the plan


def _target_rows(n_targets: int) -> list[dict]:
    rows = []
    for i in range(n_targets):
        t = i % len(TEMPLATES)
        comparison, fields, _ = TEMPLATES[t]
        direction = "lower_is_better" if comparison in ("at_most", "less_than") else "higher_is_better"
        rows.append(
            {
                "code": f"T{i + 1:04d}",
                "title": f"Chỉ tiêu thử nghiệm {i + 1} ({comparison})",
                "title_en": f"Bench target {i + 1}",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "comparison": comparison,
                "direction": direction,
                "position": i,
                "clause": "",
                "aggregation": "latest",
                "checkpoints": [],
                "is_percentage": fields.get("unit") == "%",
                **fields,
            }
        )
    return rows


def create_plan(url: str, *, n_targets: int, import_rounds: int) -> Dataset:
    """Organisations, the plan and its targets, through the app's own models, in one commit."""
    from sqlmodel import Session

    from app.config import Settings
    from app.db import make_engine
    from app.organizations.models import Organization
    from app.plans.models import Plan
    from app.engine import definition_errors
    from app.targets.models import Target
    from app.targets.spec import spec_of

    engine = make_engine(Settings(database_url=url))
    ds = Dataset(url=url)
    with Session(engine) as session:
        root = Organization(code="BENCH", name="Đảng bộ thử nghiệm (benchmark)", kind="party_committee")
        session.add(root)
        session.flush()
        children = [
            Organization(code=f"B{k + 1:02d}", name=f"Chi bộ thử nghiệm {k + 1}", kind="branch", parent_id=root.id)
            for k in range(CHILD_ORGS)
        ]
        importers = [
            [
                Organization(code=f"I{r + 1:02d}{k}", name=f"Đơn vị nhập {r + 1}.{k}", kind="branch", parent_id=root.id)
                for k in range(IMPORT_ORGS_PER_ROUND)
            ]
            for r in range(import_rounds)
        ]
        session.add_all(children + [o for group in importers for o in group])
        plan = Plan(
            code=PLAN_CODE,
            title="Kế hoạch thử nghiệm hiệu năng 2025",
            organization_id=root.id,
            start_date=PLAN_START,
            end_date=PLAN_END,
            state="active",
            near_miss_band=0.05,
        )
        session.add(plan)
        session.flush()
        targets = [Target(plan_id=plan.id, **row) for row in _target_rows(n_targets)]
        for target in targets:
            problems = definition_errors(spec_of(target, plan))
            assert not problems, (target.code, problems)
        session.add_all(targets)
        session.commit()
        ds.plan_id, ds.root_org_id = plan.id, root.id
        ds.org_ids = [root.id] + [o.id for o in children]
        ds.org_codes = {o.id: o.code for o in [root, *children]}
        ds.import_org_codes = [[o.code for o in group] for group in importers]
        ds.target_ids = [t.id for t in targets]
        ds.target_codes = {t.id: t.code for t in targets}
        ds.value_target_ids = [t.id for i, t in enumerate(targets) if TEMPLATES[i % len(TEMPLATES)][2] == "value"]
    engine.dispose()
    return ds


# ------------------------------------------------------------------ figures

SUBMISSION_COLUMNS = (
    "target_id", "organization_id", "period_date", "value", "numerator", "denominator", "done",
    "is_estimate", "note", "evidence_url", "recorded_at", "kind", "reason",
)


def figure(rng: random.Random, template: int) -> tuple[float | None, float | None, float | None, bool | None]:
    """(value, numerator, denominator, done) for a target of this template."""
    kind = TEMPLATES[template][2]
    if kind == "done":
        return None, None, None, rng.random() < 0.7
    if kind == "ratio":
        den = float(rng.randint(20, 80))
        return None, float(round(den * rng.uniform(0.6, 1.0))), den, None
    return round(TYPICAL[template] * rng.uniform(0.8, 1.2), 2), None, None, None


def submission_rows(ds: Dataset, n: int, seed: int = 6, *, for_sqlite: bool = False):
    """n figures spread evenly over the targets and the 20 units, dated within the plan's period up to AS_OF.

    for_sqlite: dates, times and booleans already in the text forms SQLAlchemy's SQLite dialect
    writes and reads back (converting a million rows value by value takes longer than inserting).
    """
    rng = random.Random(seed)
    days = [PLAN_START + timedelta(days=d) for d in range((AS_OF - PLAN_START).days + 1)]
    recorded0 = datetime(2025, 10, 1, tzinfo=UTC)
    if for_sqlite:
        days = [d.isoformat() for d in days]
        base = recorded0.replace(tzinfo=None)

        def recorded(k: int) -> str:
            return (base + timedelta(seconds=k)).isoformat(" ", "microseconds")

        yes, no = 1, 0
    else:

        def recorded(k: int) -> datetime:
            return recorded0 + timedelta(seconds=k)

        yes, no = True, False
    targets, orgs = ds.target_ids, ds.org_ids[1:]  # the units report; the plan's organisation rolls them up
    templates = [i % len(TEMPLATES) for i in range(len(targets))]
    for k in range(n):
        i = k % len(targets)
        value, num, den, done = figure(rng, templates[i])
        if done is not None:
            done = yes if done else no
        yield (
            targets[i], rng.choice(orgs), rng.choice(days), value, num, den, done,
            yes if rng.random() < 0.2 else no, "", "", recorded(k), "original", "",
        )


def insert_submissions(ds: Dataset, n: int, *, table: str = "submission", seed: int = 6) -> float:
    """Bulk-inserts n figures; returns the seconds it took."""
    started = time.perf_counter()
    cols = ", ".join(SUBMISSION_COLUMNS)
    if ds.url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(ds.url))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")  # loading only; the servers use the app's own pragmas
        conn.execute("PRAGMA cache_size=-200000")
        marks = ", ".join("?" for _ in SUBMISSION_COLUMNS)
        with conn:
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", submission_rows(ds, n, seed, for_sqlite=True))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    else:
        import psycopg

        with psycopg.connect(pg_dsn(ds.url)) as conn:
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in submission_rows(ds, n, seed):
                    copy.write_row(row)
            conn.commit()
            conn.autocommit = True
            conn.execute(f"VACUUM ANALYZE {table}")  # what autovacuum would soon do after a bulk load
    ds.submissions += n
    return time.perf_counter() - started


# ------------------------------------------------------------------ the floor's table

FIGURE_SHAPE = (
    "(value IS NOT NULL AND numerator IS NULL AND denominator IS NULL AND done IS NULL)"
    " OR (value IS NULL AND numerator IS NOT NULL AND denominator > 0 AND done IS NULL)"
    " OR (value IS NULL AND numerator IS NULL AND denominator IS NULL AND done IS NOT NULL)"
)


def floor_ddl(dialect: str) -> list[str]:
    """The submission table's shape (columns, check, unique and indexes), without foreign keys."""
    pk = "id INTEGER PRIMARY KEY" if dialect == "sqlite" else "id SERIAL PRIMARY KEY"
    ts = "DATETIME" if dialect == "sqlite" else "TIMESTAMP WITH TIME ZONE"
    real = "FLOAT" if dialect == "sqlite" else "DOUBLE PRECISION"
    return [
        "DROP TABLE IF EXISTS floor_submission",
        f"""CREATE TABLE floor_submission (
            {pk},
            target_id INTEGER NOT NULL,
            organization_id INTEGER NOT NULL,
            period_date DATE NOT NULL,
            value {real}, numerator {real}, denominator {real},
            done BOOLEAN,
            is_estimate BOOLEAN NOT NULL,
            note VARCHAR(20000) NOT NULL,
            evidence_url VARCHAR(2000) NOT NULL,
            recorded_at {ts} NOT NULL,
            kind VARCHAR(16) NOT NULL DEFAULT 'original',
            supersedes_id INTEGER UNIQUE,
            root_id INTEGER,
            reason VARCHAR(20000) NOT NULL DEFAULT '',
            CHECK ({FIGURE_SHAPE}))""",
        "CREATE INDEX ix_floor_target_period ON floor_submission (target_id, period_date)",
        "CREATE INDEX ix_floor_organization ON floor_submission (organization_id)",
        "CREATE INDEX ix_floor_root ON floor_submission (root_id)",
    ]


def create_floor_table(ds: Dataset, floor_url: str, n: int) -> None:
    """The floor's table, with the same n rows the API's table starts with."""
    if floor_url.startswith("sqlite"):
        path = sqlite_path(floor_url)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        for stmt in floor_ddl("sqlite"):
            conn.execute(stmt)
        conn.commit()
        conn.close()
    else:
        import psycopg

        with psycopg.connect(pg_dsn(floor_url), autocommit=True) as conn:
            for stmt in floor_ddl("postgresql"):
                conn.execute(stmt)
    floor = Dataset(url=floor_url, target_ids=ds.target_ids, org_ids=ds.org_ids)
    insert_submissions(floor, n, table="floor_submission")


# ------------------------------------------------------------------ import files


def _vn(x: float) -> str:
    """A figure written the Vietnamese way: decimal comma, at most two decimals (never ambiguous)."""
    return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def import_csv(ds: Dataset, rows: int, round_no: int) -> bytes:
    """A CSV of `rows` new figures for this round's own organisations, as an office would write it:
    semicolons, Vietnamese headers, decimal commas. Every (target, organisation, date) is new."""
    rng = random.Random(1000 + round_no)
    orgs = ds.import_org_codes[round_no]
    lines = ["mã chỉ tiêu;mã đơn vị;ngày số liệu;giá trị;tử số;mẫu số;hoàn thành"]
    per_target = -(-rows // len(ds.target_ids))
    days = (AS_OF - PLAN_START).days + 1
    pairs = [(o, PLAN_START + timedelta(days=d)) for d in range(days) for o in orgs]
    assert per_target <= len(pairs), "too many rows per target for one import round"
    written = 0
    for k in range(per_target):
        org, day = pairs[k * len(pairs) // per_target]
        for i, target_id in enumerate(ds.target_ids):
            if written == rows:
                break
            value, num, den, done = figure(rng, i % len(TEMPLATES))
            cells = [
                ds.target_codes[target_id], org, day.isoformat(),
                "" if value is None else _vn(value),
                "" if num is None else _vn(num),
                "" if den is None else _vn(den),
                "" if done is None else ("có" if done else "không"),
            ]
            lines.append(";".join(cells))
            written += 1
    return ("\n".join(lines) + "\n").encode("utf-8")


def import_files(ds: Dataset, rows: int, round_no: int, max_rows: int) -> list[bytes]:
    """The same rows as import_csv, split into files of at most max_rows data rows (the API's limit per file)."""
    header, *lines = import_csv(ds, rows, round_no).decode("utf-8").splitlines()
    return [("\n".join([header, *lines[i : i + max_rows]]) + "\n").encode("utf-8") for i in range(0, len(lines), max_rows)]
