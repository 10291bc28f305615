"""A scripted, hostile HTTP/1.1 server on 127.0.0.1 (an ephemeral port), for the client's limits and boundary.

Each request gets the next scripted :data:`Answer` (an async function writing raw bytes to the socket), so a test
can send what no well-behaved server would: a body that never ends, one byte at a time, a gzip bomb, a
``Content-Length`` of 100 MB, JSON with lone surrogates or numbers of 400 digits. Every request line and header
block received is recorded. Loopback only: nothing here listens on or connects to any other address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from ims_fake_server import IMAGE_ID, JOB_ID, PROJECT_ID, REGION, credentials

from imstui.api.client import ImsClient
from imstui.api.limits import Limits
from imstui.api.retry import RetryPolicy

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]


def head(status: int = 200, *, length: int | None = None, **headers: str) -> bytes:
    """A status line and headers (``Content_Type=...`` is sent as ``Content-Type``), as latin-1 bytes."""
    return head_of(status, length, headers)


def head_of(status: int, length: int | None, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def raw(data: bytes) -> Answer:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return answer


def json_text(text: str, status: int = 200, **headers: str) -> Answer:
    """``text`` sent as it is (so it may hold what ``json.dumps`` would never write: ``\\ud800``, ``1e400``)."""
    body = text.encode("utf-8")
    return raw(head(status, length=len(body), Content_Type="application/json", **headers) + body)


def json_doc(doc: object, status: int = 200, **headers: str) -> Answer:
    return json_text(json.dumps(doc), status, **headers)


def endless(chunk: bytes, *, pause: float = 0.0, chunked: bool = True, **headers: str) -> Answer:
    """A 200 whose body never ends: ``chunk`` again and again (``pause`` seconds apart), until the client leaves."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(head_of(200, None, {"Transfer_Encoding": "chunked", **headers} if chunked else headers))
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            await writer.drain()
            await asyncio.sleep(pause)

    return answer


def announced(length: int) -> Answer:
    """Headers announcing ``length`` bytes, then zeros for as long as the client reads."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, length=length, Content_Type="application/json"))
        block = b"0" * 65536
        for _ in range(length // len(block) + 1):
            writer.write(block)
            await writer.drain()

    return answer


def gzip_bomb(expanded_mib: int) -> bytes:
    """A valid JSON document of ``expanded_mib`` MiB (mostly spaces), gzip-compressed to a few hundred KiB."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [squeeze.compress(b'{"images": [], "pad": "')]
    block = b" " * (1024 * 1024)
    parts += [squeeze.compress(block) for _ in range(expanded_mib)]
    parts += [squeeze.compress(b'"}'), squeeze.flush()]
    return b"".join(parts)


def gzipped(data: bytes, **headers: str) -> Answer:
    return raw(head(200, length=len(data), Content_Encoding="gzip", Content_Type="application/json", **headers) + data)


@dataclass
class HostileServer:
    """``script`` answers the requests in order; once it is used up every request gets ``fallback``."""

    script: list[Answer] = field(default_factory=list)
    fallback: Answer = field(default_factory=lambda: json_doc({"error_code": "APIGW.0101", "error_msg": "no"}, 404))
    requests: list[bytes] = field(default_factory=list)
    host: str = "127.0.0.1"  # or "::1": loopback only
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def endpoint(self) -> str:
        return f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in request.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if length:
                    request += await reader.readexactly(length)
                self.requests.append(request)
                answer = self.script.pop(0) if self.script else self.fallback
                await answer(writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # stop(): end quietly (asyncio logs a handler that ends cancelled)
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def client(self, limits: Limits | None = None, **kwargs: object) -> ImsClient:
        """An :class:`ImsClient` with this server as IMS and IAM, no retries, and small limits by default."""
        return ImsClient(
            credentials=credentials(),
            region=REGION,
            project_id=kwargs.pop("project_id", PROJECT_ID),  # type: ignore[arg-type]
            ims_endpoint=self.endpoint,
            iam_endpoint=self.endpoint,
            retry=RetryPolicy.no_retries(),
            limits=limits or Limits(deadline=0.5, max_body_bytes=1024 * 1024, max_decoded_bytes=1024 * 1024),
            **kwargs,  # type: ignore[arg-type]
        )


@contextlib.asynccontextmanager
async def hostile(
    *script: Answer, fallback: Answer | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[HostileServer]:
    server = HostileServer(script=list(script), host=host)
    if fallback is not None:
        server.fallback = fallback
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.contextmanager
def hostile_thread(*script: Answer) -> Iterator[HostileServer]:
    """The same server on its own event loop in a thread, for code that runs its own loop (``imstui.cli.main``)."""
    server = HostileServer(script=list(script))
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="hostile-server", daemon=True)
    thread.start()
    ready.wait()
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


__all__ = ["IMAGE_ID", "JOB_ID", "PROJECT_ID", "HostileServer", "hostile"]
