"""What STORAGE_URL says about Redis is what the store does: the database number, the
password and ACL user, a unix socket, TLS; and what it cannot mean is refused."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection

from bot.errors import StorageError
from bot.models import NewJob
from storage import create_storage
from storage.redis import RedisStorage
from storage.redis_client import DeadlineRedis, StoreConnection
from tests.support.redis_server import RedisProcess, free_port

PASSWORD = "pa:ss@w/rd"  # characters a URL must escape
QUOTED = "pa%3Ass%40w%2Frd"


async def _write_some(store: RedisStorage) -> None:
    assert await store.mark_seen("event", ttl=600) is True
    await store.enqueue([NewJob("send", {}, f"job-{uuid.uuid4().hex}", "")], now=1.0)


async def _keys(client: Redis, prefix: str) -> list[str]:
    return [key async for key in client.scan_iter(match=f"{prefix}:*")]


async def test_a_store_opened_on_db_3_writes_there_and_nowhere_else(
        redis_server_url: str) -> None:
    base = redis_server_url.rsplit("/", 1)[0]
    prefix = f"db{uuid.uuid4().hex[:10]}"
    store = await RedisStorage.from_url(f"{base}/3", prefix=prefix)
    try:
        await _write_some(store)
    finally:
        await store.close()
    db0, db3 = (Redis.from_url(f"{base}/{db}", decode_responses=True) for db in (0, 3))
    try:
        assert await _keys(db0, prefix) == []
        assert len(await _keys(db3, prefix)) >= 2
        await db3.delete(*await _keys(db3, prefix))
    finally:
        await db0.aclose()
        await db3.aclose()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/db3", "redis://127.0.0.1:6379/-1",
                                 "redis://127.0.0.1:6379/3?db=4", "redis://127.0.0.1:x/0",
                                 "redis://127.0.0.1/0?dbb=3"])
async def test_a_url_the_store_cannot_follow_opens_nothing(url: str) -> None:
    """Before, ``/db3`` and ``?dbb=3`` silently meant database 0."""
    with pytest.raises(ValueError):
        await create_storage(url)


async def test_a_password_in_the_url_opens_a_protected_redis(
        own_redis: Callable[..., RedisProcess]) -> None:
    server = own_redis("--requirepass", PASSWORD)
    store = await RedisStorage.from_url(
        f"redis://:{QUOTED}@127.0.0.1:{server.port}/2", prefix="auth")
    try:
        await _write_some(store)
    finally:
        await store.close()


async def test_an_acl_user_in_the_url_opens_redis_as_that_user(
        own_redis: Callable[..., RedisProcess]) -> None:
    server = own_redis("--requirepass", "other", "--user", "desk", "on", f">{PASSWORD}",
                       "~*", "&*", "+@all")
    store = await RedisStorage.from_url(
        f"redis://desk:{QUOTED}@127.0.0.1:{server.port}/0", prefix="acl")
    try:
        await _write_some(store)
    finally:
        await store.close()


@pytest.mark.parametrize(("credentials", "says"), [
    ("", "asks for a password and the URL has none"),
    (":wrong@", "refused the user name or password"),
    ("desk:wrong@", "refused the user name or password"),
])
async def test_a_refused_login_is_a_clear_error_at_start(
        own_redis: Callable[..., RedisProcess], credentials: str, says: str) -> None:
    server = own_redis("--requirepass", PASSWORD)
    with pytest.raises(StorageError, match=says) as caught:
        await create_storage(f"redis://{credentials}127.0.0.1:{server.port}/0")
    assert "wrong" not in str(caught.value)  # the password is never repeated


async def test_a_database_redis_does_not_have_is_a_clear_error_at_start(
        redis_server_url: str) -> None:
    base = redis_server_url.rsplit("/", 1)[0]
    with pytest.raises(StorageError, match="database 99"):
        await create_storage(f"{base}/99")  # redis-server has 16 unless told otherwise


async def test_a_unix_socket_url_reaches_redis_through_the_socket(
        own_redis: Callable[..., RedisProcess], tmp_path: Path) -> None:
    socket = tmp_path / "redis.sock"
    own_redis("--unixsocket", str(socket), "--unixsocketperm", "700")
    store = await RedisStorage.from_url(f"unix://{socket}?db=2", prefix="sock")
    try:
        await _write_some(store)
    finally:
        await store.close()
    direct = Redis(unix_socket_path=str(socket), db=2, decode_responses=True)
    try:
        assert len(await _keys(direct, "sock")) >= 2
    finally:
        await direct.aclose()


def test_a_rediss_url_makes_tls_connections() -> None:
    client = DeadlineRedis.connect(
        "rediss://:secret@127.0.0.1:6380/5?ssl_cert_reqs=required&ssl_ca_certs=/etc/ca.pem",
        max_connections=1)
    pool = client.connection_pool
    assert issubclass(pool.connection_class, SSLConnection)
    assert issubclass(pool.connection_class, StoreConnection)  # packed by hiredis, retried
    assert pool.connection_kwargs["db"] == 5
    assert pool.connection_kwargs["ssl_cert_reqs"] == "required"


@pytest.fixture
def tls_redis(own_redis: Callable[..., RedisProcess], tmp_path: Path) -> tuple[int, Path, int]:
    """A redis-server with a TLS port and a self-signed certificate for 127.0.0.1:
    (its plain port, the certificate, its TLS port)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl binary to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    tls_port = free_port()
    try:
        server = own_redis("--tls-port", str(tls_port), "--tls-cert-file", str(cert),
                           "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
                           "--tls-auth-clients", "no")
    except RuntimeError:
        pytest.skip("this redis-server was built without TLS")
    return server.port, cert, tls_port


async def test_a_rediss_url_reaches_redis_over_tls(tls_redis: tuple[int, Path, int]) -> None:
    plain_port, cert, tls_port = tls_redis
    store = await RedisStorage.from_url(
        f"rediss://127.0.0.1:{tls_port}/4?ssl_cert_reqs=required&ssl_ca_certs={cert}",
        prefix="tls")
    try:
        await _write_some(store)
    finally:
        await store.close()
    direct = Redis(port=plain_port, db=4, decode_responses=True)
    try:
        assert len(await _keys(direct, "tls")) >= 2
    finally:
        await direct.aclose()


async def test_a_certificate_that_cannot_be_verified_is_a_clear_error_at_start(
        tls_redis: tuple[int, Path, int]) -> None:
    _, _, tls_port = tls_redis
    with pytest.raises(StorageError, match="certificate cannot be trusted.*ssl_ca_certs"):
        await create_storage(f"rediss://127.0.0.1:{tls_port}/0")
