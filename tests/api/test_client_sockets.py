"""The client's cached socket lookup for httpcore's "is the server gone?" check (``_SocketCachingStream``).

It reaches into httpx's private layout, so it must (1) still be in place with the httpx in use, proxies included,
(2) leave any other layout alone without raising, and (3) keep plain, proxied and TLS connections working, with
a connection the server closed while idle replaced rather than reused. Real sockets on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ims_fake_server import PROJECT_ID, REGION, credentials

from imstui.api.client import ImsClient
from imstui.api.connection import _socket_readable
from imstui.api.models import JobStatus
from imstui.api.socket_cache import _SocketCachingBackend
from imstui.api.socket_cache import cache_stream_sockets as _cache_stream_sockets

_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _backend_of(transport: object) -> object:
    return getattr(getattr(transport, "_pool", None), "_network_backend", None)


def test_the_default_and_the_proxy_transports_get_the_cached_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """If this fails after an httpx/httpcore upgrade, requests still work (stock lookup), only slower: update
    ``_cache_stream_sockets`` for the new layout or drop it."""
    for name in (*_PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID)
    http = client._http
    mounted = [t for t in http._mounts.values() if t is not None]
    assert mounted, "the proxy variable gave no mounted transport"
    for transport in [http._transport, *mounted]:
        assert isinstance(_backend_of(transport), _SocketCachingBackend)
    _cache_stream_sockets(http)  # a second pass does not wrap twice
    assert not isinstance(_backend_of(http._transport)._inner, _SocketCachingBackend)  # type: ignore[attr-defined]
    asyncio.run(client.aclose())


@pytest.mark.parametrize(
    "layout",
    [
        types.SimpleNamespace(),
        types.SimpleNamespace(_transport=None, _mounts=None),
        types.SimpleNamespace(_transport=httpx.MockTransport(lambda r: httpx.Response(200)), _mounts=["odd"]),
        types.SimpleNamespace(_transport=types.SimpleNamespace(_pool=None), _mounts={"x": None}),
    ],
)
def test_an_unfamiliar_layout_is_left_alone_without_an_error(layout: Any) -> None:
    _cache_stream_sockets(layout)


def test_a_transport_whose_pool_looks_different_is_left_alone() -> None:
    transport = httpx.AsyncHTTPTransport()
    transport._pool = types.SimpleNamespace(_network_backend="not a backend")  # type: ignore[assignment]
    client = types.SimpleNamespace(_transport=transport, _mounts={})
    _cache_stream_sockets(client)  # type: ignore[arg-type]
    assert transport._pool._network_backend == "not a backend"  # type: ignore[comparison-overlap]


def test_readability_matches_httpcore() -> None:
    """Not readable while idle; readable once the peer sent data or closed; a closed socket counts as readable."""
    left, right = socket.socketpair()
    try:
        assert not _socket_readable(left)
        right.sendall(b"x")
        assert _socket_readable(left)
        left.recv(1)
        right.close()
        assert _socket_readable(left)
    finally:
        left.close()
        right.close()
    assert _socket_readable(left)  # fileno() is -1 now


# -- TLS -------------------------------------------------------------------------------------------------------------


def _write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imstui test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


async def test_tls_connections_work_and_one_closed_while_idle_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_path, cert_path, key_path = _write_certificates(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    connections: list[int] = []
    answered: asyncio.Queue[None] = asyncio.Queue()
    closed: asyncio.Queue[None] = asyncio.Queue()

    async def one_answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps({"status": "RUNNING", "job_id": "job-1"}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        writer.write(body)
        await writer.drain()
        # An idle close, as a real server's: only once the client has read the answer (closing at once could put
        # the TLS close_notify in the same read as the answer, where no socket check can see it; stock httpcore
        # behaves the same).
        await answered.get()
        # No "Connection: close": the client must notice the closed socket itself. close() hands the TLS
        # close_notify to the kernel at once (on loopback it is then in the client's socket); waiting for the
        # close to complete would wait for the client's own close_notify, which an idle client never sends.
        writer.close()
        closed.put_nowait(None)

    server = await asyncio.start_server(one_answer_then_close, "127.0.0.1", 0, ssl=server_tls)
    endpoint = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for name in (*_PROXY_VARIABLES, "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
    client = ImsClient(
        credentials=credentials(), region=REGION, project_id=PROJECT_ID, ims_endpoint=endpoint, iam_endpoint=endpoint
    )
    assert isinstance(_backend_of(client._http._transport), _SocketCachingBackend)
    try:
        for _ in range(3):
            job = await client.get_job("job-1", retry=False)  # no retry: a reused dead connection would fail
            assert job.status is JobStatus.RUNNING
            answered.put_nowait(None)
            await closed.get()  # the server has closed this connection while the client held it idle
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert len(connections) == 3
