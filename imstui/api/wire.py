"""A lean HTTP/1.1 path for the client's signed GETs without a query (job status, quota): the poller's hot path.

Per status check httpx + httpcore + h11 + anyio cost ~1 ms of CPU (request and response models, the auth flow,
the cookie jar, pool bookkeeping, h11's event machinery), several times what signing, reading the answer and the
ledger write cost together. :class:`WireRoute` sends the same bytes (the head :class:`~imstui.api.signer.PreparedGet`
builds: httpx's headers in httpx's order, signed the same way) on keep-alive connections of its own, reads the
answer with asyncio's stream reader and hands back an ``httpx.Response`` holding the whole body, so everything
above (error parsing, answers, retries) is unchanged.

Used only where httpx itself would connect directly (no proxy for that URL: the client decides, see
``ImsClient._wire_for``), with every rule of :func:`imstui.api.exchange.exchange`: the total deadline, the size caps
on what is received and what it decompresses to (checked as the body arrives), gzip/deflate only, the same
not-sent / maybe-sent error mapping and messages. A connection the server closed while it was idle is dropped before
use (the socket check httpcore makes), idle ones expire after the pool's keep-alive expiry, and anything that goes
wrong mid-exchange (cancellation included) closes the connection instead of reusing it. When all its connections
are busy the caller uses httpx instead (never a queue here).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable

import httpx

from imstui.api.connection import _socket_readable
from imstui.api.errors import ImstuiError
from imstui.api.exchange import (
    _BodyRefused,
    _deadline_error,
    _Decoder,
    _Sent,
    _too_large_error,
    maybe_sent_error,
    not_sent_error,
)
from imstui.api.limits import Limits

__all__ = ["WireRoute"]

_HEAD_LIMIT = 64 * 1024  # the whole status line and headers of one answer
_READ = 65536
_DISCONNECTED = "Server disconnected without sending a response."  # httpx's words for it
_NO_STREAM = httpx.ByteStream(b"")


class _Malformed(Exception):
    """The answer breaks HTTP/1.1 framing (the connection is not reused)."""


class _Connection:
    __slots__ = ("idle_since", "reader", "socket", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.socket = writer.get_extra_info("socket")
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        """Idle and still good: not expired, nothing unasked-for waiting, the server has not closed it."""
        reader = self.reader
        if now - self.idle_since > expiry or self.writer.transport.is_closing() or reader.at_eof():
            return False
        if reader.exception() is not None or len(getattr(reader, "_buffer", b"")):
            return False
        return self.socket is None or not _socket_readable(self.socket)

    def close(self) -> None:
        self.writer.transport.abort()


class WireRoute:
    """Keep-alive connections to one origin (``scheme://host:port``) for signed GETs; see the module."""

    def __init__(
        self,
        url: httpx.URL,
        *,
        ssl_context: ssl.SSLContext | None,
        connect_timeout: float | None,
        max_connections: int,
        keepalive_expiry: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = url.host
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl = ssl_context if url.scheme == "https" else None
        self._connect_timeout = connect_timeout
        self._max = max(1, max_connections)
        self._expiry = keepalive_expiry
        self._clock = clock
        self._idle: list[_Connection] = []
        self._open = 0  # connections in use or idle (or being opened)

    def has_room(self) -> bool:
        """A request can start now without waiting for a connection (idle or new)."""
        return bool(self._idle) or self._open < self._max

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            connection.close()

    async def get(self, head: bytes, *, host: str, path: str, limits: Limits) -> httpx.Response:
        """Send ``head`` (a whole GET head) and read the answer within ``limits``; raise the imstui error
        :func:`~imstui.api.exchange.exchange` would (``host``/``path`` name the request in messages)."""
        progress = _Sent(True)
        holder: list[httpx.Response] = []
        failure: ImstuiError
        try:
            async with asyncio.timeout(limits.deadline):
                connection = await self._connection()
                progress.sent = True
                return await self._exchange(connection, head, limits, holder)
        except TimeoutError:
            failure = _deadline_error(host, True, "GET", limits, progress, holder[0] if holder else None)
        except _BodyRefused as exc:
            failure = _too_large_error(holder[0] if holder else None, exc, True, f"GET {path[:120]}", limits)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            failure = not_sent_error(exc, host)
        except (OSError, EOFError, _Malformed) as exc:
            failure = maybe_sent_error(
                httpx.RemoteProtocolError(str(exc) or _DISCONNECTED), host, True, "GET", timeout=False
            )
        raise failure

    async def _connection(self) -> _Connection:
        now = self._clock()
        while self._idle:
            connection = self._idle.pop()
            if connection.usable(now, self._expiry):
                return connection
            self._open -= 1
            connection.close()
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            raise

    async def _connect(self) -> _Connection:
        server_hostname = self._host if self._ssl is not None else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self._host, self._port, ssl=self._ssl, server_hostname=server_hostname, limit=_HEAD_LIMIT
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Connection(reader, writer)

    async def _exchange(
        self, connection: _Connection, head: bytes, limits: Limits, holder: list[httpx.Response]
    ) -> httpx.Response:
        reusable = False
        try:
            connection.writer.write(head)
            await connection.writer.drain()
            reader = connection.reader
            status, reason, version, headers = await _read_head(reader)
            while 100 <= status < 200:  # informational answers (100 Continue...) precede the real one
                if status == 101:
                    raise _Malformed("the server switched protocols")
                status, reason, version, headers = await _read_head(reader)
            # stream=: no empty body to "read" through the decoders now (what httpx does for a Response built
            # without one); the whole body is set below, and the response is closed and consumed as httpx's are.
            response = httpx.Response(
                status,
                headers=headers,
                stream=_NO_STREAM,
                extensions={"reason_phrase": reason, "http_version": version},
            )
            holder.append(response)
            body, framed = await _read_body(reader, status, response.headers, limits)
            response._content = body
            response.is_stream_consumed = response.is_closed = True
            reusable = framed and _keeps_alive(version, response.headers)
            return response
        finally:
            if reusable:
                connection.idle_since = self._clock()
                self._idle.append(connection)
            else:
                self._open -= 1
                connection.close()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    try:
        line = await reader.readline()
        if not line:
            raise _Malformed(_DISCONNECTED)
        version, _, rest = line.rstrip(b"\r\n").partition(b" ")
        code, _, reason = rest.partition(b" ")
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise _Malformed("the answer's status line is not HTTP/1.1")
        headers: list[tuple[bytes, bytes]] = []
        size = len(line)
        while True:
            line = await reader.readline()
            size += len(line)
            if size > _HEAD_LIMIT:
                raise _Malformed("the answer's headers are too long")
            if line in (b"\r\n", b"\n"):
                return int(code), reason, version, headers
            if not line.endswith(b"\n"):
                raise _Malformed("peer closed connection without sending complete message body: incomplete headers")
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
                raise _Malformed("the answer has a malformed header line")
            headers.append((name, value.strip(b" \t\r\n")))
    except ValueError:  # a line longer than the reader's limit
        raise _Malformed("the answer's headers are too long") from None


async def _read_body(
    reader: asyncio.StreamReader, status: int, headers: httpx.Headers, limits: Limits
) -> tuple[bytes, bool]:
    """The decoded body within the caps, and whether its end was framed (length or chunks: reusable)."""
    if status in (204, 304):
        return b"", True
    lengths = {value.strip() for value in headers.get_list("Content-Length")}
    chunked = headers.get("Transfer-Encoding", "").split(",")[-1].strip().lower() == "chunked"
    if len(lengths) > 1 or (lengths and not next(iter(lengths)).isdigit()):
        raise _Malformed("the answer's Content-Length is not one number")
    declared = int(next(iter(lengths))) if lengths and not chunked else None
    if declared is not None and declared > limits.max_body_bytes:
        raise _BodyRefused(f"it announces {declared:,} bytes, more than the limit")
    decoder = _Decoder(headers.get("Content-Encoding", ""))
    parts: list[bytes] = []
    state = [0, 0]  # received, decoded

    def take(data: bytes) -> None:
        state[0] += len(data)
        if state[0] > limits.max_body_bytes:
            raise _BodyRefused("it is longer than the limit")
        part = decoder.decode(data, limits.max_decoded_bytes - state[1])
        state[1] += len(part)
        parts.append(part)

    if declared is not None:
        await _read_exactly(reader, declared, take)
        return b"".join(parts), True
    if chunked:
        while True:
            line = await reader.readline()
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise _Malformed("the answer's chunked body is malformed")
            size = int(size_text, 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts), True
            await _read_exactly(reader, size, take)
            if (await reader.readline()) not in (b"\r\n", b"\n"):
                raise _Malformed("the answer's chunked body is malformed")
    while data := await reader.read(_READ):  # neither: the body ends when the server closes
        take(data)
    return b"".join(parts), False


async def _read_exactly(reader: asyncio.StreamReader, count: int, take: Callable[[bytes], None]) -> None:
    remaining = count
    while remaining > 0:
        data = await reader.read(min(remaining, _READ))
        if not data:
            raise _Malformed(
                f"peer closed connection without sending complete message body: received {count - remaining} bytes, "
                f"expected {count}"
            )
        remaining -= len(data)
        take(data)


def _keeps_alive(version: bytes, headers: httpx.Headers) -> bool:
    tokens = {token.strip().lower() for token in headers.get("Connection", "").split(",")}
    return "keep-alive" in tokens if version == b"HTTP/1.0" else "close" not in tokens
