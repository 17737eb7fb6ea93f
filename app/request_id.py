"""Every request gets an id: the client's `X-Request-ID` when it sends a sane one, else a new UUID.

The id is echoed in the `X-Request-ID` response header and recorded with every audit event,
so a caller can quote it and an operator can find what that request changed.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import Message, Receive, Scope, Send

from app.common.asgi import HttpMiddleware

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


class RequestIdMiddleware(HttpMiddleware):
    """Sets the request id (pure ASGI: `HttpMiddleware`)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER.encode()), "")
        request_id = given if _SANE.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER.encode(), request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
