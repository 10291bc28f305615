"""Signing test vectors V0-V5 (ims-api.md §6.1), checked as exact strings.

Each vector is checked twice: through the pure ``sign()`` with the headers the SDK would sign, and (V1-V5) through
``SdkHmacAuth`` on a real ``httpx.Request`` with a pinned clock, where the Authorization header and the URL that
would go on the wire must match what the SDK sends.
"""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.api.signer import (
    EMPTY_SHA256,
    SdkHmacAuth,
    canonical_request,
    format_sdk_date,
    sign,
    signed_header_names,
    string_to_sign,
)

V0_CREDS = Credentials("QTWAOYTTINDUT2QVKYUC", Secret("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"))

AK = "HPUAEXAMPLEAK1234567"
SK = "exampleSecretKey0123456789abcdefEXAMPLE0"
PROJECT = "0123456789abcdef0123456789abcdef"
DATE = "20250101T120000Z"
IMS_HOST = "ims.ap-southeast-1.myhuaweicloud.com"
IAM_HOST = "iam.ap-southeast-1.myhuaweicloud.com"
TOKEN = "EXAMPLE-SECURITY-TOKEN"

PERMANENT = Credentials(AK, Secret(SK))
TEMPORARY = Credentials(AK, Secret(SK), Secret(TOKEN))

IMAGE_ID = "4b3a5e62-5d5f-4b4a-9b5c-2e0d5f8a1c11"
JOB_ID = "ff8080828d7d1f3e018d8a1b2c3d4e5f"
V1_BODY = b'{"name": "copy-of-web01", "description": "replica"}'
V3_PARAMS = [("id", IMAGE_ID), ("__imagetype", "private"), ("name", "a b/c~é"), ("limit", "10")]
V3_QUERY = "__imagetype=private&id=4b3a5e62-5d5f-4b4a-9b5c-2e0d5f8a1c11&limit=10&name=a%20b%2Fc~%C3%A9"

SIG_HEADERS = "content-type;host;x-project-id;x-sdk-date"


def _auth(sig: str, signed: str = SIG_HEADERS, ak: str = AK) -> str:
    return f"SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed}, Signature={sig}"


V1_AUTH = _auth("3a7ef018f9183d27df1667ae1a951f892228b1a22f52c046ee0ea01f26c7a4a4")
V2_AUTH = _auth("8e5234d85e2b6c7c502c409df2e4ca7a3585c44b16ff62fa24c084627fe37ba9")
V3_AUTH = _auth("d94e6756fd7544f40f0b97a15a0f6a75d6e7527d3791adb3935b979178a09a70")
V4_AUTH = _auth("eb1daa85cb208d6bb98f793602bd8b1749c5cfb8ac4ba9d0b137c240ba81fbb1", SIG_HEADERS + ";x-security-token")
V5_AUTH = _auth("b9566c88eb7c68764a9e3897f8420aa58eb3e8e9f460ddcd59f6c57040106a00", "host;x-sdk-date")


def _pinned_clock() -> datetime:
    return datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def _ims_headers(content_type: str = "application/json", *, token: bool = False) -> dict[str, str]:
    headers = {"Content-Type": content_type, "Host": IMS_HOST, "X-Project-Id": PROJECT, "X-Sdk-Date": DATE}
    if token:
        headers["X-Security-Token"] = TOKEN
    return headers


# --- pure sign() ------------------------------------------------------------------------------------------------


def test_v0_huawei_documented_example() -> None:
    path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    query = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
    headers = {
        "Content-Type": "application/json",
        "Host": "service.region.example.com",
        "X-Sdk-Date": "20191115T033655Z",
    }
    names = signed_header_names(headers)
    canonical = canonical_request("GET", path, query, headers, names, b"")
    assert string_to_sign(canonical, "20191115T033655Z").rsplit("\n", 1)[1] == (
        "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    )
    assert sign(V0_CREDS, "GET", path, query, headers, b"") == (
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    )


def test_v1_copy_post_canonical_request_and_authorization() -> None:
    path = f"/v1/cloudimages/{IMAGE_ID}/copy"
    headers = _ims_headers("application/json;charset=UTF-8")
    names = signed_header_names(headers)
    canonical = canonical_request("POST", path, [], headers, names, V1_BODY)
    assert canonical == (
        "POST\n"
        f"/v1/cloudimages/{IMAGE_ID}/copy/\n"
        "\n"
        "content-type:application/json;charset=UTF-8\n"
        f"host:{IMS_HOST}\n"
        f"x-project-id:{PROJECT}\n"
        f"x-sdk-date:{DATE}\n"
        "\n"
        "content-type;host;x-project-id;x-sdk-date\n"
        "97ea6ab1a67833c9b0db578a3f50b119d9c714c32e792a87ffe01e68bcd2060b"
    )
    assert string_to_sign(canonical, DATE) == (
        f"SDK-HMAC-SHA256\n{DATE}\na05b7f1ac5054427e83b88bdab047e94a3431bbbbb75cd04c544aa85fbff8f86"
    )
    assert sign(PERMANENT, "POST", path, [], headers, V1_BODY) == V1_AUTH


def test_v2_get_job() -> None:
    path = f"/v1/{PROJECT}/jobs/{JOB_ID}"
    headers = _ims_headers()
    canonical = canonical_request("GET", path, [], headers, signed_header_names(headers), b"")
    lines = canonical.split("\n")
    assert lines[1] == f"/v1/{PROJECT}/jobs/{JOB_ID}/"
    assert lines[2] == ""
    assert lines[-1] == EMPTY_SHA256
    assert sign(PERMANENT, "GET", path, [], headers, b"") == V2_AUTH


def test_v3_awkward_query_is_sorted_and_rfc3986_encoded() -> None:
    headers = _ims_headers()
    canonical = canonical_request("GET", "/v2/cloudimages", V3_PARAMS, headers, signed_header_names(headers), b"")
    assert canonical.split("\n")[2] == V3_QUERY
    assert sign(PERMANENT, "GET", "/v2/cloudimages", V3_PARAMS, headers, b"") == V3_AUTH


def test_v4_temporary_credentials_sign_the_security_token() -> None:
    headers = _ims_headers(token=True)
    assert sign(TEMPORARY, "GET", f"/v1/{PROJECT}/jobs/{JOB_ID}", [], headers, b"") == V4_AUTH


def test_v5_iam_project_lookup_without_content_type_or_project() -> None:
    headers = {"Host": IAM_HOST, "X-Sdk-Date": DATE}
    query = [("name", "ap-southeast-1")]
    canonical = canonical_request("GET", "/v3/projects", query, headers, signed_header_names(headers), b"")
    assert canonical == (
        f"GET\n/v3/projects/\nname=ap-southeast-1\nhost:{IAM_HOST}\nx-sdk-date:{DATE}\n\nhost;x-sdk-date\n{EMPTY_SHA256}"
    )
    assert sign(PERMANENT, "GET", "/v3/projects", query, headers, b"") == V5_AUTH


def test_sign_refuses_a_request_without_sdk_date() -> None:
    with pytest.raises(ValueError, match="X-Sdk-Date"):
        sign(PERMANENT, "GET", "/v3/projects", [], {"Host": IAM_HOST}, b"")


def test_format_sdk_date_converts_to_utc() -> None:
    from datetime import timedelta

    local = datetime(2025, 1, 1, 20, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_sdk_date(local) == DATE
    assert format_sdk_date(_pinned_clock()) == DATE


# --- through SdkHmacAuth on a real httpx.Request ----------------------------------------------------------------


def _signed(
    request: httpx.Request, credentials: Credentials = PERMANENT, project_id: str | None = PROJECT
) -> httpx.Request:
    auth = SdkHmacAuth(credentials, project_id, clock=_pinned_clock)
    flow = auth.auth_flow(request)
    sent = next(flow)
    return sent


def test_v1_through_httpx_auth() -> None:
    request = httpx.Request(
        "POST",
        f"https://{IMS_HOST}/v1/cloudimages/{IMAGE_ID}/copy",
        headers={"Content-Type": "application/json;charset=UTF-8"},
        content=V1_BODY,
    )
    sent = _signed(request)
    assert sent.headers["Authorization"] == V1_AUTH
    assert sent.headers["X-Sdk-Date"] == DATE
    assert sent.headers["X-Project-Id"] == PROJECT
    # The URL sent has no trailing slash (only the canonical URI has one) and no query.
    assert sent.url.raw_path == f"/v1/cloudimages/{IMAGE_ID}/copy".encode()
    assert sent.content == V1_BODY


def test_v2_through_httpx_auth() -> None:
    request = httpx.Request(
        "GET", f"https://{IMS_HOST}/v1/{PROJECT}/jobs/{JOB_ID}", headers={"Content-Type": "application/json"}
    )
    sent = _signed(request)
    assert sent.headers["Authorization"] == V2_AUTH
    assert sent.url.raw_path == f"/v1/{PROJECT}/jobs/{JOB_ID}".encode()


@pytest.mark.parametrize(
    "params",
    [V3_PARAMS, list(reversed(V3_PARAMS))],
    ids=["given-order", "reversed-order"],
)
def test_v3_through_httpx_auth_sends_the_canonical_query(params: list[tuple[str, str]]) -> None:
    request = httpx.Request(
        "GET", f"https://{IMS_HOST}/v2/cloudimages", params=tuple(params), headers={"Content-Type": "application/json"}
    )
    # httpx form-encodes the space as '+'; the auth must send the SDK's form (%20) and sign that.
    assert b"+" in request.url.raw_path
    sent = _signed(request)
    assert sent.headers["Authorization"] == V3_AUTH
    assert sent.url.raw_path == f"/v2/cloudimages?{V3_QUERY}".encode()
    assert str(sent.url) == f"https://{IMS_HOST}/v2/cloudimages?{V3_QUERY}"


def test_v3_through_httpx_auth_with_a_prebuilt_query_string() -> None:
    request = httpx.Request(
        "GET",
        f"https://{IMS_HOST}/v2/cloudimages?name=a%20b%2Fc~%C3%A9&limit=10&__imagetype=private&id={IMAGE_ID}",
        headers={"Content-Type": "application/json"},
    )
    sent = _signed(request)
    assert sent.headers["Authorization"] == V3_AUTH
    assert sent.url.raw_path == f"/v2/cloudimages?{V3_QUERY}".encode()


def test_v4_through_httpx_auth_adds_the_security_token() -> None:
    request = httpx.Request(
        "GET", f"https://{IMS_HOST}/v1/{PROJECT}/jobs/{JOB_ID}", headers={"Content-Type": "application/json"}
    )
    sent = _signed(request, TEMPORARY)
    assert sent.headers["X-Security-Token"] == TOKEN
    assert sent.headers["Authorization"] == V4_AUTH


def test_v5_through_httpx_auth_without_project_or_content_type() -> None:
    request = httpx.Request("GET", f"https://{IAM_HOST}/v3/projects", params={"name": "ap-southeast-1"})
    sent = _signed(request, project_id=None)
    assert "X-Project-Id" not in sent.headers
    assert "Content-Type" not in sent.headers
    assert sent.headers["Authorization"] == V5_AUTH
    assert sent.url.raw_path == b"/v3/projects?name=ap-southeast-1"


def test_transport_headers_added_by_a_client_are_not_signed() -> None:
    """A real httpx.Client adds accept/accept-encoding/connection/user-agent; only user-agent is signed."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = SdkHmacAuth(PERMANENT, PROJECT, clock=_pinned_clock)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get(f"https://{IMS_HOST}/v1/{PROJECT}/jobs/{JOB_ID}", headers={"Content-Type": "application/json"})
    (request,) = seen
    authorization = request.headers["Authorization"]
    assert "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date," in authorization
    headers = {k: request.headers[k] for k in ("Content-Type", "Host", "User-Agent", "X-Project-Id", "X-Sdk-Date")}
    assert authorization == sign(PERMANENT, "GET", f"/v1/{PROJECT}/jobs/{JOB_ID}", [], headers, b"")


def test_repr_of_the_auth_does_not_show_the_secret() -> None:
    auth = SdkHmacAuth(TEMPORARY, PROJECT, clock=_pinned_clock)
    assert SK not in repr(auth)
    assert TOKEN not in repr(auth)
