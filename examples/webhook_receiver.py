"""A tiny webhook receiver: prints each event chitieu sends, after checking its signature.

    pip install standardwebhooks          # (the project's test extra has it)
    python examples/webhook_receiver.py --port 9000 --secret whsec_...

The secret is the one the subscription's creation answered (it is shown only then). A request
whose signature does not verify is answered 401 and not printed. `webhook-id` is the event's id:
the same at every retry, so a receiver that stores the ids it has handled can ignore duplicates
(delivery is at least once).
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def serve(port: int, secret: str, quiet: bool = False) -> None:
    verifier = Webhook(secret)
    handled: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the worker reuses its connection

        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                event = verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
            except WebhookVerificationError as exc:
                self._answer(401)
                print(f"refused (bad signature): {exc}", file=sys.stderr, flush=True)
                return
            duplicate = event["id"] in handled
            handled.add(event["id"])
            self._answer(204)
            if not quiet:
                note = " (again: already handled)" if duplicate else ""
                print(f"{event['timestamp']} {event['type']} {event['id']}{note}", flush=True)
                print(json.dumps(event["data"], ensure_ascii=False, indent=2), flush=True)

        def _answer(self, code: int) -> None:
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if not quiet:
        print(f"listening on http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the subscription's whsec_... secret")
    parser.add_argument("--quiet", action="store_true", help="print nothing (benchmarks)")
    args = parser.parse_args()
    serve(args.port, args.secret, args.quiet)


if __name__ == "__main__":
    main()
