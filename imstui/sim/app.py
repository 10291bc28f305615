"""The simulator's ASGI app (Starlette): IMS + the two IAM calls, behind a gateway that signs-checks,
throttles and injects faults.

Routes (wire format per ``ims-api.md``)::

    GET  /v3/projects?name=          KeystoneListProjects (IAM; no X-Project-Id needed)
    GET  /v3/auth/domains            KeystoneListAuthDomains (IAM; GlobalCredentials' domain discovery)
    GET  /v2/cloudimages             ListImages ({"images": [...]}, filters, limit, marker; page_info optional)
    GET  /v2/images/{image_id}       GlanceShowImage (unwrapped image; 404 IMG.0027)
    POST /v1/cloudimages/{id}/copy   CopyImageInRegion ({"job_id": "<32 hex>"})
    POST /v2.1/cloudimages/{id}/copy CopyImageInRegionInSafeMode (same contract)
    GET  /v1/cloudimages/job/{id}    ShowJobProgress
    GET  /v1/{project_id}/jobs/{id}  ShowJob
    GET  /v1/cloudimages/quota       ShowImageQuota ({"quotas": {"resources": [{"type": "image", ...}]}})

Errors: IMS shape ``{"error": {"code": "IMG.xxxx", "message": ...}}`` (400, as the error table documents, also
for unknown/purged jobs ``IMG.0023``; 404 for unknown images on the Glance route; a path project that differs
from X-Project-Id is ``IMG.0067``); gateway shape ``{"error_code": "APIGW.xxxx", "error_msg": ...,
"request_id": ...}`` for authentication (401 APIGW.0301), throttling (429 APIGW.0308, no Retry-After unless the
``retry_after`` fault option asks for it; the window is in the message) and unknown routes or methods (404
APIGW.0101). Every response carries ``X-Request-Id``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imstui.api import signing
from imstui.sim.auth import AccessKey, AuthFailure, header_map, parse_authorization, verify
from imstui.sim.config import SimConfig
from imstui.sim.faults import FaultDecision, throttle_message
from imstui.sim.state import ImsError, SimState

log = logging.getLogger("imstui.sim")
_clock = time.monotonic  # when a request came and how long its answer took (the latency fault; tests replace it)

THROTTLE_CODE = "APIGW.0308"
NOT_FOUND_CODE = "APIGW.0101"


class SimulatedDrop(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection (``drop`` fault). In process, httpx.ASGITransport re-raises it,
    so the client sees an ``httpx.TransportError``; under uvicorn the response headers are out and uvicorn
    closes the connection, so the client sees an incomplete response."""


def _request_id(request: Request) -> str:
    rid = request.scope.get("state", {}).get("request_id")
    return rid if isinstance(rid, str) else uuid.uuid4().hex


def _arrived(request: Request) -> float:
    """When the request came in: stamped by :class:`RequestIdMiddleware` before routing (now, without it)."""
    arrived = request.scope.get("state", {}).get("arrived")
    return arrived if isinstance(arrived, float) else _clock()


def ims_error(request: Request, code: str, message: str, status: int = 400) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def gateway_error(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"error_code": code, "error_msg": message, "request_id": _request_id(request)}
    return JSONResponse(body, status_code=status, headers=headers)


def throttled(request: Request, retry_after: float | None, message: str) -> Response:
    """429 APIGW.0308. The real gateway sends no ``Retry-After`` (``retry_after=None``); the window is in the
    message. A ``retry_after`` fault option adds the header."""
    headers = None if retry_after is None else {"Retry-After": str(max(1, math.ceil(retry_after)))}
    return gateway_error(request, 429, THROTTLE_CODE, message, headers=headers)


class RequestIdMiddleware:
    """Give every request an id (``request.state.request_id``) and every response an ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = _clock()  # the first the app sees of the request: the latency fault counts from here
        rid = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"], state["arrived"] = rid, arrived

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started:  # a dropped connection (fault) or a crash mid-body: nothing more can be said
                raise
            # A simulator bug outside a route handler: still answer like a server, with a request id.
            log.exception("simulator failed before answering")
            body = {"error": {"code": "IMG.0061", "message": "Unknown system error."}}
            await JSONResponse(body, status_code=500)(scope, receive, send_with_id)


class DroppedResponse(Response):
    """Send the status line and headers of ``inner``, then fail the connection."""

    def __init__(self, inner: Response) -> None:
        super().__init__(content=inner.body, status_code=inner.status_code, media_type=inner.media_type)
        self.raw_headers = inner.raw_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        raise SimulatedDrop("simulated fault: connection dropped before the response body")


@dataclass(frozen=True)
class Call:
    request: Request
    body: bytes
    key: AccessKey
    project_id: str


Handler = Callable[[Call], Awaitable[Response]]


class Simulator:
    """Route handlers plus the gateway wrapper around each of them."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.config: SimConfig = state.config
        self._keys = self.config.keys()  # the config is frozen: build the AK table once, not per request

    # --- the gateway --------------------------------------------------------------------------------------------
    def endpoint(self, route: str, handler: Handler, *, ims: bool) -> Callable[[Request], Awaitable[Response]]:
        async def gateway(request: Request) -> Response:
            arrived = _arrived(request)
            decision = self.state.faults.decide(route)
            response = await answer(request, decision)
            if decision.latency > 0:  # the answer leaves `latency` after the request came, its processing included
                await asyncio.sleep(max(0.0, arrived + decision.latency - _clock()))
            return response

        async def answer(request: Request, decision: FaultDecision) -> Response:
            body = await request.body()
            try:
                key, project_id = self._authenticate(request, body, ims=ims)
            except AuthFailure as failure:
                return gateway_error(request, failure.status, failure.code, failure.message)
            spec = self.config.faults.for_route(route)
            limited = self._rate_limit(route, key)
            if limited is not None:
                wait = None if spec.retry_after is None else limited
                return throttled(request, wait, throttle_message(spec))
            if decision.before == "429":
                return throttled(request, decision.retry_after, throttle_message(spec))
            if decision.before == "5xx":
                return _server_error(request, decision.variant)
            self.state.settle()
            try:
                response = await handler(Call(request, body, key, project_id))
            except ImsError as error:
                response = ims_error(request, error.code, error.message, error.status)
            except Exception:  # an emulator bug must still answer like a server would
                log.exception("simulator handler failed")
                response = ims_error(request, "IMG.0061", "Unknown system error.", 500)
            return _spoil(response, decision)

        gateway.__name__ = f"sim_{route}"
        return gateway

    def _authenticate(self, request: Request, body: bytes, *, ims: bool) -> tuple[AccessKey, str]:
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        headers = header_map(scope["headers"])
        key = verify(
            method=request.method,
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b""),
            headers=headers,
            body=body,
            keys=self._keys,
            now=self.config.auth_clock.now(),
            max_skew=self.config.max_skew,
        )
        signed = parse_authorization(headers["authorization"]).signed_headers  # verify() accepted it
        project_id = headers.get("x-project-id", "").strip()
        if ims:
            if not project_id:
                raise AuthFailure("the X-Project-Id header is required for IMS APIs")
            if "x-project-id" not in signed:
                raise AuthFailure("the X-Project-Id header must be signed")
            if project_id != self.config.project_id:
                raise AuthFailure("the X-Project-Id does not belong to this account or region")
        domain_id = headers.get("x-domain-id")
        if domain_id is not None and domain_id.strip() != self.config.domain_id:
            raise AuthFailure("the X-Domain-Id does not match the access key's account")
        return key, project_id or self.config.project_id

    def _rate_limit(self, route: str, key: AccessKey) -> float | None:
        spec = self.config.faults.for_route(route)
        if spec.rate is None:
            return None
        scope = route if route in self.config.faults.route_rates else "*"
        return self.state.limiter.allow((key.ak, scope), spec.rate, self.state.now(), spec.window)

    # --- IAM ------------------------------------------------------------------------------------------------------
    async def projects(self, call: Call) -> Response:
        cfg = self.config
        base = _base_url(call.request)
        project = {
            "id": cfg.project_id,
            "name": cfg.region,
            "domain_id": cfg.domain_id,
            "parent_id": cfg.domain_id,
            "enabled": True,
            "is_domain": False,
            "description": "",
            "links": {"self": f"{base}/v3/projects/{cfg.project_id}"},
        }
        wanted = dict(signing.parse_raw_query(call.request.scope.get("query_string", b"")))
        selected = [project]
        for field in ("name", "domain_id", "parent_id", "id"):
            if field in wanted and wanted[field] != project[field]:
                selected = []
        for field in ("enabled", "is_domain"):
            if field in wanted and wanted[field].lower() != str(project[field]).lower():
                selected = []
        query = call.request.url.query
        body = {
            "links": {"self": f"{base}/v3/projects" + (f"?{query}" if query else ""), "previous": None, "next": None},
            "projects": selected,
        }
        return JSONResponse(body, headers={"X-IAM-Trace-Id": uuid.uuid4().hex})

    async def domains(self, call: Call) -> Response:
        cfg = self.config
        base = _base_url(call.request)
        body = {
            "domains": [
                {
                    "id": cfg.domain_id,
                    "name": cfg.domain_name,
                    "enabled": True,
                    "description": "",
                    "links": {"self": f"{base}/v3/domains/{cfg.domain_id}"},
                }
            ],
            "links": {"self": f"{base}/v3/auth/domains"},
        }
        return JSONResponse(body, headers={"X-IAM-Trace-Id": uuid.uuid4().hex})

    # --- IMS ------------------------------------------------------------------------------------------------------
    async def list_images(self, call: Call) -> Response:
        params = signing.parse_raw_query(call.request.scope.get("query_string", b""))
        if self.config.refuse_all_granted_eps and ("enterprise_project_id", "all_granted_eps") in params:
            return gateway_error(call.request, 403, "APIGW.0306", "API access denied.")
        images, next_marker = self.state.list_images_page(params, call.project_id)
        if not self.config.page_info:  # the default: as Terraform describes the API (no marker in the answer)
            return JSONResponse({"images": images})
        return JSONResponse({"images": images, "page_info": {"next_marker": next_marker}})

    async def show_image(self, call: Call) -> Response:
        image_id = call.request.path_params["image_id"]
        image = self.state.get_image(image_id, call.project_id)
        if image is None:
            raise ImsError("IMG.0027", "The image ID does not exist.", status=404)
        return JSONResponse(image)

    async def copy(self, call: Call) -> Response:
        image_id = call.request.path_params["image_id"]
        job_id = self.state.copy_image(image_id, call.body, call.project_id)
        return JSONResponse({"job_id": job_id})

    async def quota(self, call: Call) -> Response:
        mode = self.config.quota_api
        if mode == "forbidden":
            return gateway_error(call.request, 403, "APIGW.0306", "API access denied.")
        if mode == "missing":
            return gateway_error(call.request, 404, NOT_FOUND_CODE, "The API does not exist.")
        return JSONResponse(self.state.quota_document(call.project_id))

    async def job(self, call: Call) -> Response:
        path_project = call.request.path_params.get("project_id")
        if path_project is not None and path_project != call.project_id:
            raise ImsError("IMG.0067", "The project ID is incorrect.")
        return JSONResponse(self.state.job_document(call.request.path_params["job_id"], call.project_id))


def _base_url(request: Request) -> str:
    host = request.headers.get("host", "127.0.0.1")
    return f"{request.url.scheme}://{host}"


def _server_error(request: Request, variant: int) -> Response:
    if variant == 0:
        return ims_error(request, "IMG.0061", "Unknown system error.", 500)
    if variant == 1:
        html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return Response(html, status_code=502, media_type="text/html")
    return Response(b"", status_code=503)


def _spoil(response: Response, decision: FaultDecision) -> Response:
    if decision.after is None:
        return response
    if decision.after == "drop":
        return DroppedResponse(response)
    body = bytes(response.body)
    if decision.after == "malformed":
        spoiled = body.replace(b":", b" ", 1) if b":" in body else b"{" + body
    else:  # truncated
        spoiled = body[: max(1, len(body) // 2)]
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return Response(spoiled, status_code=response.status_code, headers=headers, media_type="application/json")


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    text = "The API does not exist or has not been published in the environment"
    if status == 405:
        text += f" (method {request.method} not allowed on {request.url.path})"
    return gateway_error(request, 404, NOT_FOUND_CODE, text)


def create_app(config: SimConfig | None = None) -> Starlette:
    """Build the simulator app. ``app.state.sim`` is the :class:`SimState` (tests: clock, scripts, catalogue)."""
    return app_for(SimState(config if config is not None else SimConfig.from_env()))


def app_for(state: SimState) -> Starlette:
    """The simulator app over ``state`` (``app.state.sim``)."""
    sim = Simulator(state)
    routes = [
        Route("/v3/projects", sim.endpoint("projects", sim.projects, ims=False), methods=["GET"]),
        Route("/v3/auth/domains", sim.endpoint("domains", sim.domains, ims=False), methods=["GET"]),
        Route("/v2/cloudimages", sim.endpoint("list", sim.list_images, ims=True), methods=["GET"]),
        Route("/v2/images/{image_id}", sim.endpoint("image", sim.show_image, ims=True), methods=["GET"]),
        Route("/v1/cloudimages/{image_id}/copy", sim.endpoint("copy", sim.copy, ims=True), methods=["POST"]),
        Route("/v2.1/cloudimages/{image_id}/copy", sim.endpoint("copy", sim.copy, ims=True), methods=["POST"]),
        Route("/v1/cloudimages/quota", sim.endpoint("quota", sim.quota, ims=True), methods=["GET"]),
        Route("/v1/cloudimages/job/{job_id}", sim.endpoint("job", sim.job, ims=True), methods=["GET"]),
        Route("/v1/{project_id}/jobs/{job_id}", sim.endpoint("job", sim.job, ims=True), methods=["GET"]),
    ]
    from imstui.sim import eps, kms, tags  # KMS, EPS and image tags (issue 12); they import this module

    routes += [*kms.routes(sim), *eps.routes(sim), *tags.routes(sim)]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.sim = state
    return app


def sim_state(app: Any) -> SimState:
    """The :class:`SimState` behind an app made by :func:`create_app`."""
    state = app.state.sim
    if not isinstance(state, SimState):
        raise TypeError("not a simulator app")
    return state
