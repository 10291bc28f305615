"""Proxy variables never carry a signed request in clear: loopback endpoints are reached directly.

A recording "proxy" listens on 127.0.0.1 (another port): it must receive nothing when the endpoint is the plain-http
simulator on loopback, whichever of HTTP_PROXY/http_proxy/ALL_PROXY/all_proxy names it; an https endpoint still
goes through it (CONNECT). Loopback addresses only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hostile_server import IMAGE_ID, JOB_ID, PROJECT_ID, hostile, json_doc
from ims_fake_server import REGION, credentials, image_doc, job_doc

from imstui.api.client import ImsClient
from imstui.api.connection import direct_routes
from imstui.api.errors import ConfigurationError, ConnectError
from imstui.api.models import JobStatus
from imstui.api.retry import RetryPolicy

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


class RecordingProxy:
    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.lines.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def proxy(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RecordingProxy]:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    recorder = RecordingProxy()
    server = await asyncio.start_server(recorder.handle, "127.0.0.1", 0)
    recorder.port = server.sockets[0].getsockname()[1]
    try:
        yield recorder
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
@pytest.mark.parametrize(("listen", "host"), [("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost"), ("::1", "[::1]")])
async def test_a_loopback_endpoint_never_goes_through_the_proxy(
    proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch, variable: str, listen: str, host: str
) -> None:
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    answers = (json_doc({"images": [image_doc()]}), json_doc(job_doc("RUNNING")))
    async with hostile(*answers, host=listen) as server:
        endpoint = f"http://{host}:{server.port}"
        client = ImsClient(
            credentials=credentials(),
            region=REGION,
            project_id=PROJECT_ID,
            ims_endpoint=endpoint,
            iam_endpoint=endpoint,
            retry=RetryPolicy.no_retries(),
        )
        async with client:
            image = await client.get_image(IMAGE_ID)
            job = await client.get_job(JOB_ID, retry=False)
        signed = server.requests
    assert image.id == IMAGE_ID and job.status is JobStatus.RUNNING
    assert proxy.lines == []  # the proxy saw neither request, nor the Authorization / X-Project-Id in them
    assert len(signed) == 2 and all(b"Authorization: SDK-HMAC-SHA256" in r for r in signed)


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "ALL_PROXY", "all_proxy"])
async def test_an_https_endpoint_is_still_tunnelled_through_the_proxy(
    proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    client = ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID, retry=RetryPolicy.no_retries())
    async with client:
        with pytest.raises(ConnectError, match=r"^the proxy refused or failed the connection to ims"):
            await client.get_image(IMAGE_ID)
    assert [line.split(b"\r\n")[0] for line in proxy.lines] == [
        f"CONNECT ims.{REGION}.myhuaweicloud.com:443 HTTP/1.1".encode()
    ]


def test_an_unusable_proxy_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")  # socksio is not a dependency
    with pytest.raises(ConfigurationError, match=r"^the proxy settings in the environment cannot be used: "):
        ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID)


def test_every_loopback_host_in_use_gets_the_direct_route_and_nothing_else_does() -> None:
    routes = direct_routes(["http://127.0.0.2:8080", f"https://ims.{REGION}.myhuaweicloud.com"], True)
    assert sorted(routes) == ["all://127.0.0.1", "all://127.0.0.2", "all://[::1]", "all://localhost"]
    assert len({id(t) for t in routes.values()}) == 1  # one pool for all of them
