"""The lean GET route (imstui.api.wire) against a scripted server on 127.0.0.1: job checks read every framing
HTTP/1.1 allows, reuse a connection only when the answer allows it, and turn every broken answer into the error
httpx's path gives. (Deadlines, size caps and compression: test_hostile_limits, which goes through it too.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from hostile_server import head
from ims_fake_server import JOB_ID, PROJECT_ID, REGION, credentials, job_doc

from imstui.api.client import ImsClient
from imstui.api.errors import ConnectError, JobNotFoundError, ThrottledError, TransportError
from imstui.api.limits import Limits
from imstui.api.models import JobStatus
from imstui.api.retry import RetryPolicy

Writer = asyncio.StreamWriter
Answer = Callable[[Writer], Awaitable[bool]]  # writes one answer; False: then close the connection


def _body(status: str = "RUNNING") -> bytes:
    return json.dumps(job_doc(status)).encode()


def sends(data: bytes, *, close: bool = False) -> Answer:
    async def answer(writer: Writer) -> bool:
        writer.write(data)
        await writer.drain()
        return not close

    return answer


@dataclass
class Server:
    script: list[Answer]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        self.connections += 1
        try:
            while True:
                self.requests.append(await reader.readuntil(b"\r\n\r\n"))
                if not await self.script.pop(0)(writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def client(self) -> ImsClient:
        return ImsClient(
            credentials=credentials(),
            region=REGION,
            project_id=PROJECT_ID,
            ims_endpoint=f"http://127.0.0.1:{self.port}",
            iam_endpoint=f"http://127.0.0.1:{self.port}",
            retry=RetryPolicy.no_retries(),
            limits=Limits(deadline=5.0, max_body_bytes=1024 * 1024, max_decoded_bytes=1024 * 1024),
        )


@asynccontextmanager
async def serving(*script: Answer) -> AsyncIterator[Server]:
    server = Server(list(script))
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


def ok(body: bytes = b"", **headers: str) -> bytes:
    body = body or _body()
    return head(200, length=len(body), Content_Type="application/json", **headers) + body


async def test_checks_share_one_keep_alive_connection_and_are_signed() -> None:
    async with serving(sends(ok()), sends(ok()), sends(ok(_body("SUCCESS")))) as server:
        async with server.client() as client:
            statuses = [(await client.get_job(JOB_ID, retry=False)).status for _ in range(3)]
    assert statuses == [JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.SUCCESS]
    assert server.connections == 1
    assert all(b"\r\nAuthorization: SDK-HMAC-SHA256 Access=" in r for r in server.requests)
    assert all(r.startswith(f"GET /v1/cloudimages/job/{JOB_ID} HTTP/1.1\r\n".encode()) for r in server.requests)


async def test_a_chunked_answer_with_extensions_and_trailers_is_read() -> None:
    body = _body("SUCCESS")
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7))
    answer = head(200, Transfer_Encoding="chunked", Content_Type="application/json") + chunks + b"0\r\nX-T: 1\r\n\r\n"
    async with serving(sends(answer), sends(ok())) as server:
        async with server.client() as client:
            first = await client.get_job(JOB_ID, retry=False)
            second = await client.get_job(JOB_ID, retry=False)
    assert (first.status, second.status) == (JobStatus.SUCCESS, JobStatus.RUNNING)
    assert server.connections == 1  # a chunked answer ends where it says: the connection is kept


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + _body(),  # ends when the server closes
        ok(Connection="close"),
    ],
    ids=["http-1.0-body-to-close", "connection-close"],
)
async def test_an_answer_that_ends_the_connection_is_read_and_the_next_check_opens_another(answer: bytes) -> None:
    async with serving(sends(answer, close=True), sends(ok(_body("SUCCESS")))) as server:
        async with server.client() as client:
            first = await client.get_job(JOB_ID, retry=False)
            second = await client.get_job(JOB_ID, retry=False)
    assert (first.status, second.status) == (JobStatus.RUNNING, JobStatus.SUCCESS)
    assert server.connections == 2


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (b"", "Server disconnected without sending a response."),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "status line is not HTTP/1.1"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n{", "received 1 bytes, expected 9000"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n", "Content-Length is not one number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunked body is malformed"),
        (b"HTTP/1.1 200 OK\r\n folded: header\r\n\r\n", "malformed header line"),
    ],
    ids=["nothing", "not-http", "cut-body", "two-lengths", "bad-chunk", "folded-header"],
)
async def test_a_broken_answer_is_a_transport_error_and_the_client_stays_usable(answer: bytes, says: str) -> None:
    async with serving(sends(answer, close=True), sends(ok())) as server:
        async with server.client() as client:
            with pytest.raises(TransportError) as info:
                await client.get_job(JOB_ID, retry=False)
            after = await client.get_job(JOB_ID, retry=False)
    assert str(info.value).startswith("the connection to 127.0.0.1 failed: ") and says in str(info.value)
    assert not isinstance(info.value, ConnectError)  # the request was sent: not "nothing was sent"
    assert after.status is JobStatus.RUNNING


async def test_error_answers_keep_their_headers_and_codes() -> None:
    gone = json.dumps({"error_code": "IMG.0023", "error_msg": "no such job"}).encode()
    slow = json.dumps({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"}).encode()
    async with serving(
        sends(head(404, length=len(gone), X_Request_Id="rid-404") + gone),
        sends(head(429, length=len(slow), Retry_After="7") + slow),
    ) as server:
        async with server.client() as client:
            with pytest.raises(JobNotFoundError) as missing:
                await client.get_job(JOB_ID, retry=False)
            with pytest.raises(ThrottledError) as throttled:
                await client.get_job(JOB_ID, retry=False)
    assert missing.value.request_id == "rid-404"
    assert throttled.value.retry_after == 7.0


async def test_a_cookie_set_by_the_server_is_sent_back_afterwards() -> None:
    async with serving(sends(ok(Set_Cookie="lb=node-3; Path=/")), sends(ok()), sends(ok())) as server:
        async with server.client() as client:
            for _ in range(3):
                await client.get_job(JOB_ID, retry=False)
    assert b"lb=node-3" not in server.requests[0].lower()
    assert all(b"\r\ncookie: lb=node-3" in r.lower() for r in server.requests[1:])


async def test_a_check_cancelled_mid_answer_does_not_leave_its_connection_for_the_next() -> None:
    started = asyncio.Event()

    async def half_then_stall(writer: Writer) -> bool:
        writer.write(head(200, length=500, Content_Type="application/json") + b'{"job_id": ')
        await writer.drain()
        started.set()
        await asyncio.Event().wait()
        return False

    async with serving(half_then_stall, sends(ok(_body("SUCCESS")))) as server:
        async with server.client() as client:
            check = asyncio.create_task(client.get_job(JOB_ID, retry=False))
            await started.wait()
            check.cancel()
            with pytest.raises(asyncio.CancelledError):
                await check
            after = await client.get_job(JOB_ID, retry=False)
    assert after.status is JobStatus.SUCCESS  # not the rest of the first answer read as this one
    assert server.connections == 2


async def test_nothing_listening_is_could_not_connect_nothing_sent() -> None:
    async with serving() as server:
        port = server.port
    client = ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        ims_endpoint=f"http://127.0.0.1:{port}",
        iam_endpoint=f"http://127.0.0.1:{port}",
        retry=RetryPolicy.no_retries(),
    )
    async with client:
        with pytest.raises(ConnectError, match=r"^could not connect to 127\.0\.0\.1: "):
            await client.get_job(JOB_ID, retry=False)
