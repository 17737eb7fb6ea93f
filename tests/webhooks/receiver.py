"""A real webhook receiver for the tests and the bench: a threaded HTTP server on loopback.

It records every request (headers, body) and answers what it is told: `fail_first` 500s for each
event id first, or `status` for everything. HTTP/1.1 with keep-alive, as a real receiver would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int = 0
    status: int = 204
    fail_first: int = 0  # answer 500 to the first N requests of each webhook-id
    delay: float = 0.0  # seconds before answering (a slow receiver)
    received: list[Received] = field(default_factory=list)
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender went away mid-request (a killed worker): nothing was delivered
                    self.close_connection = True
                    return
                msg_id = self.headers.get("webhook-id", "")
                with receiver._lock:  # recorded on arrival: a sender killed while we wait has still delivered
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                    n = receiver._seen[msg_id] = receiver._seen.get(msg_id, 0) + 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                code = 500 if n <= receiver.fail_first else receiver.status
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers.get("webhook-id", "") for r in self.received]

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= n:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} requests received, {n} expected")
