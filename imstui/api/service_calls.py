"""Calls to the services next to IMS (KMS, EPS, IMS image tags) through an :class:`ImsClient`'s plumbing.

The KMS/EPS/tag clients do not open connections of their own: they use the ImsClient's ``httpx`` client (one
connection pool, the environment's proxy and CA settings, the injected transport of ``--demo`` and the tests), its
credentials and project discovery, its retry policy and its error mapping (``_send``: httpx errors become imstui
errors; :func:`error_from_response`: error answers become :class:`ApiError`). Only read-only or idempotent requests
go through here (list-keys and describe-key are POSTs that change nothing; a tag ``create`` is idempotent by the
IMS documentation), so each may be retried like a GET.

Endpoints: KMS is regional (``kms.{region}.myhuaweicloud.com``; eu-west-101 on ``.myhuaweicloud.eu``, from
``huaweicloudsdkkms/v2/region/kms_region.py``); EPS is global (``eps.myhuaweicloud.com``) except the regions the
SDK's ``huaweicloudsdkeps/v1/region/eps_region.py`` lists with a host of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from imstui.api.client import JSON_CONTENT_TYPE, ImsClient
from imstui.api.endpoints import check_endpoint, check_region, is_loopback_host
from imstui.api.error_parsing import error_from_response
from imstui.api.retry import RetryPolicy, call_with_retries
from imstui.api.signer import SdkHmacAuth

EPS_GLOBAL_ENDPOINT = "https://eps.myhuaweicloud.com"
_EPS_OWN_HOST: Mapping[str, str] = {
    "eu-west-101": "https://eps.eu-west-101.myhuaweicloud.eu",
    "ru-moscow-1": "https://eps.ru-moscow-1.myhuaweicloud.com",
    "my-kualalumpur-1": "https://eps.my-kualalumpur-1.myhuaweicloud.com",
}
_KMS_OWN_HOST: Mapping[str, str] = {"eu-west-101": "https://kms.eu-west-101.myhuaweicloud.eu"}
_JSON_HEADERS: Mapping[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
_NO_RETRIES = RetryPolicy.no_retries()


def kms_endpoint(region: str) -> str:
    """The default KMS endpoint of ``region``."""
    value = check_region(region)
    return _KMS_OWN_HOST.get(value, f"https://kms.{value}.myhuaweicloud.com")


def eps_endpoint(region: str) -> str:
    """The default EPS endpoint for ``region``: the global one unless the region has its own."""
    return _EPS_OWN_HOST.get(check_region(region), EPS_GLOBAL_ENDPOINT)


def service_endpoint(ims: ImsClient, explicit: str | None, default: str) -> str:
    """``explicit`` (checked: plain http only to loopback) if given; else, when IMS itself is on a loopback
    endpoint (the simulator, which serves every service on its one port), the IMS endpoint; else ``default``."""
    if explicit and explicit.strip():
        return check_endpoint(explicit)
    host = httpx.URL(ims.ims_endpoint).host
    if is_loopback_host(host):
        return ims.ims_endpoint
    return check_endpoint(default)


def project_auth(ims: ImsClient, project_id: str) -> SdkHmacAuth:
    """The project-scoped signer IMS calls use (``X-Project-Id``): KMS and the tag routes are signed the same way."""
    return ims._ims_auth(project_id)  # one signer per project, shared with the IMS calls


def domain_auth(ims: ImsClient, domain_id: str | None) -> SdkHmacAuth:
    """A signer for global services (``X-Domain-Id``), or with no scope at all (IAM's domain list)."""
    return SdkHmacAuth(ims._credentials, domain_id=domain_id)


async def call(
    ims: ImsClient,
    method: str,
    url: str,
    *,
    auth: SdkHmacAuth,
    what: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    json_content_type: bool = True,
    retry: bool = True,
) -> httpx.Response:
    """One signed request (retried on connection errors, timeouts, 5xx and 429 unless ``retry`` is false);
    an error answer raises the matching :class:`ApiError`."""
    content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = _JSON_HEADERS if json_content_type else {}

    async def attempt() -> httpx.Response:
        response = await ims._send(  # the client's transport-error mapping
            method, url, params=params, content=content, headers=headers, auth=auth, idempotent=True, what=what
        )
        if not response.is_success:
            raise error_from_response(response)
        return response

    return await call_with_retries(ims._retry if retry else _NO_RETRIES, attempt)


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The answer as a JSON object, else :class:`ProtocolError` naming ``what`` and showing a snippet."""
    return ImsClient._json_object(response, what)
