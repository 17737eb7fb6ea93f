"""Every request gets an id: the client's `X-Request-ID` when it sends a sane one, else a new UUID.

The id is echoed in the `X-Request-ID` response header and recorded with every audit event,
so a caller can quote it and an operator can find what that request changed. Set by the one
ASGI layer around the app (app/edge.py) in `scope["state"]["request_id"]`.
"""

from __future__ import annotations

import re

HEADER = "x-request-id"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")
