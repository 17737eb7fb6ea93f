"""The floor: the least an endpoint like ours can do on this machine, on the same database settings.

- POST /floor/targets/{target_id}/submissions: validates the same body as the API's
  `SubmissionCreate` (an equivalent pydantic model: same types, bounds and rules) and INSERTs one
  row into `floor_submission`, a table of the same shape as `submission` (same columns, check,
  unique and indexes; no foreign keys), with the raw driver. Answers 201 with the new id.
- GET /floor/submissions/{submission_id}: SELECTs that one row by key and returns it.
- GET /floor/hello: a constant JSON answer (`async def`), the floor of the API's /healthz.

No authentication, no ORM, no domain checks, no audit, no idempotency: whatever the API does
beyond this is what the ratio to the floor measures. Sync routes in FastAPI's thread pool, as
the API's are, with one connection per thread, opened once.

SQLite gets the app's pragmas (app/db.py): WAL, synchronous=FULL, foreign_keys=ON, the busy
timeout; each INSERT is its own transaction (autocommit), so each one fsyncs, as the API's
commit does. PostgreSQL: psycopg 3, autocommit, server defaults (fsync, synchronous_commit on).

Run (bench/run.py does): FLOOR_DATABASE_URL=sqlite:///path uvicorn --app-dir bench --factory floor:create_app
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

MAX_ID = 2_147_483_647
MAX_FIGURE = 1e15


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def _sane_date(value: date) -> date:
    if not date(1900, 1, 1) <= value <= date(2100, 12, 31):
        raise ValueError("date must be between 1900-01-01 and 2100-12-31")
    return value


def _text(max_length: int):
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_no_nul)]


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Figure = Annotated[float, Field(strict=True, ge=-MAX_FIGURE, le=MAX_FIGURE, allow_inf_nan=False)]
NonNegativeFigure = Annotated[float, Field(strict=True, ge=0, le=MAX_FIGURE, allow_inf_nan=False)]
SaneDate = Annotated[date, AfterValidator(_sane_date)]


class FloorSubmission(BaseModel):
    """Equivalent to app.submissions.models.SubmissionCreate."""

    model_config = ConfigDict(extra="forbid")

    period_date: SaneDate
    organization_id: Id
    value: Figure | None = None
    numerator: NonNegativeFigure | None = None
    denominator: NonNegativeFigure | None = Field(default=None, gt=0)
    done: bool | None = None
    is_estimate: bool = False
    note: _text(20_000) = ""
    evidence_url: _text(2000) = ""

    @model_validator(mode="after")
    def _one_figure(self):
        given = [self.value is not None, self.numerator is not None or self.denominator is not None, self.done is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of: value; numerator and denominator; done")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("a ratio needs both numerator and denominator")
        return self


COLUMNS = (
    "id", "target_id", "organization_id", "period_date", "value", "numerator", "denominator", "done",
    "is_estimate", "note", "evidence_url", "recorded_at", "kind", "supersedes_id", "root_id", "reason",
)
INSERTED = COLUMNS[1:12]


class _Sqlite:
    def __init__(self, path: str):
        self.path = path
        self.marks = ", ".join("?" for _ in INSERTED)

    def connect(self):
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        timeout = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={timeout}")
        return conn

    def insert(self, conn, row: tuple) -> int:
        cur = conn.execute(f"INSERT INTO floor_submission ({', '.join(INSERTED)}) VALUES ({self.marks})", row)
        return cur.lastrowid

    def select(self, conn, submission_id: int):
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM floor_submission WHERE id = ?", (submission_id,)).fetchone()

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class _Postgres:
    def __init__(self, url: str):
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.marks = ", ".join("%s" for _ in INSERTED)

    def connect(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def insert(self, conn, row: tuple) -> int:
        sql = f"INSERT INTO floor_submission ({', '.join(INSERTED)}) VALUES ({self.marks}) RETURNING id"
        return conn.execute(sql, row).fetchone()[0]

    def select(self, conn, submission_id: int):
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM floor_submission WHERE id = %s", (submission_id,)).fetchone()

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def create_app(url: str | None = None) -> FastAPI:
    url = url or os.environ["FLOOR_DATABASE_URL"]
    db = _Sqlite(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else _Postgres(url)
    local = threading.local()

    def conn():
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = db.connect()
        return c

    app = FastAPI(title="chitieu floor", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/floor/hello")
    async def hello() -> dict:
        # Constant JSON (issue 17): what the framework costs for a route that does no work, next to /healthz.
        return {"status": "ok"}

    @app.post("/floor/targets/{target_id}/submissions", status_code=201)
    def insert(target_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: FloorSubmission) -> dict:
        row = (
            target_id, body.organization_id, body.period_date.isoformat() if isinstance(db, _Sqlite) else body.period_date,
            body.value, body.numerator, body.denominator, body.done, body.is_estimate, body.note, body.evidence_url,
            db.now(),
        )
        return {"id": db.insert(conn(), row)}

    @app.get("/floor/submissions/{submission_id}")
    def select(submission_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict:
        row = db.select(conn(), submission_id)
        if row is None:
            raise HTTPException(404)
        return dict(zip(COLUMNS, row))

    return app

