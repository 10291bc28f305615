"""The httpx client under :class:`imstui.api.client.ImsClient`: CA and proxy settings, and two CPU savings.

- CA certificates from ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (a wrong path is a :class:`ConfigurationError`).
- Proxies from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, any case), except
  for loopback endpoints: a request to the simulator on ``http://127.0.0.1`` is signed (``Authorization``,
  ``X-Project-Id``) and would otherwise travel in clear to whatever proxy ``HTTP_PROXY``/``ALL_PROXY`` names.
  Loopback hosts are always reached directly; an ``https`` endpoint behind a proxy is tunnelled as before.
- A cached socket lookup for httpcore's "is the server gone?" check and linear pool bookkeeping (both in
  :mod:`.socket_cache`, loaded only for a client that builds its own transports: an injected transport, as in the
  demo and the tests, never needs httpcore), and a cookie jar that skips answers without ``Set-Cookie`` (measured:
  see the class).
"""

from __future__ import annotations

import os
import select
import ssl
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from imstui.api.endpoints import is_loopback_host
from imstui.api.error_parsing import clean
from imstui.api.errors import ConfigurationError


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
        from imstui.api.socket_cache import cache_stream_sockets  # httpcore: only for transports built here

        cache_stream_sockets(http)
    return http


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
