"""The HTTP plumbing both billing clients share: one GET returning status, headers and the
decoded body, with transport failures wrapped. Each client maps statuses to errors in its
own ``_check_response``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.errors import RetryableError

TIMEOUT = aiohttp.ClientTimeout(total=15)
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


def retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: the backoff policy decides


async def send(http: aiohttp.ClientSession, method: str, url: str, *, who: str,
               params: Params = (), data: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None) -> Reply:
    """One request; a dropped connection or a timeout is a :class:`RetryableError`.

    :param who: the provider's name for error reasons (``Stripe``)
    """
    try:
        async with http.request(method, url, params=list(params), data=data,
                                headers=headers, timeout=TIMEOUT,
                                allow_redirects=False) as response:
            raw = await response.read()
            return Reply(response.status, response.headers, _decode(raw))
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Never str(exc): aiohttp messages carry the URL and its query (an email address).
        timeout = isinstance(exc, asyncio.TimeoutError)
        reason = "did not answer in time" if timeout else "could not be reached (network error)"
        raise RetryableError(f"{who} {reason}",
                             code="timeout" if timeout else "network") from exc


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def text(value: object, limit: int = 200) -> str:
    """A provider's error message, bounded, for a reason shown to operators."""
    return str(value or "").strip()[:limit]
