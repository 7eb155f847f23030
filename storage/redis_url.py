"""A Redis ``STORAGE_URL``, read by redis-py's own parser and held to the forms the store
takes, so that a mistyped URL is refused at start instead of landing in database 0:

- ``redis://[user:password@]host[:port][/db]`` (TCP), ``rediss://…`` (the same over TLS);
- ``unix://[user:password@]/path/to/redis.sock[?db=N]``;
- the database may also be given as ``?db=N``; TLS options (``ssl_cert_reqs``,
  ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_check_hostname``) only with
  ``rediss://``.

Every message names the part that is wrong and never repeats the password.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from redis.asyncio.connection import parse_url

SCHEMES = ("redis", "rediss", "unix")
ACCOUNT_OPTIONS = frozenset({"db", "username", "password"})
TLS_OPTIONS = frozenset({"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
                         "ssl_check_hostname"})
CERT_REQS = ("none", "optional", "required")


def redis_options(url: str) -> dict[str, Any]:
    """The keyword arguments of redis-py's connection for ``url``.

    :raises ValueError: what is wrong with the URL, without its password
    """
    parts = _split(url)
    query = dict(parse_qsl(parts.query))
    _check_options(parts.scheme, query)
    path_db = _check_place(parts)
    if path_db is not None and int(query.get("db", path_db)) != int(path_db):
        raise ValueError(f"the database is given twice: /{path_db} and ?db={query['db']}")
    return dict(parse_url(url))


def masked(url: str) -> str:
    """``url`` with its password (in the address or the query) shown as ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, place = netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:***@{place}"
        query = [(k, "***" if k == "password" else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        shown = f"{parts.scheme}://{netloc}{parts.path}"
        return f"{shown}?{urlencode(query, safe='*/')}" if query else shown
    except ValueError:
        return url.partition(":")[0] + "://…"


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{parts.scheme!r} is not a Redis URL: use redis://host:port/db, "
                         "rediss://host:port/db or unix:///path/to/redis.sock?db=N")
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    return parts


def _check_options(scheme: str, query: dict[str, str]) -> None:
    allowed = ACCOUNT_OPTIONS | (TLS_OPTIONS if scheme == "rediss" else frozenset())
    if unknown := sorted(set(query) - allowed):
        raise ValueError(f"unknown option(s) {', '.join(unknown)}: a {scheme}:// URL takes "
                         f"{', '.join(sorted(allowed))}")
    if "db" in query and not _is_number(query["db"]):
        raise ValueError(f"?db= must be a database number (0, 1, 2…), not {query['db']!r}")
    if query.get("ssl_cert_reqs", "none") not in CERT_REQS:
        raise ValueError(f"ssl_cert_reqs must be one of {', '.join(CERT_REQS)}")


def _check_place(parts: SplitResult) -> str | None:
    """Check where the server is; return the database number the path gives, if any."""
    if parts.scheme == "unix":
        if parts.hostname is not None or parts.port is not None or not parts.path:
            raise ValueError("a unix:// URL names a socket file: unix:///path/to/redis.sock")
        return None
    if not parts.hostname:
        raise ValueError(f"no host: {parts.scheme}://host:port/db")
    path_db = parts.path.strip("/")
    if not path_db:
        return None
    if not _is_number(path_db):
        raise ValueError(f"the path must be a database number (/0, /1, /2…), not /{path_db}")
    return path_db


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
