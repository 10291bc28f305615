"""One HTTP exchange with limits: a total deadline, a cap on the answer's size and on what it decompresses to.

httpx's timeouts apply between bytes: a server sending one byte a second would hold a request for as long as it
likes, and a compressed answer of a few kilobytes can expand to gigabytes. Here every request has a total time
budget (connect, send and the whole body) and its body is read in chunks, counting the bytes received and the
bytes decoded, and abandoned as soon as either passes its cap. Every failure becomes an imstui error raised
outside the ``except`` block, so that no traceback chain keeps the signed request (and a security token) alive.

Whether a request may have reached the server decides the error: before anything was sent it is a
:class:`ConnectError` (even a POST may be sent again by hand); after that, a GET times out
(:class:`RequestTimeoutError`) but the copy POST's outcome is unknown (:class:`OutcomeUnknownError`), never
retried. An answer that breaks a cap is a :class:`ProtocolError`; for the POST it says the request was answered.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from imstui.api.error_parsing import clean, request_id_of
from imstui.api.errors import (
    ConfigurationError,
    ConnectError,
    ImstuiError,
    OutcomeUnknownError,
    ProtocolError,
    RequestTimeoutError,
    TransportError,
)
from imstui.api.limits import MIB, Limits

# httpx errors raised before any byte of the request left this machine: even a POST can be tried again by hand.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


class _BodyRefused(Exception):
    """The answer's body is refused: too large, a compression bomb, damaged or in a coding imstui did not ask for."""


class _Sent:
    """httpcore's trace hook, noting whether the request has started to leave (its headers being sent, to the
    server or to a proxy). ``traceable``: the transport is httpx's own, which reports every step; another one
    (a test's MockTransport, the simulator's ASGI app) reports nothing, so it may have sent anything."""

    __slots__ = ("sent", "traceable")

    def __init__(self, traceable: bool) -> None:
        self.traceable = traceable
        self.sent = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if "send_request" in event:
            self.sent = True

    @property
    def surely_not_sent(self) -> bool:
        return self.traceable and not self.sent


class _Decoder:
    """``Content-Encoding`` ``gzip``/``deflate``/identity, decoded with a bound on the output of every step."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise _BodyRefused(f"it is encoded as {clean(encoding, 40)!r}, which imstui cannot read (it asks for gzip)")
        self._coding = codings[0] if codings else ""
        self._zlib: Any = None
        if self._coding:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if "gzip" in self._coding else zlib.MAX_WBITS)
        self._first = True

    def decode(self, data: bytes, room: int) -> bytes:
        """``data`` decoded; raises :class:`_BodyRefused` as soon as the output would pass ``room`` bytes."""
        if self._zlib is None:
            out = data
        else:
            try:
                out = self._zlib.decompress(data, room + 1)
            except zlib.error:
                if not (self._first and self._coding == "deflate"):
                    raise _BodyRefused("its compressed body is damaged") from None
                # "deflate" without the zlib header, as some servers send it (httpx accepts both too).
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.decode(data, room)
        self._first = self._first and not data
        if len(out) > room:
            raise _BodyRefused("it decompresses to more than the limit")
        return out


async def read_body(response: httpx.Response, limits: Limits) -> None:
    """Read ``response``'s body within the caps and keep it as ``response.content``."""
    try:
        content = response.content  # already read: a transport that answers from memory (tests, the simulator)
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > min(limits.max_body_bytes, limits.max_decoded_bytes):
            raise _BodyRefused("it is longer than the limit")
        return
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and len(declared) < 30 and int(declared) > limits.max_body_bytes:
        raise _BodyRefused(f"it announces {int(declared):,} bytes, more than the limit")
    decoder = _Decoder(response.headers.get("Content-Encoding", ""))
    chunks: list[bytes] = []
    received = decoded = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise _BodyRefused("it is longer than the limit")
        part = decoder.decode(chunk, limits.max_decoded_bytes - decoded)
        decoded += len(part)
        chunks.append(part)
    response._content = b"".join(chunks)


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    host: str,
    params: Mapping[str, str] | None,
    content: bytes | None,
    headers: Mapping[str, str],
    auth: httpx.Auth,
    idempotent: bool,
    what: str,
    limits: Limits,
    traceable: bool,
) -> httpx.Response:
    """One request with its whole answer read, within ``limits``; httpx failures become imstui errors.
    ``traceable``: the transport reports its progress (see :class:`_Sent`)."""
    progress = _Sent(traceable)
    answered: httpx.Response | None = None
    failure: ImstuiError
    try:
        async with asyncio.timeout(limits.deadline):
            request = http.build_request(
                method, url, params=params, content=content, headers=headers, extensions={"trace": progress}
            )
            answered = await http.send(request, auth=auth, stream=True)
            try:
                await read_body(answered, limits)
            finally:
                await answered.aclose()
            return answered
    except TimeoutError:
        failure = _deadline_error(host, idempotent, what, limits, progress, answered)
    except _BodyRefused as exc:
        label = what if not idempotent else f"{method} {clean(httpx.URL(url).path, 120)}"
        failure = _too_large_error(answered, exc, idempotent, label, limits)
    except httpx.InvalidURL as exc:
        failure = ConfigurationError(f"invalid request URL: {clean(exc, 200)}")
    except _NOT_SENT as exc:
        failure = not_sent_error(exc, host)
    except httpx.TimeoutException as exc:
        failure = maybe_sent_error(exc, host, idempotent, what, timeout=True)
    except httpx.HTTPError as exc:
        failure = maybe_sent_error(exc, host, idempotent, what, timeout=False)
    raise failure


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


def _deadline_error(
    host: str, idempotent: bool, what: str, limits: Limits, progress: _Sent, answered: httpx.Response | None
) -> ImstuiError:
    budget = f"{limits.deadline:g} s"
    if answered is None and progress.surely_not_sent:
        return ConnectError(f"timed out connecting to {host} within {budget} (nothing was sent)")
    if not idempotent:
        cause = "its answer did not arrive whole" if answered is not None else "no answer came"
        return OutcomeUnknownError(
            f"outcome unknown — {what} may have reached IMS but {cause} within {budget}. Check the jobs list (or "
            "look for the new image) before submitting again; imstui never resends a copy by itself."
        )
    started = f"began answering (HTTP {answered.status_code}) but " if answered is not None else ""
    return RequestTimeoutError(
        f"{host} {started}did not send a complete answer within {budget} (the limit for one request: "
        "connect, send and the whole answer)"
    )


def _too_large_error(
    answered: httpx.Response | None, exc: _BodyRefused, idempotent: bool, what: str, limits: Limits
) -> ImstuiError:
    status = f"HTTP {answered.status_code}" if answered is not None else "an answer"
    caps = f"{_size(limits.max_body_bytes)} received, {_size(limits.max_decoded_bytes)} decompressed"
    message = f"the answer to {what} ({status}) was not read: {exc} ({caps})"
    if not idempotent:
        message += ". The request was answered, so the copy may have been accepted: check the jobs list before "
        message += "submitting again."
    return ProtocolError(message, request_id_of(answered) if answered is not None else None)


def _size(count: int) -> str:
    return f"{count / MIB:g} MiB" if count >= MIB else f"{count:,} bytes"


def _has_ssl_verification_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def not_sent_error(exc: Exception, host: str) -> ConnectError:
    reason = clean(exc, 200) or type(exc).__name__
    if _has_ssl_verification_error(exc):
        error = ConnectError(
            f"TLS certificate of {host} could not be verified ({reason}); if a proxy re-signs traffic, "
            "point SSL_CERT_FILE at its CA bundle"
        )
        error.retryable = False
        return error
    if isinstance(exc, httpx.ProxyError):
        return ConnectError(f"the proxy refused or failed the connection to {host}: {reason}")
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ConnectError(f"timed out connecting to {host} (nothing was sent)")
    return ConnectError(f"could not connect to {host}: {reason}")


def maybe_sent_error(exc: Exception, host: str, idempotent: bool, what: str, *, timeout: bool) -> ImstuiError:
    reason = clean(exc, 200) or type(exc).__name__
    if not idempotent:
        cause = "no answer came in time" if timeout else f"the connection failed ({reason})"
        return OutcomeUnknownError(
            f"outcome unknown — {what} may have reached IMS but {cause}. Check the jobs list (or look for the "
            "new image) before submitting again; imstui never resends a copy by itself."
        )
    if timeout:
        return RequestTimeoutError(f"{host} did not answer in time ({type(exc).__name__})")
    return TransportError(f"the connection to {host} failed: {reason}")
