"""The scaffolding the app's pure ASGI middlewares share (no BaseHTTPMiddleware, so streaming and
background work are unaffected): anything but an HTTP request (lifespan, websockets) goes straight
through; an HTTP request goes to the middleware's `handle`."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """Base of a pure ASGI middleware that acts on HTTP requests only: subclasses write `handle`."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Called for each HTTP request; `self.app` is the app inside."""
        raise NotImplementedError
