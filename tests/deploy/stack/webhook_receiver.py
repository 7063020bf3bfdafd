"""Webhook receiver of the deployment test: answers like Discord (204) and Slack (200 "ok") and prints every post
as one JSON line on stdout ({"path": ..., "body": ...}), which the test reads from the container's log."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        print(json.dumps({"path": self.path, "body": body.decode("utf-8", "replace")}), flush=True)
        status, payload = (204, b"") if "discord" in self.path else (200, b"ok")
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    print("webhook receiver listening on :8080", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
