"""Kept-alive connections over real loopback sockets: a connection the server closed while idle is not reused."""

from __future__ import annotations

import asyncio
import json

import httpx

from imstui.api.client import ImsClient
from imstui.api.credentials import Credentials
from imstui.api.models import JobStatus
from imstui.api.secret import Secret

PROJECT_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


async def _serve_one_answer_per_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connections: list[int], closed: asyncio.Queue[int]
) -> None:
    """Answer one request with a keep-alive response, then close the connection (as a server's idle timeout
    would) without saying so in a ``Connection: close`` header."""
    connections.append(1)
    await reader.readuntil(b"\r\n\r\n")
    body = json.dumps({"status": "RUNNING", "job_id": "job-1", "entities": {"process_percent": 0.5}}).encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    closed.put_nowait(len(connections))


async def test_a_connection_closed_by_the_server_while_idle_is_replaced_not_reused() -> None:
    connections: list[int] = []
    closed: asyncio.Queue[int] = asyncio.Queue()
    server = await asyncio.start_server(
        lambda r, w: _serve_one_answer_per_connection(r, w, connections, closed), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    client = ImsClient(
        credentials=Credentials("HPUAFAKEACCESSKEY0001", Secret("fake-sk")),
        region="ap-southeast-1",
        project_id=PROJECT_ID,
        ims_endpoint=endpoint,
        iam_endpoint=endpoint,
    )
    try:
        for _ in range(3):
            job = await client.get_job("job-1", retry=False)  # no retry: a reused dead connection would fail
            assert job.status is JobStatus.RUNNING
            await closed.get()  # the server has closed this connection (on loopback its FIN is already here)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert len(connections) == 3


async def test_a_cookie_the_service_sets_is_sent_back_and_answers_without_one_change_nothing() -> None:
    seen_cookies: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_cookies.append(request.headers.get("Cookie"))
        body = {"status": "RUNNING", "job_id": "job-1"}
        if len(seen_cookies) == 1:
            return httpx.Response(200, json=body, headers={"Set-Cookie": "HWWAFSESID=abc123; Path=/"})
        return httpx.Response(200, json=body)

    client = ImsClient(
        credentials=Credentials("HPUAFAKEACCESSKEY0001", Secret("fake-sk")),
        region="ap-southeast-1",
        project_id=PROJECT_ID,
        transport=httpx.MockTransport(handler),
    )
    async with client:
        for _ in range(3):
            await client.get_job("job-1", retry=False)
    assert seen_cookies == [None, "HWWAFSESID=abc123", "HWWAFSESID=abc123"]
