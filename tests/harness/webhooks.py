"""A real HTTP server on loopback that records webhook posts (Discord and Slack format).

The path chooses the answer, so tests can take one channel down: ``/status/500/...`` answers 500,
``/slow/...`` answers after 30 s (a timeout for the client), anything else 200 (Slack) or 204 (Discord).

With ``save_dir`` every accepted post is also written there: ``.json`` (the body as posted, indented) and
``.txt`` (roughly what the Discord or Slack channel shows); the demo keeps its alerts that way.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.mail import save_message
from harness.ports import free_port


@dataclass
class WebhookPost:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def channel(self) -> str:
        return "discord" if "discord" in self.path else "slack" if "slack" in self.path else "webhook"


def _slack_text(text: str) -> str:
    """Slack mrkdwn as shown: links ``<url|label>`` as ``label: url``, escapes undone."""
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2: \1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_post(channel: str, payload: dict[str, Any]) -> str:
    """A plain-text rendering of a Discord or Slack webhook post, close to what the channel shows."""
    lines: list[str] = []
    if channel == "discord":
        if payload.get("username"):
            lines.append(f"[{payload['username']}]")
        if payload.get("content"):
            lines.append(payload["content"])
        for embed in payload.get("embeds") or []:
            lines += ["", f"| {embed.get('title', '')}"]
            if embed.get("description"):
                lines += [f"| {line}" for line in embed["description"].splitlines()]
            lines += [f"| {field.get('name')}: {field.get('value')}" for field in embed.get("fields") or []]
            if embed.get("url"):
                lines.append(f"| Link: {embed['url']}")
    else:
        blocks = payload.get("blocks") or []
        if not blocks and payload.get("text"):
            lines.append(_slack_text(payload["text"]))
        for block in blocks:
            if block.get("text"):
                lines.append(_slack_text(block["text"].get("text", "")).replace("```", ""))
            for field in block.get("fields") or []:
                name, _, value = _slack_text(field.get("text", "")).partition("\n")
                lines.append(f"{name.strip('*')}: {value}" if value else name)
    return "\n".join(lines) + "\n"


class WebhookServer:
    def __init__(self, save_dir: Path | None = None) -> None:
        self.port = free_port()
        self.posts: list[WebhookPost] = []
        self.files: list[Path] = []
        self.save_dir = save_dir
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                post = WebhookPost(self.path, dict(self.headers), body)
                with server._lock:
                    server.posts.append(post)
                parts = self.path.strip("/").split("/")
                if parts[0] == "status":
                    status = int(parts[1])
                elif parts[0] == "slow":
                    time.sleep(30)
                    status = 200
                else:
                    status = 204 if "discord" in self.path else 200
                if server.save_dir is not None and status < 300:
                    server._save(post)
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

    def _save(self, post: WebhookPost) -> None:
        assert self.save_dir is not None
        try:
            payload = post.json
        except ValueError:
            paths = save_message(self.save_dir, f"{post.channel} unreadable post", {".txt": post.body})
        else:
            title = payload.get("content") or payload.get("text") or "post"
            paths = save_message(self.save_dir, f"{post.channel} {title}", {
                ".json": (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode(),
                ".txt": render_post(post.channel, payload).encode(),
            })
        with self._lock:
            self.files += paths

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
