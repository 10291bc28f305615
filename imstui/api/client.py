"""The IMS/IAM client: image lookup, in-region copy, job status and project-id discovery.

One shared :class:`httpx.AsyncClient` per :class:`ImsClient` (connection reuse, explicit timeouts, proxy and CA
settings from the environment). Requests are signed with :class:`SdkHmacAuth` over the exact bytes sent. GETs are
retried with backoff (:mod:`imstui.api.retry`); the copy POST is sent once and only once.

Nothing here imports a UI library: the headless commands and the console share this module.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import ssl
import sys
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpcore
import httpx

from imstui import __version__
from imstui.api import endpoints
from imstui.api.credentials import Credentials
from imstui.api.error_parsing import (
    SNIPPET_CHARS,
    clean,
    decode_json,
    describe_body,
    error_from_response,
    request_id_of,
)
from imstui.api.errors import (
    ApiError,
    ConfigurationError,
    ConnectError,
    ImageNotFoundError,
    ImstuiError,
    JobNotFoundError,
    LocalValidationError,
    OutcomeUnknownError,
    ProjectDiscoveryError,
    ProtocolError,
    RequestTimeoutError,
    TransportError,
)
from imstui.api.models import CopyRequest, Image, Job
from imstui.api.retry import RetryPolicy, call_with_retries
from imstui.api.sanitize import sanitize
from imstui.api.signer import SdkHmacAuth

USER_AGENT = f"imstui/{__version__}"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
ALL_GRANTED_EPS = "all_granted_eps"

ROUTE_MISSING_CODES = frozenset({"APIGW.0101", "APIG.0101"})
IMAGE_NOT_FOUND_CODES = frozenset({"IMG.0027", "IMG.0066", "IMG.0086", "IMG.0144"})
JOB_NOT_FOUND_CODES = frozenset({"IMG.0023"})

# httpx errors raised before any byte of the request left this machine: even a POST can be tried again by hand.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)

_PROJECT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_JSON_HEADERS: Mapping[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
_NO_HEADERS: Mapping[str, str] = {}
_URL_CACHE_SIZE = 4096
_NO_RETRIES = RetryPolicy.no_retries()  # the poller's checks (it schedules its own retries)


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


def check_project_id(project_id: str | None) -> str | None:
    """A project id (32 hex characters in practice) safe to put in a header and a path; ``None`` if empty."""
    if project_id is None:
        return None
    value = project_id.strip()
    if not value:
        return None
    if not _PROJECT_ID_RE.fullmatch(value):
        raise ConfigurationError(
            f"{sanitize(value)[:80]!r} is not a project id (expected letters and digits, e.g. 32 hex characters)"
        )
    return value


def _segment(field: str, value: str) -> str:
    """``value`` as one percent-encoded path segment; an empty id is refused before anything is sent."""
    text = (value or "").strip()
    if not text:
        raise LocalValidationError(field, "required", "an id is required")
    return quote(text, safe="")


def _snippet(response: httpx.Response) -> str:
    return clean(response.content[:2048].decode("utf-8", "replace"), SNIPPET_CHARS) or "an empty body"


def _has_ssl_verification_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # httpx's CookieTypes
        self._cookies = _Cookies(cookies)


class ImsClient:
    """Async IMS/IAM client implementing :class:`imstui.api.protocol.ImsApi`.

    Use as ``async with ImsClient(...) as client:`` or call :meth:`aclose`. ``transport`` replaces the network
    (``httpx.MockTransport`` in tests, the simulator's ASGI transport for ``--demo``); with an injected transport
    the environment's proxy settings are ignored.
    """

    def __init__(
        self,
        *,
        credentials: Credentials,
        region: str,
        project_id: str | None = None,
        ims_endpoint: str | None = None,
        iam_endpoint: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._region = endpoints.check_region(region)
        self._project_id = check_project_id(project_id)
        self._ims = endpoints.check_endpoint(ims_endpoint or endpoints.ims_endpoint(self._region))
        self._iam = endpoints.check_endpoint(iam_endpoint or endpoints.iam_endpoint(self._region))
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        injected = transport is not None
        self._http = _HttpClient(
            transport=transport,
            timeout=timeout or DEFAULT_TIMEOUT,
            trust_env=not injected,
            verify=True if injected else tls_verify_from_env(),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        if not injected:
            _cache_stream_sockets(self._http)
        self._project_lock = asyncio.Lock()
        self._auths: dict[str, SdkHmacAuth] = {}
        self._urls: dict[str, httpx.URL] = {}
        self._use_eps_filter = True
        self._job_route: Literal["progress", "legacy"] | None = None

    def __repr__(self) -> str:
        return f"ImsClient(region={self._region!r}, project_id={self._project_id!r}, ims_endpoint={self._ims!r})"

    # -- properties -----------------------------------------------------------------------------------------------

    @property
    def region(self) -> str:
        return self._region

    @property
    def project_id(self) -> str | None:
        return self._project_id

    @property
    def ims_endpoint(self) -> str:
        return self._ims

    @property
    def iam_endpoint(self) -> str:
        return self._iam

    @property
    def job_route(self) -> str | None:
        """``"progress"`` (``/v1/cloudimages/job/{id}``), ``"legacy"`` (``/v1/{project}/jobs/{id}``) or ``None``."""
        return self._job_route

    # -- lifecycle ------------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ImsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- project id -----------------------------------------------------------------------------------------------

    async def ensure_project_id(self) -> str:
        if self._project_id:
            return self._project_id
        async with self._project_lock:
            if not self._project_id:
                self._project_id = await self.discover_project_id()
        return self._project_id

    async def discover_project_id(self) -> str:
        """``GET {iam}/v3/projects?name={region}``: exactly one project is expected."""
        response = await self._get(
            f"{self._iam}/v3/projects",
            params={"name": self._region},
            auth=SdkHmacAuth(self._credentials),
            json_content_type=False,
            retry=True,
        )
        data = self._json_object(response, "the IAM project list")
        projects = data.get("projects")
        if not isinstance(projects, list):
            raise ProtocolError(
                f"the IAM project list has no 'projects' list: {_snippet(response)}", request_id_of(response)
            )
        ids = [
            sanitize(p["id"]).strip()
            for p in projects
            if isinstance(p, dict) and isinstance(p.get("id"), str) and p["id"].strip()
        ]
        hint = "pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID"
        if not ids:
            raise ProjectDiscoveryError(
                f"IAM knows no project named {self._region!r} for this access key; {hint} "
                "(sub-projects are named region_suffix and must be given explicitly)"
            )
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
            raise ProjectDiscoveryError(
                f"IAM returned {len(ids)} projects named {self._region!r} ({shown}); {hint} to choose one"
            )
        try:
            project_id = check_project_id(ids[0])
        except ConfigurationError:
            project_id = None
        if project_id is None:
            raise ProtocolError(f"IAM returned an unusable project id: {clean(ids[0], 80)!r}", request_id_of(response))
        return project_id

    # -- images ---------------------------------------------------------------------------------------------------

    async def get_image(self, image_id: str) -> Image:
        """``GET /v2/cloudimages?id=...&enterprise_project_id=all_granted_eps``.

        Whether ``all_granted_eps`` is needed or accepted is [UNCERTAIN]: if the server answers 400 or 403, the
        lookup is tried once more without it, and if that works the parameter is dropped for the rest of the
        session; an empty answer with the filter is checked once more without it before "image not found".
        """
        wanted = (image_id or "").strip()
        _segment("image_id", wanted)
        project_id = await self.ensure_project_id()
        url = f"{self._ims}/v2/cloudimages"
        auth = self._ims_auth(project_id)
        use_eps = self._use_eps_filter
        try:
            response = await self._get(url, params=self._image_params(wanted, use_eps), auth=auth, retry=True)
        except ApiError as error:
            refused = error.status in (400, 403) and error.code.upper() not in IMAGE_NOT_FOUND_CODES
            if not (use_eps and refused):
                raise self._image_error(error, wanted) from None
            try:
                response = await self._get(url, params=self._image_params(wanted, False), auth=auth, retry=True)
            except ApiError as second:
                raise self._image_error(second, wanted) from None
            self._use_eps_filter = False
            use_eps = False
        image = self._find_image(response, wanted)
        if image is None and use_eps:
            # Some accounts may see an image only without the enterprise-project filter (Terraform's copy resource
            # looks images up without it): one more look before saying "not found".
            try:
                response = await self._get(url, params=self._image_params(wanted, False), auth=auth, retry=True)
            except ApiError as error:
                raise self._image_error(error, wanted) from None
            image = self._find_image(response, wanted)
        if image is None:
            raise ImageNotFoundError(sanitize(wanted))
        return image

    def _find_image(self, response: httpx.Response, wanted: str) -> Image | None:
        data = self._json_object(response, "the image list")
        images = data.get("images")
        if not isinstance(images, list):
            raise ProtocolError(f"the image list has no 'images' list: {_snippet(response)}", request_id_of(response))
        for item in images:
            if isinstance(item, dict) and str(item.get("id") or "").strip().lower() == wanted.lower():
                return Image.from_api(item)
        return None

    @staticmethod
    def _image_params(image_id: str, use_eps: bool) -> dict[str, str]:
        params = {"id": image_id}
        if use_eps:
            params["enterprise_project_id"] = ALL_GRANTED_EPS
        return params

    @staticmethod
    def _image_error(error: ApiError, image_id: str) -> ImstuiError:
        code = error.code.upper()
        if code in IMAGE_NOT_FOUND_CODES or (error.status == 404 and code not in ROUTE_MISSING_CODES):
            return ImageNotFoundError(sanitize(image_id))
        return error

    # -- copy -----------------------------------------------------------------------------------------------------

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        """``POST /v1/cloudimages/{image_id}/copy`` -> job id. Sent exactly once, never retried automatically."""
        segment = _segment("image_id", image_id)
        project_id = await self.ensure_project_id()
        body = json.dumps(request.to_body(), ensure_ascii=False).encode("utf-8")
        response = await self._send(
            "POST",
            f"{self._ims}/v1/cloudimages/{segment}/copy",
            content=body,
            headers={"Content-Type": JSON_CONTENT_TYPE},
            auth=self._ims_auth(project_id),
            idempotent=False,
            what=f"the copy request for image {sanitize(image_id.strip())}",
        )
        if not response.is_success:
            error = error_from_response(response)
            if response.status_code in (502, 504) and error.kind != "ims":
                # A gateway/proxy timeout: IMS may have received and accepted the copy.
                raise OutcomeUnknownError(
                    f"outcome unknown — the gateway answered {error} after the copy request was sent; "
                    "IMS may have accepted it. Check the jobs list (or the image list) before submitting again."
                )
            raise error
        data = self._json_object(response, "the copy answer", accepted=True)
        job_id = data.get("job_id")
        if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id >= 0:
            job_id = str(job_id)  # documented as a string; a number is still the job the copy started
        if not isinstance(job_id, str) or not clean(job_id, 128):
            raise ProtocolError(
                f"IMS answered the copy request (HTTP {response.status_code}) without a job id: {_snippet(response)}. "
                "The copy may have been accepted: check the jobs list before submitting again.",
                request_id_of(response),
            )
        return clean(job_id, 128)

    # -- jobs -----------------------------------------------------------------------------------------------------

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        """``GET /v1/cloudimages/job/{job_id}``, falling back to ``GET /v1/{project_id}/jobs/{job_id}`` when the
        gateway says the first route does not exist (APIGW.0101); the choice is remembered."""
        segment = _segment("job_id", job_id)
        wanted = sanitize(job_id.strip())
        project_id = await self.ensure_project_id()
        auth = self._ims_auth(project_id)
        if self._job_route != "legacy":
            try:
                response = await self._get(f"{self._ims}/v1/cloudimages/job/{segment}", auth=auth, retry=retry)
            except ApiError as error:
                if not (error.status == 404 and error.code.upper() in ROUTE_MISSING_CODES):
                    raise self._job_error(error, wanted) from None
                self._job_route = "legacy"
            else:
                self._job_route = "progress"
                return self._parse_job(response, wanted)
        path_project = _segment("project_id", project_id)
        try:
            response = await self._get(f"{self._ims}/v1/{path_project}/jobs/{segment}", auth=auth, retry=retry)
        except ApiError as error:
            raise self._job_error(error, wanted) from None
        return self._parse_job(response, wanted)

    @staticmethod
    def _job_error(error: ApiError, job_id: str) -> ImstuiError:
        code = error.code.upper()
        if code in ROUTE_MISSING_CODES:
            return error  # wrong endpoint, not a missing job
        if error.status == 404 or code in JOB_NOT_FOUND_CODES:
            return JobNotFoundError(job_id, error.request_id)
        return error

    def _parse_job(self, response: httpx.Response, job_id: str) -> Job:
        data = self._json_object(response, f"the status of job {job_id}")
        try:
            return Job.from_api(data, job_id=job_id)
        except (ValueError, TypeError, AttributeError):
            raise ProtocolError(
                f"the status of job {job_id} has no usable 'status': {_snippet(response)}", request_id_of(response)
            ) from None

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _ims_auth(self, project_id: str) -> SdkHmacAuth:
        auth = self._auths.get(project_id)
        if auth is None:
            auth = self._auths[project_id] = SdkHmacAuth(self._credentials, project_id)
        return auth

    def _url(self, url: str) -> httpx.URL:
        """``url`` parsed once: the poller asks for the same job URLs over and over, and parsing one costs more
        than signing the request. The cache is bounded (cleared when full)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    @staticmethod
    def _json_object(response: httpx.Response, what: str, *, accepted: bool = False) -> dict[str, Any]:
        data = decode_json(response)
        if not isinstance(data, dict):
            extra = ""
            if accepted:
                extra = " The request may have been accepted: check the jobs list before submitting again."
            raise ProtocolError(
                f"{what}: expected a JSON object but got {describe_body(response)}.{extra}", request_id_of(response)
            )
        return data

    async def _get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        auth: SdkHmacAuth,
        json_content_type: bool = True,
        retry: bool = True,
    ) -> httpx.Response:
        """A signed GET, retried on connection errors, timeouts, 5xx and 429 (unless ``retry`` is false)."""
        headers = _JSON_HEADERS if json_content_type else _NO_HEADERS
        target: str | httpx.URL = url if params else self._url(url)

        async def attempt() -> httpx.Response:
            # `what` names the request in "outcome unknown" errors, which only non-idempotent requests raise.
            response = await self._send(
                "GET", url, target=target, params=params, headers=headers, auth=auth, idempotent=True, what="GET"
            )
            if not response.is_success:
                raise error_from_response(response)
            return response

        return await call_with_retries(self._retry if retry else _NO_RETRIES, attempt)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        target: str | httpx.URL | None = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str],
        auth: SdkHmacAuth,
        idempotent: bool,
        what: str,
    ) -> httpx.Response:
        """One request. httpx exceptions become imstui errors, raised outside the ``except`` block so that no
        traceback chain keeps the signed request (and a security token) alive. ``target``: ``url`` already parsed."""
        failure: ImstuiError
        try:
            return await self._http.request(
                method, url if target is None else target, params=params, content=content, headers=headers, auth=auth
            )
        except httpx.InvalidURL as exc:
            failure = ConfigurationError(f"invalid request URL: {clean(exc, 200)}")
        except _NOT_SENT as exc:
            failure = self._not_sent_error(exc, url)
        except httpx.TimeoutException as exc:
            failure = self._maybe_sent_error(exc, url, idempotent, what, timeout=True)
        except httpx.HTTPError as exc:
            failure = self._maybe_sent_error(exc, url, idempotent, what, timeout=False)
        raise failure

    @staticmethod
    def _not_sent_error(exc: Exception, url: str) -> ConnectError:
        host = urlsplit(url).hostname or url
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

    @staticmethod
    def _maybe_sent_error(exc: Exception, url: str, idempotent: bool, what: str, *, timeout: bool) -> ImstuiError:
        host = urlsplit(url).hostname or url
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
