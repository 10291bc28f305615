"""Two CPU savings inside httpcore's connection pools, for the transports that
:func:`imstui.api.connection.build_http_client` builds itself (an injected transport never loads this module, nor
httpcore with it: the demo and the tests).

- :class:`_SocketCachingStream`: a socket looked up once per connection for httpcore's "is the server gone?" check;
- :func:`imstui.api.lean_pool.make_lean`: linear pool bookkeeping.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from imstui.api.connection import _socket_readable
from imstui.api.lean_pool import make_lean

__all__ = ["cache_stream_sockets"]


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


def cache_stream_sockets(client: httpx.AsyncClient) -> None:
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
