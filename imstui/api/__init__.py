"""The UI-free IMS/IAM client: models, errors, signing, endpoints, retries and the error-code catalogue."""

from __future__ import annotations

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
from imstui.api.models import CopyRequest, Image, Job, JobStatus, Project, SubJob
from imstui.api.protocol import ImsApi
from imstui.api.retry import RetryPolicy
from imstui.api.secret import Secret

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
    "LocalValidationError",
    "OutcomeUnknownError",
    "Project",
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
