"""Zoho's OAuth access token: obtained with the refresh-token grant at the data centre's
accounts server, cached until shortly before it expires, refreshed one at a time.

The cache is this process's: several processes each hold their own token (Zoho allows a
handful of live tokens per refresh token). Sharing one would need a store method.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import aiohttp

from bot.billing.http import Reply, send, text
from bot.errors import PermanentError, RetryableError
from bot.lifecycle.clock import Clock

DEFAULT_ACCOUNTS_URL = "https://accounts.zoho.com"
MARGIN = 300.0  # seconds before expiry a token is replaced (at most a tenth of its life)
REFUSED = ("invalid_code", "invalid_client", "invalid_client_secret", "unauthorized_client",
           "invalid_grant")


def _check_response(reply: Reply) -> tuple[str, float]:
    """The one answer → error mapping of the token endpoint: ``(token, expires_in)``."""
    error = str(reply.body.get("error") or "")
    if reply.status == 429 or reply.status >= 500 or error == "Access Denied":
        # "Access Denied": too many refreshes in a short time
        raise RetryableError(f"Zoho's accounts server refused a token for now "
                             f"(HTTP {reply.status})", code="token_ratelimited")
    if error in REFUSED or reply.status in (400, 401, 403):
        raise PermanentError(
            "Zoho refused the credentials: check ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, "
            "ZOHO_REFRESH_TOKEN and that ZOHO_ACCOUNTS_URL is your data centre's "
            f"({text(error, 60) or 'HTTP ' + str(reply.status)})", code="credentials")
    token = reply.body.get("access_token")
    if not isinstance(token, str) or not token:
        raise RetryableError("Zoho's accounts server gave no access token", code="token")
    try:
        return token, float(reply.body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        return token, 3600.0


class ZohoToken:
    """The access token of one refresh token; :meth:`get` and :meth:`refresh` are safe to
    call from concurrent requests (one grant at a time)."""

    def __init__(self, *, http: aiohttp.ClientSession, clock: Clock, client_id: str,
                 client_secret: str, refresh_token: str,
                 accounts_url: str = DEFAULT_ACCOUNTS_URL) -> None:
        self.http, self.clock = http, clock
        self.url = f"{accounts_url.rstrip('/')}/oauth/v2/token"
        self._grant = {"grant_type": "refresh_token", "client_id": client_id,
                       "client_secret": client_secret, "refresh_token": refresh_token}
        self._token = ""
        self._expires: datetime | None = None  # when to replace the token
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        """A token believed valid: the cached one, or a new one."""
        async with self._lock:
            if self._stale():
                await self._obtain()
            return self._token

    async def refresh(self, refused: str) -> str:
        """A new token after Zoho refused ``refused``; a request that comes second gets
        the token the first one obtained instead of a grant of its own."""
        async with self._lock:
            if self._token == refused:
                await self._obtain()
            return self._token

    def _stale(self) -> bool:
        return self._expires is None or self.clock.now() >= self._expires

    async def _obtain(self) -> None:
        reply = await send(self.http, "POST", self.url, who="Zoho's accounts server",
                           data=self._grant)
        token, lifetime = _check_response(reply)
        self._token = token
        early = min(MARGIN, lifetime / 10)
        self._expires = self.clock.now() + timedelta(seconds=lifetime - early)
