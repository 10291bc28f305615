"""Proxy and CA settings from the environment keep working (real sockets on 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import certifi
import pytest
from ims_fake_server import IMAGE_ID, PROJECT_ID, REGION, FakeSleep, credentials, fast_retry

from imstui.api.client import ImsClient
from imstui.api.connection import tls_verify_from_env
from imstui.api.errors import ConfigurationError, ConnectError


def test_ssl_cert_file_is_loaded(tmp_path: Path) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    context = tls_verify_from_env({"SSL_CERT_FILE": str(bundle)})
    assert isinstance(context, ssl.SSLContext)
    assert len(context.get_ca_certs()) > 10
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_without_ca_variables_httpx_defaults_apply() -> None:
    assert tls_verify_from_env({}) is True


def test_a_wrong_ca_path_is_a_configuration_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        tls_verify_from_env({"SSL_CERT_FILE": str(tmp_path / "missing.pem")})
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        tls_verify_from_env({"SSL_CERT_FILE": str(bad)})


def test_client_construction_reports_a_wrong_ca_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID)


async def test_a_deferred_client_reports_a_wrong_ca_path_when_prepared_and_on_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # defer_http=True (the console's sessions): building the client says nothing; prepare() (run once the session
    # is on screen) raises the same error, and so does a request, which is never sent.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    client = ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID, defer_http=True)
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        client.prepare()
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        await client.get_job("0123456789abcdef0123456789abcdef")
    await client.aclose()


async def test_https_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    try:
        client = ImsClient(
            credentials=credentials(),
            region=REGION,
            project_id=PROJECT_ID,
            retry=fast_retry(FakeSleep(), max_attempts=1),
        )
        async with client:
            with pytest.raises(ConnectError, match="proxy"):
                await client.get_image(IMAGE_ID)
    finally:
        server.close()
        await server.wait_closed()
    assert seen == [f"CONNECT ims.{REGION}.myhuaweicloud.com:443 HTTP/1.1\r\n".encode()]
