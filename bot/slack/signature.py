"""Slack's v0 request signature, checked in two steps around reading the body.

The headers alone tell a forgery from a request that may be Slack's (``plausible``), so
the route refuses the former before reading a byte of its body; the HMAC over the body
(``signed``) is checked before the event takes a slot. bolt verifies the signature again
when it dispatches; that second check costs one HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
# Slack's rule, and slack_sdk's: a timestamp more than five minutes from now is a replay.
MAX_CLOCK_SKEW_SECONDS = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def plausible(headers: Mapping[str, str], *, now: float) -> bool:
    """Both headers present, well formed, and the timestamp within five minutes of ``now``.

    Also keeps garbled headers from bolt's verifier, which calls ``int()`` on the timestamp
    and ``hmac.compare_digest()`` (ASCII only) on the signature without guards.
    """
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    return _SIGNATURE.fullmatch(headers.get(SIGNATURE_HEADER, "")) is not None


def signed(headers: Mapping[str, str], body: bytes, *, secret: str) -> bool:
    """The signature is the HMAC of this body; only for headers that are ``plausible``.

    Over the raw bytes: slack_sdk's verifier decodes the body as UTF-8 first and raises on
    bytes that are not.
    """
    base = b"v0:" + headers[TIMESTAMP_HEADER].encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[SIGNATURE_HEADER])
