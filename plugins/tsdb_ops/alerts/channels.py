"""The alert channels (e-mail, Discord, Slack): which are active, and delivery through the providers' notifiers.

A channel is active only while its Airflow connection exists (e-mail also needs ``alert_email_to``).
Each channel is sent in its own thread with one deadline for all, so a channel that fails (HTTP 500,
connection refused, SMTP down) or hangs never stops or delays the others; every outcome is logged, redacted.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tsdb_ops.alerts.messages import SENDER_NAME, Alert, discord_message, email_html, email_text, slack_message
from tsdb_ops.alerts.redaction import connection_secrets, redact
from tsdb_ops.config import OpsConfig

log = logging.getLogger(__name__)

CHANNELS = ("email", "discord", "slack")
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})


class RedactedLog:
    """Logger proxy for a provider notifier or hook: masks secrets in everything it logs.

    The providers log request errors with the webhook URL in them (HttpHook: "Max retries exceeded with
    url: .../webhooks/<id>/<token>"), and Airflow's own masking does not cover every process these alerts
    run in (``airflow dags test`` prints such lines unmasked). Tracebacks are reduced to the redacted error.
    """

    def __init__(self, log: Any, secrets: frozenset[str]) -> None:
        self._log = log
        self._secrets = secrets

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._log, name)
        if name not in _LOG_METHODS:
            return target

        def masked(*args: Any, **kwargs: Any) -> Any:
            level = [args[0]] if name == "log" and args else []
            event, *rest = args[len(level):] or ("",)
            try:
                text = str(event) % tuple(rest) if rest else str(event)
            except (TypeError, ValueError):
                text = " ".join(str(a) for a in (event, *rest))
            error = sys.exc_info()[1] if kwargs.pop("exc_info", name == "exception") else None
            if error is not None:
                text += f": {type(error).__name__}: {error}"
            fields = {k: redact(str(v), self._secrets) for k, v in kwargs.items() if k not in ("stack_info", "stacklevel")}
            method = target if name != "exception" else self._log.error
            return method(*level, redact(text, self._secrets), **fields)

        return masked


@dataclass(frozen=True)
class ActiveChannels:
    """The channels that can be used now, their connections, and the secrets to keep out of every text."""

    connections: dict[str, Any]
    secrets: frozenset[str]

    @property
    def names(self) -> list[str]:
        return [c for c in CHANNELS if c in self.connections]


def _connection(conn_id: str) -> Any | None:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def find_active_channels(config: OpsConfig) -> ActiveChannels:
    """Look up the channel connections (and the database connection, for its secrets only)."""
    from airflow.sdk.log import mask_secret

    conn_ids = {"email": config.smtp_conn_id, "discord": config.discord_conn_id, "slack": config.slack_conn_id}
    found: dict[str, Any] = {}
    secrets: set[str] = set()
    problems: list[str] = []
    for name, conn_id in [*conn_ids.items(), ("database", config.postgres_conn_id)]:
        try:
            conn = _connection(conn_id)
        except Exception as exc:  # a malformed connection must not stop the other channels
            problems.append(f"connection {conn_id!r} ({name}) could not be read: {type(exc).__name__}: {exc}")
            continue
        if conn is None:
            continue
        secrets |= connection_secrets(conn)
        if name in CHANNELS:
            found[name] = conn
    if "email" in found and not config.alert_email_to:
        del found["email"]
        log.warning("E-mail alerts are off: connection %r exists but alert_email_to is empty", config.smtp_conn_id)
    for secret in secrets:
        mask_secret(secret)  # Airflow then masks them in the providers' own log lines too
    for problem in problems:
        log.error("Alert channel unavailable: %s", redact(problem, secrets))
    return ActiveChannels(found, frozenset(secrets))


def route(severity: str, config: OpsConfig, active: ActiveChannels) -> list[str]:
    """Active channels for a severity: ``failure`` goes everywhere, the others as configured."""
    wanted = {"critical": config.critical_channels, "warning": config.warning_channels}.get(severity, CHANNELS)
    return [c for c in active.names if c in wanted]


def _email_notifier(alert: Alert, conn: Any, config: OpsConfig) -> Any:
    """The provider's ``SmtpNotifier`` (connection, TLS, login, retries), sending multipart/alternative: a
    text/plain part, then the HTML part, both quoted-printable. The provider builds HTML-only bodies, so its hook's
    message gets its body parts set here; headers, recipients and sending stay the provider's."""
    from email.charset import QP, Charset
    from email.mime.text import MIMEText
    from functools import cached_property

    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    text, html = email_text(alert), email_html(alert)

    class TextAndHtmlSmtpHook(SmtpHook):
        def _build_mime_message(self, *args: Any, **kwargs: Any) -> Any:
            message, recipients = super()._build_mime_message(*args, **kwargs)
            charset = Charset(kwargs.get("mime_charset", "utf-8"))
            charset.body_encoding = QP  # quoted-printable: the message stays readable as text, unlike base64
            message.set_payload([MIMEText(text, "plain", charset), MIMEText(html, "html", charset)])
            return message, recipients

    class TextAndHtmlSmtpNotifier(SmtpNotifier):
        @cached_property
        def hook(self) -> SmtpHook:
            return TextAndHtmlSmtpHook(smtp_conn_id=self.smtp_conn_id, auth_type=self.auth_type)

    return TextAndHtmlSmtpNotifier(
        to=list(config.alert_email_to),
        from_email=conn.extra_dejson.get("from_email") or f"{SENDER_NAME}@{socket.gethostname()}",
        subject=alert.subject,
        html_content=html,
        mime_subtype="alternative",
        smtp_conn_id=config.smtp_conn_id,
    )


def _notifier(channel: str, alert: Alert, conn: Any, config: OpsConfig) -> Any:
    if channel == "email":
        return _email_notifier(alert, conn, config)
    if channel == "discord":
        from airflow.providers.discord.notifications.discord import DiscordNotifier

        content, embed = discord_message(alert)
        return DiscordNotifier(
            discord_conn_id=config.discord_conn_id, text=content, username=SENDER_NAME, avatar_url="", embed=embed
        )
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    text, blocks = slack_message(alert)
    return SlackWebhookNotifier(
        slack_webhook_conn_id=config.slack_conn_id, text=text, blocks=blocks, timeout=config.alert_send_timeout_seconds
    )


def deliver(alert: Alert, channels: Iterable[str], active: ActiveChannels, config: OpsConfig) -> dict[str, str | None]:
    """Send ``alert`` (redacted) to each channel; return channel -> None when delivered, else the redacted error.

    The notifiers' ``notify()`` is called directly rather than through ``__call__``: ``__call__`` renders the
    text as a Jinja template, and an exception message is not a template (``{{ conn.x.password }}`` in it
    would be rendered).
    """
    alert = alert.redacted(set(active.secrets))
    results: dict[str, str | None] = {}
    threads: dict[str, threading.Thread] = {}

    def send(channel: str) -> None:
        try:
            notifier = _notifier(channel, alert, active.connections[channel], config)
            notifier._log = RedactedLog(notifier.log, active.secrets)
            notifier.hook._log = RedactedLog(notifier.hook.log, active.secrets)
            notifier.notify({})
            results[channel] = None
        except Exception as exc:
            results[channel] = f"{type(exc).__name__}: {exc}"

    for channel in channels:
        threads[channel] = threading.Thread(target=send, args=(channel,), name=f"alert-{channel}", daemon=True)
        threads[channel].start()
    deadline = time.monotonic() + config.alert_send_timeout_seconds
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    # A channel still running keeps going in the background; nobody waits for it.
    timed_out = f"no answer within alert_send_timeout_seconds={config.alert_send_timeout_seconds}"
    outcome = {c: results.get(c, timed_out) for c in threads}
    for channel, error in outcome.items():
        if error is None:
            log.info("Alert %r delivered to %s", alert.subject, channel)
        else:
            outcome[channel] = error = redact(error, set(active.secrets))
            log.error("Alert %r NOT delivered to %s: %s", alert.subject, channel, error)
    return outcome
