"""Concurrency: a real uvicorn server with 2 workers; 8 clients send 250 figures each at once.

Exactly 2,000 are stored and nothing answers 5xx. Then every request is sent again with its
Idempotency-Key: each retry gets the first answer back, and there are still exactly 2,000.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.reliability.conftest import Server

pytestmark = pytest.mark.reliability

CLIENTS, EACH = 8, 250


def _body(client_no: int, n: int, organization_id: int) -> dict:
    # each client reports for its own unit, a day after another (one figure per unit and date)
    return {"value": float(client_no * 1000 + n), "period_date": (date(2019, 1, 1) + timedelta(days=n)).isoformat(),
            "organization_id": organization_id, "note": f"client {client_no} figure {n}"}


def _send_all(server: Server, world, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    url = f"{server.base}/api/v1/targets/{world.target_id}/submissions"
    chunks = [requests[i::CLIENTS] for i in range(CLIENTS)]

    def run(chunk):
        with httpx.Client(headers=world.headers, timeout=60) as client:
            return [client.post(url, json=body, headers={"Idempotency-Key": key}) for key, body in chunk]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [r for rs in pool.map(run, chunks) for r in rs]


def test_2000_concurrent_figures_are_stored_exactly_once_even_when_retried(world):
    server = Server(world.database_url, workers=2).start()
    try:
        requests = [(str(uuid.uuid4()), _body(c, n, world.unit_ids[c])) for c in range(CLIENTS) for n in range(EACH)]
        first = _send_all(server, world, requests)
        statuses = sorted({r.status_code for r in first})
        assert statuses == [201], [(r.status_code, r.text[:200]) for r in first if r.status_code != 201][:5]
        assert world.count() == CLIENTS * EACH

        again = _send_all(server, world, requests)
        assert sorted({r.status_code for r in again}) == [201]
        assert all(r.headers.get("idempotent-replayed") == "true" for r in again)
        assert {r.json()["id"] for r in again} == {r.json()["id"] for r in first}
        assert world.count() == CLIENTS * EACH
    finally:
        server.stop()
