"""One error hierarchy for everything that can go wrong between imstui and IMS/IAM.

Every error carries what an operator needs to act or to open a ticket: HTTP status, error code, message
(already sanitised) and the ``X-Request-Id``. ``str(error)`` is a one-line summary that never contains a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


class ImstuiError(Exception):
    """Base class of every error imstui raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LocalValidationError(ImstuiError):
    """Input rejected locally before any request was sent; ``rule`` names the rule that failed."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.rule = rule


class ConfigurationError(ImstuiError):
    """Missing credentials, a refused endpoint (plain http to a non-loopback host), an unknown region, ..."""


class ApiError(ImstuiError):
    """The server answered with an error status.

    ``kind`` is ``"ims"`` (``{"error": {"code": "IMG.xxxx", "message": ...}}``), ``"gateway"``
    (``{"error_code": "APIGW.xxxx", "error_msg": ..., "request_id": ...}``) or ``"http"`` (anything else,
    e.g. an HTML page from a proxy; ``code`` is then the HTTP status as a string).
    """

    kind = "http"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.code} HTTP {self.status}: {self.message}{rid}"

    @property
    def retryable(self) -> bool:
        """Whether an idempotent request (a GET) may be retried after this answer."""
        return self.status >= 500 or self.status == 429


class ImsServiceError(ApiError):
    """An ``IMG.xxxx`` error from IMS itself."""

    kind = "ims"


class GatewayError(ApiError):
    """An ``APIGW.xxxx`` / ``APIG.xxxx`` error from the API gateway (auth, routing, throttling)."""

    kind = "gateway"


class AuthenticationError(GatewayError):
    """401/403 from the gateway: bad signature, unknown AK, clock skew, expired token, no permission."""


@dataclass(frozen=True)
class ThrottleWindow:
    """The gateway's rate limit as its 429 message states it ("policy user over ratelimit,limit:200,time:5
    minute"): ``limit`` requests per ``seconds``, for ``policy`` (``user``, ``api``, ``ip``...); parts not stated
    are None."""

    seconds: float
    limit: int | None = None
    policy: str | None = None


class ThrottledError(GatewayError):
    """429 ``APIGW.0308``: slow down; ``retry_after`` holds the server's ``Retry-After`` when it sent one (the real
    gateway sends none), ``window`` the limit read from the message when it states one."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        *,
        retry_after: float | None = None,
        window: ThrottleWindow | None = None,
    ) -> None:
        super().__init__(status, code, message, request_id, retry_after=retry_after)
        self.window = window


class HttpError(ApiError):
    """An error status whose body is not one of the two JSON error shapes."""


class TransportError(ImstuiError):
    """No usable HTTP answer: connection refused/reset, DNS, TLS, or a timeout."""

    retryable = True


class ConnectError(TransportError):
    """The request did not reach the server (nothing was sent), so even a POST may be tried again by hand."""


class RequestTimeoutError(TransportError):
    """The server did not answer in time."""


class OutcomeUnknownError(ImstuiError):
    """The copy POST may have reached IMS but no answer came back: it is never retried automatically.

    The operator must check the image list / jobs before submitting again, or a second copy is created.
    """


class ProtocolError(ImstuiError):
    """The server answered 2xx with something that is not the documented shape (HTML, truncated JSON,
    a copy answer without ``job_id``, a job without ``status``)."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class ImageNotFoundError(ImstuiError):
    """The image id is unknown (an empty list from ``GET /v2/cloudimages?id=``, or an IMG.0027-family code)."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"image not found: {image_id}")
        self.image_id = image_id


class JobNotFoundError(ImstuiError):
    """The job id is unknown to the server (never existed, or purged after finishing)."""

    def __init__(self, job_id: str, request_id: str | None = None) -> None:
        super().__init__(f"job not found: {job_id} (unknown, or purged by IMS after it finished)")
        self.job_id = job_id
        self.request_id = request_id


class ProjectDiscoveryError(ImstuiError):
    """``GET /v3/projects?name={region}`` returned zero or several projects: an explicit project id is needed."""
