"""The httpx client under :class:`imstui.api.client.ImsClient`: CA and proxy settings, and two CPU savings.

- CA certificates from ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (a wrong path is a :class:`ConfigurationError`).
- Proxies from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, any case), except
  for loopback endpoints: a request to the simulator on ``http://127.0.0.1`` is signed (``Authorization``,
  ``X-Project-Id``) and would otherwise travel in clear to whatever proxy ``HTTP_PROXY``/``ALL_PROXY`` names.
  Loopback hosts are always reached directly; an ``https`` endpoint behind a proxy is tunnelled as before.
- A cached socket lookup for httpcore's "is the server gone?" check, a cookie jar that skips answers
  without ``Set-Cookie`` (both measured: see the classes), and linear pool bookkeeping (:mod:`.lean_pool`).
"""

from __future__ import annotations

import os
import select
import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from imstui.api.endpoints import is_loopback_host
from imstui.api.error_parsing import clean
from imstui.api.errors import ConfigurationError
from imstui.api.lean_pool import make_lean


def tls_verify_from_env(environ: Mapping[str, str] | None = None) -> ssl.SSLContext | bool:
    """The CA settings to verify servers with: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` if set, else httpx's default.

    httpx 0.28 reads these variables itself, but a wrong path would surface as a raw ``OSError`` traceback; building
    the context here turns it into a :class:`ConfigurationError` naming the variable.
    """
    env = os.environ if environ is None else environ
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        path = env.get(name)
        if path:
            try:
                if name == "SSL_CERT_FILE":
                    return ssl.create_default_context(cafile=path)
                return ssl.create_default_context(capath=path)
            except (OSError, ssl.SSLError) as exc:
                reason = clean(exc, 200)
                raise ConfigurationError(f"{name}={path!r} cannot be used as CA certificates: {reason}") from None
    return True


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def direct_routes(endpoints: Sequence[str], verify: ssl.SSLContext | bool) -> dict[str, httpx.AsyncBaseTransport]:
    """One proxy-free transport for the usual loopback hosts and every loopback host among ``endpoints`` (any
    port, http or https): the KMS/EPS calls sharing this client may name a loopback host of their own."""
    hosts = [urlsplit(endpoint).hostname or "" for endpoint in endpoints]
    direct = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    return {
        f"all://[{host}]" if ":" in host else f"all://{host}": direct
        for host in (*_LOOPBACK_HOSTS, *hosts)
        if host and is_loopback_host(host)
    }


def build_http_client(
    *,
    endpoints: Sequence[str],
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    headers: Mapping[str, str],
) -> httpx.AsyncClient:
    """The shared httpx client. With an injected ``transport`` (tests, the simulator's ASGI app) the environment
    is ignored; otherwise proxies and CA settings come from it, loopback hosts excepted (see the module)."""
    injected = transport is not None
    verify = True if injected else tls_verify_from_env()
    try:
        http = _HttpClient(
            transport=transport,
            mounts=None if injected else direct_routes(endpoints, verify),
            timeout=timeout,
            trust_env=not injected,
            verify=verify,
            headers=headers,
            follow_redirects=False,
        )
    except (ImportError, ValueError, TypeError) as exc:  # an unusable *_PROXY value (socks without socksio, junk)
        raise ConfigurationError(f"the proxy settings in the environment cannot be used: {clean(exc, 200)}") from None
    if not injected:
        _cache_stream_sockets(http)
    return http


class _SocketCachingStream(httpcore.AsyncNetworkStream):
    """A network stream that answers httpcore's "is the server gone?" check from a socket looked up once.

    The connection pool asks every idle connection, on every request it places and every response it releases,
    whether its socket is readable (a server that closed a keep-alive connection). httpcore's anyio stream looks
    the socket up again each time through anyio's typed attributes, which rebuild a dict of every attribute (and
    call ``getpeername``) per lookup: more CPU than signing the request. The answer is the same; only the lookup
    is done once per connection.
    """

    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: Any = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _SocketCachingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return _socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def _socket_readable(sock: Any) -> bool:
    """httpcore's readability check (a closed socket counts as readable: the next read returns end of stream)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if _POLL is None:  # pragma: no cover - Windows
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    poller = _POLL()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


_POLL = None if sys.platform == "win32" else getattr(select, "poll", None)


class _SocketCachingBackend(httpcore.AsyncNetworkBackend):
    """Wraps the pool's network backend so that every stream it opens is a :class:`_SocketCachingStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _SocketCachingStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _SocketCachingStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _cache_stream_sockets(client: httpx.AsyncClient) -> None:
    """Give the connection pools of ``client``'s own transports a :class:`_SocketCachingBackend`.

    httpx offers no public way to choose the network backend of the transport it builds (with the environment's
    proxy settings), so this looks for the pools it made; if a future httpx/httpcore lays them out differently,
    nothing is changed and requests work exactly as before, only with httpcore's slower lookup.
    """
    transports: list[object] = [getattr(client, "_transport", None)]
    mounts = getattr(client, "_mounts", None)
    if isinstance(mounts, dict):
        transports.extend(mounts.values())
    for transport in transports:
        if type(transport) is not httpx.AsyncHTTPTransport:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(backend, httpcore.AsyncNetworkBackend):
            if not isinstance(backend, _SocketCachingBackend):
                pool._network_backend = _SocketCachingBackend(backend)
            make_lean(pool)  # linear pool bookkeeping (see imstui.api.lean_pool)


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, minus the work of reading an answer that sets no cookie.

    httpx hands every response to the jar, which builds urllib request/response adapters before finding that
    there is no ``Set-Cookie``: ~6% of the client's CPU per job-status check. Answers that set cookies are
    stored exactly as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _HttpClient(httpx.AsyncClient):
    """:class:`httpx.AsyncClient` with :class:`_Cookies` as its cookie jar."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # httpx 0.28 stores its jar in ``_cookies`` directly (not through the setter below): wrap that one too.
        if type(self._cookies) is not _Cookies:
            self._cookies = _Cookies(self._cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # httpx's CookieTypes
        self._cookies = _Cookies(cookies)
