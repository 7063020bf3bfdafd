"""Secrets never leave in an alert or a log line: known secrets and secret-shaped text are replaced by ***.

Two layers: the literal secrets of the project's connections (passwords, webhook tokens), and patterns that
catch secrets of connections we do not know (a DSN with a password, ``password=...``, webhook URLs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

MASK = "***"

# Shorter literals are not replaced: masking a 1-3 character password everywhere would garble every message
# (the patterns below still hide it inside a DSN or a key=value pair).
MIN_SECRET_LENGTH = 4

_SENSITIVE_EXTRA_KEYS = ("password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "webhook")

_KEY = r"(?i)\b([a-z_]*(?:password|passwd|pwd|secret|token|api_?key))"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host (PostgreSQL DSNs, SMTP and HTTP URLs)
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)[^\s@/]+(@)"), rf"\g<1>{MASK}\g<2>"),
    # password=..., token: ..., api_key='...' (libpq conninfo, query strings, JSON, reprs): quoted, then bare
    (re.compile(rf"""{_KEY}(["']?\s*[=:]\s*)(["'])(?:(?!\3).)*\3"""), rf"\g<1>\g<2>\g<3>{MASK}\g<3>"),
    (re.compile(rf"""{_KEY}(["']?\s*[=:]\s*)(?!["'])[^\s,;&'"}}]+"""), rf"\g<1>\g<2>{MASK}"),
    # Discord webhooks/<id>/<token>
    (re.compile(r"(webhooks/\d+/)[A-Za-z0-9_-]+"), rf"\g<1>{MASK}"),
    # Slack incoming webhooks services/T.../B.../<token>, and Slack API tokens
    (re.compile(r"(services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/)[A-Za-z0-9]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), MASK),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret (and its URL-encoded form) and every secret-shaped value masked."""
    literals = {variant for s in secrets if len(s) >= MIN_SECRET_LENGTH for variant in (s, quote(s, safe=""))}
    for secret in sorted(literals, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def connection_secrets(conn: Any) -> set[str]:
    """The secrets an Airflow connection holds: its password, sensitive extras, a webhook token in a path."""
    found: set[str] = set()
    if conn.password:
        found.add(conn.password)
        found.add(conn.password.rstrip("/").rsplit("/", 1)[-1])  # Slack: the token is the URL's last segment
    extra = conn.extra_dejson if conn.extra else {}
    for key, value in extra.items():
        if isinstance(value, str) and value and any(word in key.lower() for word in _SENSITIVE_EXTRA_KEYS):
            found.add(value)
            found.add(value.rstrip("/").rsplit("/", 1)[-1])  # Discord: webhooks/<id>/<token>
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}
