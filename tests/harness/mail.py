"""A real SMTP server (aiosmtpd) on loopback that keeps every message it receives.

With ``save_dir`` it also writes each message there as it arrived, one ``.eml`` file per message (open it in any
mail client, or read it as text): the demo keeps its alerts that way.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from harness.ports import free_port

_SAVE_LOCK = threading.Lock()


def save_message(directory: Path, title: str, contents: dict[str, bytes]) -> list[Path]:
    """Write one received message to ``directory`` as ``<number>-<UTC time>-<slug of title><suffix>`` for each
    suffix of ``contents``; numbers grow with arrival over every receiver writing there (and over restarts)."""
    with _SAVE_LOCK:
        directory.mkdir(parents=True, exist_ok=True)
        number = 1 + max((int(p.name[:5]) for p in directory.iterdir() if p.name[:5].isdigit()), default=0)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] or "message"
        stem = f"{number:05d}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{slug}"
        paths = []
        for suffix, data in contents.items():
            path = directory / f"{stem}{suffix}"
            path.write_bytes(data)
            paths.append(path)
        return paths


class _Recorder:
    def __init__(self, save_dir: Path | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.files: list[Path] = []
        self.lock = threading.Lock()
        self.save_dir = save_dir

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            if self.save_dir is not None:
                self.files += save_message(self.save_dir, f"mail {message['Subject'] or ''}", {".eml": envelope.content})
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, save_dir: Path | None = None) -> None:
        self.port = free_port()
        self._recorder = _Recorder(save_dir)
        self._controller = Controller(self._recorder, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._recorder.lock:
            return list(self._recorder.messages)

    @property
    def files(self) -> list[Path]:
        """The .eml files written so far (with ``save_dir``)."""
        with self._recorder.lock:
            return list(self._recorder.files)

    def clear(self) -> None:
        with self._recorder.lock:
            self._recorder.messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    def connection_uri(self) -> str:
        """Airflow connection (smtp provider) for this server: plain SMTP, no TLS, no login."""
        return (
            f"smtp://127.0.0.1:{self.port}?disable_tls=true&disable_ssl=true"
            "&from_email=tsdb-ops%40localhost&timeout=5&retry_limit=1"
        )
