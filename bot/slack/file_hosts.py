"""Where the bot token may go: a file is fetched with it only from Slack's own hosts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

_Origin = tuple[str, str, int]


def _origin(url: URL) -> _Origin | None:
    if not url.absolute or url.host is None or url.port is None:
        return None
    return url.scheme.lower(), url.host.lower(), url.port


@dataclass(frozen=True)
class FileHosts:
    """The origins that may receive ``Authorization: Bearer <bot token>`` with a download:
    each configured host over https, and the Web API's own origin (which gets the token
    with every call anyway)."""

    origins: frozenset[_Origin]

    @classmethod
    def of(cls, *, api_base: str, hosts: Iterable[str]) -> FileHosts:
        origins = {("https", host.lower(), 443) for host in hosts}
        if (api := _origin(URL(api_base))) is not None:
            origins.add(api)
        return cls(frozenset(origins))

    def allows(self, url: URL) -> bool:
        # Userinfo could make a URL read like one host while it names another.
        if url.user is not None or url.password is not None:
            return False
        return _origin(url) in self.origins
