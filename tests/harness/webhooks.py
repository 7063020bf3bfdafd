"""A real HTTP server on loopback that records webhook posts (Discord and Slack format).

The path chooses the answer, so tests can take one channel down: ``/status/500/...`` answers 500,
``/slow/...`` answers after 30 s (a timeout for the client), anything else 200 (Slack) or 204 (Discord).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness.ports import free_port


@dataclass
class WebhookPost:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class WebhookServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[WebhookPost] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.posts.append(WebhookPost(self.path, dict(self.headers), body))
                parts = self.path.strip("/").split("/")
                if parts[0] == "status":
                    status = int(parts[1])
                elif parts[0] == "slow":
                    time.sleep(30)
                    status = 200
                else:
                    status = 204 if "discord" in self.path else 200
                self.send_response(status)
                payload = b"" if status == 204 else (b"ok" if status == 200 else b"error")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True

    def start(self) -> WebhookServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> None:
        with self._lock:
            self.posts.clear()

    def received(self, path_prefix: str = "") -> list[WebhookPost]:
        with self._lock:
            return [p for p in self.posts if p.path.startswith(path_prefix)]

    def wait_for(self, count: int, path_prefix: str = "", timeout: float = 10.0) -> list[WebhookPost]:
        deadline = time.monotonic() + timeout
        while len(self.received(path_prefix)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received(path_prefix)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
