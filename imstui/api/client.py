"""The IMS/IAM client: image lookup, in-region copy, job status and project-id discovery.

One shared :class:`httpx.AsyncClient` per :class:`ImsClient` (connection reuse, explicit timeouts, proxy and CA
settings from the environment). Requests are signed with :class:`SdkHmacAuth` over the exact bytes sent. GETs are
retried with backoff (:mod:`imstui.api.retry`); the copy POST is sent once and only once.

Nothing here imports a UI library: the headless commands and the console share this module.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from imstui import __version__
from imstui.api import endpoints
from imstui.api.credentials import Credentials
from imstui.api.errors import (
    ApiError,
    ConfigurationError,
    ImageNotFoundError,
    ImstuiError,
    JobNotFoundError,
    LocalValidationError,
    OutcomeUnknownError,
    ProtocolError,
)
from imstui.api.fields import ID_RULE, is_api_id
from imstui.api.lazy import lazy_module
from imstui.api.limits import ACCEPT_ENCODING, Limits
from imstui.api.models import CopyRequest, Image, Job
from imstui.api.quota import ImageQuota
from imstui.api.retry import RetryPolicy, call_with_retries
from imstui.api.sanitize import sanitize

# httpx and the modules built on it load when the client first needs its HTTP stack (:meth:`ImsClient.prepare`,
# at construction unless deferred), not when this module is imported: a console shows its session connected first.
if TYPE_CHECKING:
    import httpx

    from imstui.api import answers, connection, error_parsing, exchange, signer
    from imstui.api import wire as lean_wire
    from imstui.api.signer import PreparedGet, SdkHmacAuth
    from imstui.api.wire import WireRoute

    # A transport, or what builds one when the client builds its HTTP stack (the demo's in-process simulator).
    TransportSource = httpx.AsyncBaseTransport | Callable[[], httpx.AsyncBaseTransport]
else:
    httpx = lazy_module("httpx")
    answers = lazy_module("imstui.api.answers")
    connection = lazy_module("imstui.api.connection")
    error_parsing = lazy_module("imstui.api.error_parsing")
    exchange = lazy_module("imstui.api.exchange")
    signer = lazy_module("imstui.api.signer")
    lean_wire = lazy_module("imstui.api.wire")

USER_AGENT = f"imstui/{__version__}"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
ALL_GRANTED_EPS = "all_granted_eps"

ROUTE_MISSING_CODES = frozenset({"APIGW.0101", "APIG.0101"})
IMAGE_NOT_FOUND_CODES = frozenset({"IMG.0027", "IMG.0066", "IMG.0086", "IMG.0144"})
JOB_NOT_FOUND_CODES = frozenset({"IMG.0023"})

__all__ = ["ImsClient", "Limits", "check_project_id"]

_JSON_HEADERS: Mapping[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
_NO_HEADERS: Mapping[str, str] = {}
_URL_CACHE_SIZE = 4096
_NO_RETRIES = RetryPolicy.no_retries()  # the poller's checks (it schedules its own retries)
# What a request runs through, loaded by ImsClient.prepare (else by the first request).
_REQUEST_MODULES = tuple(f"imstui.api.{name}" for name in ("answers", "error_parsing", "exchange", "signer", "wire"))


def check_project_id(project_id: str | None) -> str | None:
    """A project id (32 hex characters in practice) safe to put in a header and a path; ``None`` if empty."""
    if project_id is None:
        return None
    value = project_id.strip()
    if not value:
        return None
    if not is_api_id(value):
        raise ConfigurationError(
            f"the project id given ({len(value)} characters, not shown in case it is a key pasted in the wrong "
            f"place) is not one: {ID_RULE}; IAM's are 32 hex characters"
        )
    return value


def _segment(field: str, value: str) -> str:
    """``value`` as one percent-encoded path segment; an empty id is refused before anything is sent."""
    text = (value or "").strip()
    if not text:
        raise LocalValidationError(field, "required", "an id is required")
    return quote(text, safe="")


class ImsClient:
    """Async IMS/IAM client implementing :class:`imstui.api.protocol.ImsApi`.

    Use as ``async with ImsClient(...) as client:`` or call :meth:`aclose`. ``transport`` replaces the network
    (``httpx.MockTransport`` in tests, the simulator's ASGI transport for ``--demo``; or a function returning one,
    called when the HTTP stack is built); with an injected transport the environment's proxy settings are ignored.

    The HTTP stack (httpx's client, the proxy and CA settings) is built at construction, where a wrong setting
    raises :class:`ConfigurationError`; ``defer_http=True`` leaves it for :meth:`prepare` or the first request
    (the console: it shows the session connected, then prepares the client in the background).
    """

    def __init__(
        self,
        *,
        credentials: Credentials,
        region: str,
        project_id: str | None = None,
        ims_endpoint: str | None = None,
        iam_endpoint: str | None = None,
        transport: TransportSource | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        defer_http: bool = False,
    ) -> None:
        self._region = endpoints.check_region(region)
        self._project_id = check_project_id(project_id)
        self._ims = endpoints.check_endpoint(ims_endpoint or endpoints.ims_endpoint(self._region))
        self._iam = endpoints.check_endpoint(iam_endpoint or endpoints.iam_endpoint(self._region))
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._limits = limits or Limits()
        self._traceable = transport is None  # httpx's own transport reports when a request starts to leave
        self._transport = transport
        self._timeout = timeout
        self._http_client: httpx.AsyncClient | None = None
        self._building = threading.Lock()  # prepare() may run in a thread while the event loop sends a request
        self._closed = False
        self._project_lock = asyncio.Lock()
        self._auths: dict[str, SdkHmacAuth] = {}
        self._urls: dict[str, httpx.URL] = {}
        self._wires: dict[tuple[str, bytes], WireRoute | None] = {}  # by (scheme, netloc); None: httpx's way
        self._prepared: dict[tuple[SdkHmacAuth, bytes, bool], PreparedGet] = {}
        self._use_eps_filter = True
        self._job_route: Literal["progress", "legacy"] | None = None
        if not defer_http:
            self._stack()

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

    def prepare(self) -> None:
        """Build the HTTP stack now (httpx's client over the transport, or over the network with the environment's
        proxy and CA settings) if it is not built yet, and load the modules requests use; raises
        :class:`ConfigurationError` for a setting that cannot be used. The first request does this if nothing did;
        safe to call from another thread than the event loop's."""
        self._stack()
        for name in _REQUEST_MODULES:
            importlib.import_module(name)

    def _stack(self) -> httpx.AsyncClient:
        http = self._http_client
        if http is not None:
            return http
        with self._building:
            if self._http_client is None:
                if self._closed:
                    raise RuntimeError("Cannot send a request, as the client has been closed.")  # httpx's words
                transport = self._transport
                self._http_client = connection.build_http_client(
                    endpoints=(self._ims, self._iam),
                    transport=transport() if callable(transport) else transport,
                    timeout=self._timeout or httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0),
                    headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
                )
            return self._http_client

    @property
    def _http(self) -> httpx.AsyncClient:
        """httpx's client under this one (built on first use unless :meth:`prepare` built it)."""
        return self._http_client or self._stack()

    async def aclose(self) -> None:
        for route in self._wires.values():
            if route is not None:
                await route.aclose()
        self._closed = True
        if self._http_client is not None:
            await self._http_client.aclose()
        elif self._transport is not None and not callable(self._transport):
            await self._transport.aclose()  # as httpx's client would have closed it

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
            auth=signer.SdkHmacAuth(self._credentials),
            json_content_type=False,
            retry=True,
        )
        return answers.project_id_from(response, self._region)

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
        data = answers.json_object(response, "the image list")
        images = data.get("images")
        if not isinstance(images, list):
            raise ProtocolError(
                f"the image list has no 'images' list: {answers.snippet(response)}",
                error_parsing.request_id_of(response),
            )
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
            error = error_parsing.error_from_response(response)
            if response.status_code >= 500 and error.kind != "ims":
                # A 5xx that is not IMS's own answer (a gateway or proxy: timeout, bad gateway, unavailable, an HTML
                # page): IMS may have received and accepted the copy, so it is never called a rejection.
                raise OutcomeUnknownError(
                    f"outcome unknown — the gateway answered {error} after the copy request was sent; "
                    "IMS may have accepted it. Check the jobs list (or the image list) before submitting again."
                )
            raise error
        return answers.copy_job_id(response)

    # -- quota ----------------------------------------------------------------------------------------------------

    async def get_image_quota(self) -> ImageQuota:
        """``GET /v1/cloudimages/quota``: the private-image quota. One attempt (a pre-flight check: a failure
        means "quota unknown", not a reason to wait)."""
        auth = self._ims_auth(await self.ensure_project_id())
        response = await self._get(f"{self._ims}/v1/cloudimages/quota", auth=auth, retry=False)
        try:
            return ImageQuota.from_api(answers.json_object(response, "the image quota"))
        except ValueError as error:
            raise ProtocolError(
                f"the image quota answer is unusable ({error}): {answers.snippet(response)}",
                error_parsing.request_id_of(response),
            ) from None

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
                return answers.job_from(response, wanted)
        path_project = _segment("project_id", project_id)
        try:
            response = await self._get(f"{self._ims}/v1/{path_project}/jobs/{segment}", auth=auth, retry=retry)
        except ApiError as error:
            raise self._job_error(error, wanted) from None
        return answers.job_from(response, wanted)

    @staticmethod
    def _job_error(error: ApiError, job_id: str) -> ImstuiError:
        code = error.code.upper()
        if code in ROUTE_MISSING_CODES:
            return error  # wrong endpoint, not a missing job
        if error.status == 404 or code in JOB_NOT_FOUND_CODES:
            return JobNotFoundError(job_id, error.request_id)
        return error

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _ims_auth(self, project_id: str) -> SdkHmacAuth:
        auth = self._auths.get(project_id)
        if auth is None:
            auth = self._auths[project_id] = signer.SdkHmacAuth(self._credentials, project_id)
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

    # The answer reader, for the KMS/EPS/tag calls that share this client's plumbing (imstui.api.service_calls).
    @staticmethod
    def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
        return answers.json_object(response, what)

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

        wire = self._wire_for(target) if isinstance(target, httpx.URL) else None

        async def attempt() -> httpx.Response:
            if wire is not None and wire.has_room() and not self._http.cookies:
                assert isinstance(target, httpx.URL)
                response = await self._wire_get(wire, target, auth, json_content_type)
            else:
                # `what` names the request in "outcome unknown" errors, which only non-idempotent requests raise.
                response = await self._send(
                    "GET", url, target=target, params=params, headers=headers, auth=auth, idempotent=True, what="GET"
                )
            if not response.is_success:
                raise error_parsing.error_from_response(response)
            return response

        return await call_with_retries(self._retry if retry else _NO_RETRIES, attempt)

    def _wire_for(self, url: httpx.URL) -> WireRoute | None:
        """The lean route (:mod:`imstui.api.wire`) for ``url``'s origin, where httpx would connect directly itself:
        its own transport (not an injected one), no proxy for this URL, HTTP/1.1 only, a deadline no longer than
        the read and write timeouts (so that the deadline is the only clock needed). ``None``: use httpx."""
        key = (url.scheme, url.netloc)
        if key in self._wires:
            return self._wires[key]
        route: WireRoute | None = None
        timeout = self._http.timeout
        slowest = min(t for t in (timeout.read, timeout.write, float("inf")) if t is not None)
        pick = getattr(self._http, "_transport_for_url", None)
        if self._traceable and url.scheme in ("http", "https") and self._limits.deadline <= slowest and pick:
            transport = pick(url)
            pool = getattr(transport, "_pool", None)
            if (
                type(transport) is httpx.AsyncHTTPTransport
                and _plain_pool(pool)
                and (
                    getattr(pool, "_http1", False)
                    and not getattr(pool, "_http2", True)
                    and getattr(pool, "_uds", "") is None
                    and getattr(pool, "_local_address", "") is None
                    and not getattr(pool, "_socket_options", ())
                )
            ):
                route = lean_wire.WireRoute(
                    url,
                    ssl_context=getattr(pool, "_ssl_context", None),
                    connect_timeout=timeout.connect,
                    max_connections=getattr(pool, "_max_keepalive_connections", 20) or 1,
                    keepalive_expiry=getattr(pool, "_keepalive_expiry", None) or 5.0,
                )
        self._wires[key] = route
        return route

    async def _wire_get(
        self, wire: WireRoute, url: httpx.URL, auth: SdkHmacAuth, json_content_type: bool
    ) -> httpx.Response:
        """A signed GET (no query) on the lean route: the headers httpx would send, signed as SdkHmacAuth would."""
        key = (auth, url.netloc, json_content_type)
        prepared = self._prepared.get(key)
        if prepared is None:
            own = [(name.decode("ascii"), value.decode("ascii")) for name, value in self._http.headers.raw]
            headers = [("Host", url.netloc.decode("ascii")), *own]
            if json_content_type:
                headers.append(("Content-Type", JSON_CONTENT_TYPE))
            prepared = self._prepared[key] = auth.prepared_get(headers)
        response = await wire.get(
            prepared.head(url.raw_path.decode("ascii")), host=url.host, path=url.path, limits=self._limits
        )
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            response.request = httpx.Request("GET", url)  # what the jar reads the cookie's domain and path from
            self._http.cookies.extract_cookies(response)  # from now on httpx sends them (the lean route does not)
        return response

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
        """One request and its whole answer, within the client's :class:`Limits` (``target``: ``url`` parsed)."""
        return await exchange.exchange(
            self._http,
            method,
            url if target is None else target,
            host=exchange.host_of(url),
            params=params,
            content=content,
            headers=headers,
            auth=auth,
            idempotent=idempotent,
            what=what,
            limits=self._limits,
            traceable=self._traceable,
        )


def _plain_pool(pool: object) -> bool:
    """``pool`` is httpcore's own connection pool or the lean one (not a subclass someone else made). Asked only of
    an :class:`httpx.AsyncHTTPTransport`'s pool, so httpcore is loaded by then: an injected transport never loads it."""
    import httpcore

    from imstui.api.lean_pool import LeanConnectionPool

    return type(pool) in (httpcore.AsyncConnectionPool, LeanConnectionPool)
