"""LeanRoute (app/common/routing.py): the same answers as FastAPI's own route, without its per-request
parameter work on a valid request."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from app.common.routing import LeanRoute, lean_route


class Body(BaseModel):
    value: float = Field(ge=0)
    period_date: date
    note: str | None = None


async def gate(request: Request) -> None:
    if request.query_params.get("closed") is not None:
        raise fastapi.HTTPException(status_code=401, detail="gate")


async def read(
    request: Request,
    item_id: Annotated[int, fastapi.Path(ge=1)],
    as_of: date | None = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    include: Literal["submitted"] | None = None,
    closed: str | None = None,
) -> Response:
    return Response(f"{item_id} {as_of} {lang} {include}".encode())


async def write(request: Request, item_id: int, body: Body) -> Response:
    return Response(body.model_dump_json().encode(), status_code=201)


def _app(lean: bool) -> FastAPI:
    router = APIRouter()
    if lean:
        lean_route(router, "/items/{item_id}", methods=["GET"])(read)
        lean_route(router, "/items/{item_id}", methods=["POST"], status_code=201)(write)
    else:
        router.add_api_route("/items/{item_id}", read, methods=["GET"])
        router.add_api_route("/items/{item_id}", write, methods=["POST"], status_code=201)
    api = APIRouter(dependencies=[Depends(gate)])
    api.include_router(router)
    app = FastAPI()
    app.include_router(api, prefix="/v1")
    return app


REQUESTS = [
    ("GET", "/v1/items/5", {}, None),
    ("GET", "/v1/items/5?as_of=2019-06-30&lang=vi&include=submitted", {}, None),
    ("GET", "/v1/items/0", {}, None),
    ("GET", "/v1/items/x?as_of=yesterday&lang=toolong", {}, None),
    ("GET", "/v1/items/5?include=all", {}, None),
    ("GET", "/v1/items/5?as_of=", {}, None),
    ("GET", "/v1/items/5?closed=1&as_of=bad", {}, None),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b'{"value": 1.5, "period_date": "2019-06-30"}'),
    (
        "POST",
        "/v1/items/5",
        {"content-type": "application/vnd.x+json; charset=utf-8"},
        b'{"value": 2, "period_date": "2019-06-30"}',
    ),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b'{"value": -1, "period_date": "2019-13-30"}'),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b'{"value": 1,'),
    ("POST", "/v1/items/5", {"content-type": "text/plain"}, b'{"value": 1, "period_date": "2019-06-30"}'),
    ("POST", "/v1/items/5", {}, b'{"value": 1, "period_date": "2019-06-30"}'),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b""),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b"[1, 2]"),
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b"\x00" * 9),  # no encoding reads it (schemathesis)
    ("POST", "/v1/items/5", {"content-type": "application/json"}, b'{"value": 1, "period_date": "2019-06-30", "note": "\xff"}'),
    ("POST", "/v1/items/x", {"content-type": "application/json"}, b'{"value": 1, "period_date": "2019-06-30"}'),
    ("POST", "/v1/items/5?closed=1", {"content-type": "application/json"}, b'{"value": 1, "period_date": "2019-06-30"}'),
    ("POST", "/v1/items/5?closed=1", {"content-type": "application/json"}, b'{"value": 1'),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
def test_same_answer_as_fastapi(method, url, headers, body):
    plain, lean = TestClient(_app(lean=False)), TestClient(_app(lean=True))
    want = plain.request(method, url, headers=headers, content=body)
    got = lean.request(method, url, headers=headers, content=body)
    assert (got.status_code, got.json() if got.status_code >= 400 else got.content) == (
        want.status_code,
        want.json() if want.status_code >= 400 else want.content,
    )


def test_valid_requests_skip_fastapis_parameter_work(monkeypatch):
    calls = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*args, **kwargs):
        calls.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    client = TestClient(_app(lean=True))
    assert client.get("/v1/items/5?as_of=2019-06-30").status_code == 200
    assert client.post("/v1/items/5", json={"value": 1, "period_date": "2019-06-30"}).status_code == 201
    assert calls == []
    assert client.get("/v1/items/5?as_of=bad").status_code == 422  # an invalid request is FastAPI's to answer
    assert calls == ["/v1/items/5"]
    TestClient(_app(lean=False)).get("/v1/items/5")  # and the plain route does solve them (the count can fail)
    assert len(calls) == 2


def test_a_route_it_cannot_read_is_refused_when_built():
    async def with_header(request: Request, item_id: int, x_token: Annotated[str | None, Header()] = None) -> Response:
        return Response()

    router = APIRouter()
    with pytest.raises(TypeError, match="header"):
        router.add_api_route("/items/{item_id}", with_header, methods=["GET"], route_class_override=LeanRoute)

    def blocking(request: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="async"):
        router.add_api_route("/blocking", blocking, methods=["GET"], route_class_override=LeanRoute)


def test_the_api_serves_the_hot_routes_with_it():
    from app.status.router import hot_router as status_hot_router
    from app.status.router import router as status_router
    from app.submissions.router import hot_router as submissions_hot_router
    from app.submissions.router import router as submissions_router

    lean = {
        (r.path, tuple(sorted(r.methods)))
        for r in [*status_router.routes, *submissions_router.routes, *status_hot_router.routes, *submissions_hot_router.routes]
        if isinstance(r, LeanRoute)
    }
    assert lean == {("/targets/{target_id}/status", ("GET",)), ("/targets/{target_id}/submissions", ("POST",))}


def test_dependency_overrides_are_applied(monkeypatch):
    """While overrides are set, the route is FastAPI's: the overridden gate runs instead of the real one."""
    app = _app(lean=True)
    client = TestClient(app)
    assert client.get("/v1/items/5?closed=1").status_code == 401

    async def open_gate(request: Request) -> None:
        return None

    app.dependency_overrides[gate] = open_gate
    assert client.get("/v1/items/5?closed=1").status_code == 200
    app.dependency_overrides.clear()
    assert client.get("/v1/items/5?closed=1").status_code == 401


def test_the_hot_routes_are_matched_before_every_other_api_route(app):
    """FastAPI tries the routes in order, twice a request: POST a figure and a target's status each sit alone
    on the first two API routers (app.main.API_ROUTERS), so neither is tried against other routes first."""
    included = [r for r in app.router.routes if hasattr(r, "original_router")]
    first, second = ([(route.path, tuple(sorted(route.methods))) for route in r.original_router.routes] for r in included[:2])
    assert first == [("/targets/{target_id}/submissions", ("POST",))]
    assert second == [("/targets/{target_id}/status", ("GET",))]
