"""Domain-scoped signing (EPS, a global service) against the official SDK's ``GlobalCredentials`` as the oracle.

``SdkHmacAuth(credentials, domain_id=...)`` signs a real ``httpx.Request``; the SDK signs the same logical request
through ``GlobalCredentials(ak, sk, domain_id).sign_request`` (which adds ``X-Domain-Id`` and, for temporary keys,
``X-Security-Token``, then the ``Host``). The ``Authorization`` values must be byte-identical, the request must carry
``X-Domain-Id`` and never ``X-Project-Id``, and the query sent must be the SDK's.
"""

from __future__ import annotations

import string
from datetime import datetime, timezone
from urllib.parse import quote

import httpx
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.api.signer import HEADER_DOMAIN, HEADER_PROJECT, SdkHmacAuth, format_sdk_date

_TEXT = st.characters(blacklist_categories=("Cs", "Cc"))
_AWKWARD = st.sampled_from([" ", "~", "+", "=", "&", "%", "é", "中文", "😀", "/", ",", "*"])
_word = st.one_of(_AWKWARD, st.text(string.ascii_letters + string.digits, min_size=1, max_size=6), st.text(_TEXT))
awkward = st.lists(_word, max_size=3).map("".join)

# httpx resolves "." and ".." path segments before sending (the SDK would sign them as typed): not a signing case.
_segment = st.text(string.ascii_letters + string.digits + "-_.~", min_size=1, max_size=10).filter(
    lambda s: s.strip(".")
)
segments = st.lists(_segment, max_size=4)
query_pairs = st.lists(st.tuples(awkward.filter(bool), awkward), max_size=4, unique_by=lambda kv: kv[0])
bodies = st.one_of(st.just(b""), st.text(_TEXT, max_size=30).map(lambda s: s.encode("utf-8")))
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(timezone.utc)
)
aks = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=24)
sks = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40)
tokens = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "+/=-_", min_size=1, max_size=40))
domains = st.text(string.hexdigits.lower(), min_size=32, max_size=32)
hosts = st.sampled_from(["eps.myhuaweicloud.com", "eps.eu-west-101.myhuaweicloud.eu", "127.0.0.1:8443"])
content_types = st.sampled_from([None, "application/json", "application/json;charset=UTF-8"])


def _sdk_authorization(
    *,
    credentials: GlobalCredentials,
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> tuple[str, str]:
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=list(query),
        header_params=dict(headers),
        body=body,
    )
    signed = credentials.sign_request(request)
    return signed.header_params["Authorization"], signed.uri


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    host=hosts,
    path_segments=segments,
    query=query_pairs,
    body=bodies,
    moment=moments,
    ak=aks,
    sk=sks,
    token=tokens,
    domain_id=domains,
    content_type=content_types,
)
def test_domain_scoped_signature_matches_global_credentials(
    method: str,
    host: str,
    path_segments: list[str],
    query: list[tuple[str, str]],
    body: bytes,
    moment: datetime,
    ak: str,
    sk: str,
    token: str | None,
    domain_id: str,
    content_type: str | None,
) -> None:
    path = "/" + "/".join(quote(s, safe="") for s in path_segments)
    headers = {"Content-Type": content_type} if content_type else {}
    request = httpx.Request(method, f"https://{host}{path}", params=tuple(query), headers=headers, content=body or None)
    credentials = Credentials(ak, Secret(sk), Secret(token) if token else None)
    sent = next(SdkHmacAuth(credentials, domain_id=domain_id, clock=lambda: moment).auth_flow(request))

    sdk_credentials = GlobalCredentials(ak, sk, domain_id)
    if token:
        sdk_credentials = sdk_credentials.with_security_token(token)
    sdk_headers = {**headers, "X-Sdk-Date": format_sdk_date(moment)}
    expected, sdk_uri = _sdk_authorization(
        credentials=sdk_credentials, method=method, host=host, path=path, query=query, headers=sdk_headers, body=body
    )

    assert sent.headers["Authorization"] == expected
    assert sent.headers[HEADER_DOMAIN] == domain_id
    assert HEADER_PROJECT not in sent.headers
    assert sent.url.raw_path.decode("ascii") == sdk_uri


def test_project_scoped_auth_sends_no_domain_header() -> None:
    """The IMS/KMS signer is unchanged: X-Project-Id and no X-Domain-Id (what the project-signer oracle pins)."""
    request = httpx.Request("GET", "https://ims.ap-southeast-1.myhuaweicloud.com/v2/cloudimages")
    sent = next(SdkHmacAuth(Credentials("AK", Secret("SK")), "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5").auth_flow(request))
    assert sent.headers[HEADER_PROJECT] == "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"
    assert HEADER_DOMAIN not in sent.headers


def test_repr_names_the_domain_but_never_the_secret() -> None:
    auth = SdkHmacAuth(Credentials("HPUAEXAMPLEAK1234567", Secret("very-secret-sk")), domain_id="d0e1")
    assert "domain_id='d0e1'" in repr(auth)
    assert "very-secret-sk" not in repr(auth)
