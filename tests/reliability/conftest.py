"""A real server for the reliability suite: uvicorn in a subprocess, on SQLite or PostgreSQL.

These tests are marked `reliability`: `make test` leaves them out, `make test-reliability`
(which .ci/run also runs) runs them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.auth.models import ApiKeyCreate
from app.auth.service import CLI, create_key
from app.common.crud import transaction
from app.config import Settings
from app.db import make_engine
from app.migrate import upgrade
from app.organizations.models import Organization
from app.plans.models import Plan
from app.targets.models import Target
from tests.conftest import PG_ENV, postgres_url, private_schema, reset_postgres_schema

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A uvicorn process serving the app on `database_url`."""

    database_url: str
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = {**os.environ, "DATABASE_URL": self.database_url, "LOG_LEVEL": "warning"}
        cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning", "--no-access-log"]
        # A process group of its own, so SIGKILL reaches the workers too.
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}")
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not become ready in 30 s")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown, no flushing, like a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class World:
    database_url: str
    key: str
    target_id: int
    organization_id: int
    # Units under the organisation: one unit has one figure per date and estimate flag, so the
    # writers of a test report for a unit each, a date after another.
    unit_ids: list[int] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def count(self, where: str = "1=1") -> int:
        engine = create_engine(Settings(database_url=self.database_url).database_url)
        with engine.connect() as conn:
            n = conn.execute(text(f"SELECT count(*) FROM submission WHERE {where}")).scalar_one()
        engine.dispose()
        return n


def _prepare(url: str) -> World:
    upgrade(url)
    engine = make_engine(Settings(database_url=url))
    with Session(engine) as s:
        org = Organization(code="REL", name="Reliability", kind="party_committee")
        s.add(org)
        s.commit()
        units = [Organization(code=f"REL-{k}", name=f"Unit {k}", kind="branch", parent_id=org.id) for k in range(8)]
        s.add_all(units)
        s.commit()
        plan = Plan(code="REL-1", title="Reliability plan", organization_id=org.id, start_date=date(2019, 1, 1),
                    end_date=date(2019, 12, 31), state="active")
        s.add(plan)
        s.commit()
        target = Target(plan_id=plan.id, code="01", title="Figures", unit="t", comparison="at_least", value=1e9,
                        direction="higher_is_better", aggregation="sum")
        s.add(target)
        s.commit()
        with transaction(s):
            key = create_key(session=s, key_in=ApiKeyCreate(name="reliability", role="admin"), created_by=CLI)[1]
        world = World(database_url=url, key=key, target_id=target.id, organization_id=org.id, unit_ids=[u.id for u in units])
    engine.dispose()
    return world


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path):
    """A migrated database with one organisation, plan, target and admin key."""
    if request.param == "sqlite":
        yield _prepare(f"sqlite:///{tmp_path / 'reliability.db'}")
        return
    schema = private_schema("chitieu_reliability")
    url = postgres_url(schema)
    if url is None:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV}")
    reset_postgres_schema(url, schema)
    yield _prepare(url)
    reset_postgres_schema(url, schema, create=False)
