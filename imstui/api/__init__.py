"""The UI-free IMS/IAM client: models, errors, signing, endpoints, retries and the error-code catalogue."""

from __future__ import annotations

# Names are loaded on first use (PEP 562): importing ``imstui.api.models`` (or anything under ``imstui.api``) must
# not pull in httpx through ``imstui.api.client``; the console's first screen and the headless commands that do not
# talk to IMS start faster that way.
from typing import TYPE_CHECKING

from imstui.api.lazy import lazy_attributes

if TYPE_CHECKING:
    from imstui.api.catalogue import CodeInfo, explain
    from imstui.api.client import ImsClient
    from imstui.api.credentials import Credentials, mask_ak
    from imstui.api.endpoints import KNOWN_REGIONS, check_endpoint, iam_endpoint, ims_endpoint
    from imstui.api.error_parsing import error_from_response
    from imstui.api.errors import (
        ApiError,
        AuthenticationError,
        ConfigurationError,
        ConnectError,
        GatewayError,
        HttpError,
        ImageNotFoundError,
        ImsServiceError,
        ImstuiError,
        JobNotFoundError,
        LocalValidationError,
        OutcomeUnknownError,
        ProjectDiscoveryError,
        ProtocolError,
        RequestTimeoutError,
        ThrottledError,
        TransportError,
    )
    from imstui.api.limits import Limits
    from imstui.api.models import CopyRequest, Image, Job, JobStatus, SubJob
    from imstui.api.protocol import ImsApi
    from imstui.api.retry import RetryPolicy
    from imstui.api.secret import Secret

_LAZY: dict[str, str] = {
    "ApiError": "imstui.api.errors",
    "AuthenticationError": "imstui.api.errors",
    "CodeInfo": "imstui.api.catalogue",
    "ConfigurationError": "imstui.api.errors",
    "ConnectError": "imstui.api.errors",
    "CopyRequest": "imstui.api.models",
    "Credentials": "imstui.api.credentials",
    "GatewayError": "imstui.api.errors",
    "HttpError": "imstui.api.errors",
    "Image": "imstui.api.models",
    "ImageNotFoundError": "imstui.api.errors",
    "ImsApi": "imstui.api.protocol",
    "ImsClient": "imstui.api.client",
    "ImsServiceError": "imstui.api.errors",
    "ImstuiError": "imstui.api.errors",
    "Job": "imstui.api.models",
    "JobNotFoundError": "imstui.api.errors",
    "JobStatus": "imstui.api.models",
    "KNOWN_REGIONS": "imstui.api.endpoints",
    "Limits": "imstui.api.limits",
    "LocalValidationError": "imstui.api.errors",
    "OutcomeUnknownError": "imstui.api.errors",
    "ProjectDiscoveryError": "imstui.api.errors",
    "ProtocolError": "imstui.api.errors",
    "RequestTimeoutError": "imstui.api.errors",
    "RetryPolicy": "imstui.api.retry",
    "Secret": "imstui.api.secret",
    "SubJob": "imstui.api.models",
    "ThrottledError": "imstui.api.errors",
    "TransportError": "imstui.api.errors",
    "check_endpoint": "imstui.api.endpoints",
    "error_from_response": "imstui.api.error_parsing",
    "explain": "imstui.api.catalogue",
    "iam_endpoint": "imstui.api.endpoints",
    "ims_endpoint": "imstui.api.endpoints",
    "mask_ak": "imstui.api.credentials",
}


__getattr__ = lazy_attributes(globals(), _LAZY)


__all__ = [
    "KNOWN_REGIONS",
    "ApiError",
    "AuthenticationError",
    "CodeInfo",
    "ConfigurationError",
    "ConnectError",
    "CopyRequest",
    "Credentials",
    "GatewayError",
    "HttpError",
    "Image",
    "ImageNotFoundError",
    "ImsApi",
    "ImsClient",
    "ImsServiceError",
    "ImstuiError",
    "Job",
    "JobNotFoundError",
    "JobStatus",
    "Limits",
    "LocalValidationError",
    "OutcomeUnknownError",
    "ProjectDiscoveryError",
    "ProtocolError",
    "RequestTimeoutError",
    "RetryPolicy",
    "Secret",
    "SubJob",
    "ThrottledError",
    "TransportError",
    "check_endpoint",
    "error_from_response",
    "explain",
    "iam_endpoint",
    "ims_endpoint",
    "mask_ak",
]
