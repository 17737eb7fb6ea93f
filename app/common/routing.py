"""`LeanRoute`: an APIRoute for the two busiest routes that reads its parameters without FastAPI's
per-request machinery when the request is valid (issue 17), and is FastAPI itself when it is not.

Why: FastAPI solves a route's parameters anew on every request (`solve_dependencies`): for each
parameter it classifies the annotation again (sequence? parameter model? aliases?) before the one
pydantic call that validates it. On a target's status that was about a fifth of the request's time
in process, more than the database read (docs/PERFORMANCE.md).

What it does per request, in FastAPI's order: the body read and parsed as JSON, the route's gates
(dependencies that take only the request, such as the API router's `app.deps.api_gate`), each path
and query parameter through the same `ModelField.validate` FastAPI calls (so the same values come
out), the body through the body field's own `validate`, then the endpoint. The classification is done once, here,
when the route is built.

What it does not do: answer an invalid request itself. A parameter or body that fails validation,
a body that is not JSON or not parseable, a required value that is missing: the request goes to
FastAPI's own handler for the route (built beside it), which validates everything again and raises
the RequestValidationError FastAPI always raised. So a 4xx is byte for byte what it was, and only
the valid request's path is new. While the app's `dependency_overrides` are set (tests), every
request goes to FastAPI's handler, which applies them. A route it cannot read this way (header, cookie or list
parameters, dependencies with parameters, a form body, a Response parameter) is refused when the
app is built, rather than served slowly or wrongly.
"""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from copy import deepcopy
from typing import Any

import fastapi.routing
from fastapi import HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import is_scalar_field
from fastapi.routing import APIRoute

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_UNSET = object()


class LeanRoute(APIRoute):
    """Use with `router.add_api_route(..., route_class_override=LeanRoute)` (`lean_route` below).

    The endpoint must be `async` and return a `Response`."""

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()  # every request that is not plainly valid
        # FastAPI (0.160 and later) builds a route's handler once per router that includes it, with the
        # including routers' dependencies in that context's dependant; before, the route was copied.
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        source = context if context is not None and context.original_route is self else self
        return _lean_handler(self, source.dependant, getattr(source, "dependency_overrides_provider", None), fastapi_handler)


def lean_route(router: fastapi.APIRouter, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@lean_route(router, "/path", methods=["GET"], ...)`: `router.add_api_route` with `LeanRoute`."""

    def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, endpoint, route_class_override=LeanRoute, **kwargs)
        return endpoint

    return decorator


def _refuse(route: APIRoute, why: str) -> TypeError:
    return TypeError(f"LeanRoute {route.path}: {why}; declare it as an ordinary route")


def _lean_handler(route: APIRoute, dependant: Dependant, overrides_provider: Any, fastapi_handler: Handler) -> Handler:
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call):
        raise _refuse(route, "the endpoint must be async")
    if dependant.header_params or dependant.cookie_params:
        raise _refuse(route, "header and cookie parameters are not read")
    if any(
        (
            dependant.response_param_name,
            dependant.background_tasks_param_name,
            dependant.security_scopes_param_name,
            dependant.websocket_param_name,
            dependant.http_connection_param_name,
        )
    ):
        raise _refuse(route, "only the Request may be injected")
    if getattr(route, "max_body_size", None) is not None:
        raise _refuse(route, "FastAPI's max_body_size is not applied (the edge layer limits bodies)")
    gates: list[Callable[[Request], Awaitable[Any]]] = []
    for sub in dependant.dependencies:
        takes_only_request = not (
            sub.path_params
            or sub.query_params
            or sub.header_params
            or sub.cookie_params
            or sub.body_params
            or sub.dependencies
            or sub.response_param_name
            or sub.background_tasks_param_name
        )
        if sub.call is None or not takes_only_request or sub.request_param_name is None:
            raise _refuse(route, f"dependency {getattr(sub.call, '__name__', sub.call)} must take only the Request")
        if not inspect.iscoroutinefunction(sub.call):
            raise _refuse(route, "a gate must be async")
        gates.append(_gate(sub.call, sub.request_param_name))
    params = []
    for location, fields in (("path", dependant.path_params), ("query", dependant.query_params)):
        for field in fields:
            if not is_scalar_field(field) or field.field_info.validation_alias is not None:
                raise _refuse(route, f"{location} parameter {field.name} is not a plain scalar")
            params.append((location, field, field.alias))
    if len(dependant.body_params) > 1:
        raise _refuse(route, "one JSON body at most")
    body_field = route.body_field if dependant.body_params else None
    if body_field is not None and (
        route._embed_body_fields
        or not hasattr(body_field.field_info, "media_type")
        or body_field.field_info.media_type != "application/json"
    ):
        raise _refuse(route, "the body must be one JSON model, not embedded")
    request_name = dependant.request_param_name

    async def handler(request: Request) -> Response:
        if overrides_provider is not None and getattr(overrides_provider, "dependency_overrides", None):
            return await fastapi_handler(request)  # dependencies overridden (tests): FastAPI resolves them
        json_body: Any = _UNSET
        if body_field is not None:  # FastAPI reads and parses the body before anything else
            json_body = await _json_body(request)
            if json_body is _UNSET:
                return await fastapi_handler(request)  # empty, not JSON, or not parseable: FastAPI's answer
        for gate in gates:
            await gate(request)
        values: dict[str, Any] = {}
        path_params, query = request.path_params, request.query_params
        for location, field, alias in params:
            raw = (path_params if location == "path" else query).get(alias)
            if raw is None:
                if field.field_info.is_required():
                    return await fastapi_handler(request)
                default = deepcopy(field.default)
                if not field.field_info.validate_default:
                    values[field.name] = default
                    continue
                raw = default
            value, errors = field.validate(raw, values, loc=(location, alias))
            if errors:
                return await fastapi_handler(request)
            values[field.name] = value
        if body_field is not None:
            value, errors = body_field.validate(json_body, values, loc=("body",))
            if errors:
                return await fastapi_handler(request)
            values[body_field.name] = value
        if request_name is not None:
            values[request_name] = request
        response = await call(**values)
        if not isinstance(response, Response):  # pragma: no cover - a programming error, caught by the tests
            raise TypeError(f"LeanRoute {route.path}: the endpoint must return a Response")
        return response

    return handler


def _gate(call: Callable[..., Awaitable[Any]], name: str) -> Callable[[Request], Awaitable[Any]]:
    async def gate(request: Request) -> Any:
        return await call(**{name: request})

    return gate


async def _json_body(request: Request) -> Any:
    """The body as FastAPI reads a JSON route's body, or _UNSET where FastAPI would not have JSON:
    no body, a content type that is not JSON (FastAPI then validates the raw bytes), bad JSON."""
    try:
        body = await request.body()
    except HTTPException:
        raise
    except Exception as exc:  # as FastAPI answers a body that cannot be read (the edge layer limits sizes)
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
    content_type = request.headers.get("content-type")
    if not body or not content_type:
        return _UNSET
    if content_type != "application/json":  # the common case needs no parsing of the header
        if not _is_json(content_type):
            return _UNSET
    try:
        return json.loads(body)
    except Exception:  # not JSON, or bytes no encoding reads (UnicodeDecodeError): FastAPI's handler answers it
        return _UNSET


def _is_json(content_type: str) -> bool:
    """FastAPI's test: application/json or application/*+json, parameters allowed."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))
