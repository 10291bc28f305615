"""Our pure ``sign()`` against the official SDK's ``Signer`` (huaweicloudsdkcore 3.1.219) as a test oracle.

The SDK is used only here, in tests. Requests are built as the SDK builds them (``SdkRequest`` with
``resource_path``, ``query_params`` as a list of ``(key, value)`` tuples, ``header_params`` dict, ``host`` netloc) and
signed through ``BasicCredentials.sign_request`` with a pinned ``X-Sdk-Date``. The same logical request is given to
our ``sign()`` with the headers the SDK would add before signing (Host, X-Project-Id, X-Security-Token and, for a
non-JSON Content-Type, ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD``) and the two Authorization values must be
byte-identical.

How the SDK represents things (read from ``client.py``/``http_utils.py``/``signer.py``):

* Path parameters are substituted ``quote(str(v), safe='')``-encoded into ``resource_path``; the signer then
  ``unquote``s the whole path, splits on ``/`` and re-encodes each segment with ``quote(seg, safe='~')``. So a ``%2F``
  inside a parameter becomes a segment separator in the canonical URI. We feed both signers the same path string,
  either raw (unencoded text, including stray ``%``) or SDK-style encoded segments.
* Query parameters: the client expands list values ("multi" collection format) into repeated ``(key, value)``
  tuples. The signer itself also accepts a list value in one tuple (sorted in place and emitted as repeated ``k=v``).
  It sorts the tuples with ``list.sort()`` *before* sorting any list value, so: (a) a key given both as a str tuple
  and a list tuple raises ``TypeError`` (str vs list comparison); (b) two list tuples for one key are ordered by the
  unsorted lists, not globally. The client never produces either shape, so the strategy gives each key either plain
  repeated tuples or exactly one list tuple.
* Header names: the SDK signs every ``header_params`` key without ``_`` (lower-cased, *not* de-duplicated); a dict
  with two keys equal case-insensitively would make it list a name twice, which neither httpx nor the SDK's own
  client produces, so names are unique case-insensitively.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.api.signer import HEADER_CONTENT_SHA256, sign

SDK_RESERVED_HEADERS = {
    "host",
    "x-sdk-date",
    "x-project-id",
    "x-security-token",
    "authorization",
    "content-type",
    "x-sdk-content-sha256",
}


def sdk_authorization(
    *,
    ak: str,
    sk: str,
    token: str | None,
    project_id: str | None,
    method: str,
    host: str,
    path: str,
    query_params: list[tuple[str, Any]],
    headers: dict[str, str],
    body: bytes | str,
) -> tuple[str, str]:
    """Sign with the SDK; return (Authorization, request.uri the SDK would send)."""
    credentials = BasicCredentials(ak, sk, project_id)
    if token is not None:
        credentials = credentials.with_security_token(token)
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        query_params=query_params,
        header_params=dict(headers),
        body=body,
    )
    signed = credentials.sign_request(request)
    return signed.header_params["Authorization"], signed.uri


def headers_sdk_signs(
    headers: dict[str, str], *, host: str, project_id: str | None, token: str | None
) -> dict[str, str]:
    """The headers the SDK adds before signing (credentials.sign_request + Signer.sign), mirrored for ``sign()``."""
    result = dict(headers)
    if token is not None:
        result["X-Security-Token"] = token
    if project_id:
        result["X-Project-Id"] = project_id
    content_type = headers.get("Content-Type")  # the SDK looks this key up case-sensitively
    if content_type and not content_type.startswith(("application/json", "application/bson")):
        result[HEADER_CONTENT_SHA256] = "UNSIGNED-PAYLOAD"
    if not any(k.lower() == "host" for k in result):
        result["Host"] = host
    return result


# --- strategies -------------------------------------------------------------------------------------------------

_TEXT_CHARS = st.characters(blacklist_categories=["Cs"])  # surrogates cannot be UTF-8 encoded by either signer
_AWKWARD_NO_SLASH = [
    " ",
    "~",
    "+",
    "=",
    "&",
    "%",
    "%2F",
    "%20",
    "%zz",
    "%C3%A9",
    "é",
    "中文",
    "😀",
    "?",
    "#",
    ";",
    ",",
    "'",
    "*",
]
_AWKWARD = st.sampled_from(["/", *_AWKWARD_NO_SLASH])
_piece = st.one_of(_AWKWARD, st.text(alphabet=_TEXT_CHARS, max_size=6), st.text(string.ascii_letters, max_size=6))
awkward_text = st.lists(_piece, max_size=4).map("".join)

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", "post"])

_segment = st.lists(st.one_of(st.sampled_from(_AWKWARD_NO_SLASH), st.text(_TEXT_CHARS, max_size=5)), max_size=3).map(
    "".join
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_segment, max_size=5))  # empty strings give empty segments ("//")
    if draw(st.booleans()):
        segments = [quote(s, safe="") for s in segments]  # how the SDK substitutes path parameters
    path = "/" + "/".join(segments)
    if draw(st.booleans()) and not path.endswith("/"):
        path += "/"
    return path


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[tuple[str, Any]]]:
    """Return (pairs for our signer, the SDK's query_params for the same logical query)."""
    keys = draw(st.lists(awkward_text, max_size=4, unique=True))
    ours: list[tuple[str, str]] = []
    sdk: list[tuple[str, Any]] = []
    for key in keys:
        values = draw(st.lists(awkward_text, min_size=1, max_size=3))  # >1 value = repeated key
        ours.extend((key, v) for v in values)
        if len(values) > 1 and draw(st.booleans()):
            sdk.append((key, list(values)))  # one list-valued tuple
        else:
            sdk.extend((key, v) for v in values)  # what the client's "multi" collection format produces
    order = draw(st.permutations(range(len(sdk))))
    return ours, [sdk[i] for i in order]


_HEADER_NAME_CHARS = string.ascii_letters + string.digits + "-_!#$%&'*+.^`|~"
header_names = st.text(_HEADER_NAME_CHARS, min_size=1, max_size=12).filter(
    lambda n: n.lower() not in SDK_RESERVED_HEADERS
)
header_values = st.builds(
    lambda pre, core, post: pre + core + post,
    st.sampled_from(["", " ", "  ", "\t"]),
    awkward_text,
    st.sampled_from(["", " ", "\t ", "  "]),
)


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, str]:
    names = draw(st.lists(header_names, max_size=5, unique_by=str.lower))
    headers = {name: draw(header_values) for name in names}
    content_type = draw(
        st.sampled_from(
            [
                None,
                "application/json",
                "application/json;charset=UTF-8",
                "application/bson",
                "text/plain",
                "application/octet-stream",
                "multipart/form-data; boundary=x",
                " application/json",  # leading space: not startswith(application/json) for the SDK
            ]
        )
    )
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.integers(0, 9)) == 0:
        # A caller-supplied payload hash (ASCII: the SDK re-encodes stripped header values to latin-1 before
        # reading this one, which only matters for non-ASCII).
        headers["X-Sdk-Content-Sha256"] = draw(st.sampled_from(["UNSIGNED-PAYLOAD", " UNSIGNED-PAYLOAD ", "  ", "ab"]))
    return headers


dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.strftime("%Y%m%dT%H%M%SZ")
)
hosts = st.sampled_from(
    ["ims.ap-southeast-1.myhuaweicloud.com", "iam.cn-north-4.myhuaweicloud.com", "127.0.0.1:8443", "localhost:80"]
)
bodies = st.one_of(st.just(b""), st.binary(max_size=64), st.text(_TEXT_CHARS, max_size=20))
aks = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=24)
sks = st.text(_TEXT_CHARS, min_size=1, max_size=40)
tokens = st.one_of(st.none(), st.text(_TEXT_CHARS, min_size=1, max_size=40))
projects = st.one_of(st.none(), st.text(string.hexdigits.lower(), min_size=32, max_size=32))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=methods,
    path=paths(),
    query=queries(),
    headers=header_sets(),
    body=bodies,
    date=dates,
    host=hosts,
    ak=aks,
    sk=sks,
    token=tokens,
    project_id=projects,
)
def test_sign_matches_the_sdk_signer(
    method: str,
    path: str,
    query: tuple[list[tuple[str, str]], list[tuple[str, Any]]],
    headers: dict[str, str],
    body: bytes | str,
    date: str,
    host: str,
    ak: str,
    sk: str,
    token: str | None,
    project_id: str | None,
) -> None:
    ours_query, sdk_query = query
    # Coverage notes, visible with --hypothesis-show-statistics.
    event(f"query tuples={min(len(ours_query), 3)} list-valued={any(isinstance(v, list) for _, v in sdk_query)}")
    event(f"path has %={'%' in path} non-ascii={not path.isascii()}")
    event(f"token={token is not None} project={project_id is not None} body={bool(body)}")
    event(f"content-type={headers.get('Content-Type')!r}")
    headers = {**headers, "X-Sdk-Date": date}
    expected, _ = sdk_authorization(
        ak=ak,
        sk=sk,
        token=token,
        project_id=project_id,
        method=method,
        host=host,
        path=path,
        query_params=sdk_query,
        headers=headers,
        body=body,
    )
    credentials = Credentials(ak, Secret(sk), Secret(token) if token is not None else None)
    to_sign = headers_sdk_signs(headers, host=host, project_id=project_id, token=token)
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    assert sign(credentials, method, path, ours_query, to_sign, body_bytes) == expected


# --- targeted regressions / documented SDK behaviour ------------------------------------------------------------

AK = "HPUAEXAMPLEAK1234567"
SK = "exampleSecretKey0123456789abcdefEXAMPLE0"
DATE = "20250101T120000Z"
HOST = "ims.ap-southeast-1.myhuaweicloud.com"


def _both(
    path: str, ours_query: list[tuple[str, str]], sdk_query: list[tuple[str, Any]], headers: dict[str, str], body: bytes
) -> tuple[str, str]:
    headers = {**headers, "X-Sdk-Date": DATE}
    expected, _ = sdk_authorization(
        ak=AK,
        sk=SK,
        token=None,
        project_id=None,
        method="GET",
        host=HOST,
        path=path,
        query_params=sdk_query,
        headers=headers,
        body=body,
    )
    to_sign = headers_sdk_signs(headers, host=HOST, project_id=None, token=None)
    return sign(Credentials(AK, Secret(SK)), "GET", path, ours_query, to_sign, body), expected


@pytest.mark.parametrize(
    "path",
    ["/", "//", "/a//b/", "/a%2Fb", "/100%", "/%zz/%C3%A9", "/é/中/😀", "/a b/c+d", "/~user/x.y_z-"],
)
def test_paths_match_the_sdk(path: str) -> None:
    ours, expected = _both(path, [], [], {}, b"")
    assert ours == expected


def test_repeated_key_as_list_or_as_tuples_signs_the_same() -> None:
    pairs = [("tag", "b"), ("tag", "a"), ("tag", "a b")]
    ours, as_list = _both("/v2/cloudimages", pairs, [("tag", ["b", "a", "a b"])], {}, b"")
    _, as_tuples = _both("/v2/cloudimages", pairs, list(pairs), {}, b"")
    assert ours == as_list == as_tuples


def test_boolean_query_values_are_lower_case_in_the_sdk() -> None:
    """The SDK signs ``True`` as ``true``; our signer takes strings, so callers must pass ``"true"``."""
    ours, expected = _both("/v2/cloudimages", [("flag", "true")], [("flag", True)], {}, b"")
    assert ours == expected


def test_caller_supplied_payload_hash_is_stripped_like_the_sdk() -> None:
    """Regression: the SDK reads X-Sdk-Content-Sha256 after stripping header values; we must too."""
    headers = {"Content-Type": "application/json", "X-Sdk-Content-Sha256": " UNSIGNED-PAYLOAD "}
    ours, expected = _both("/v1/x", [], [], headers, b"{}")
    assert ours == expected


def test_non_json_content_type_signs_unsigned_payload() -> None:
    ours, expected = _both("/v1/x", [], [], {"Content-Type": "text/plain"}, b"hello")
    assert ours == expected
    assert "x-sdk-content-sha256" in expected


def test_mixed_list_and_str_values_for_one_key_make_the_sdk_raise() -> None:
    """Why the property strategy never mixes a list tuple and str tuples for one key."""
    request = SdkRequest(method="GET", host=HOST, resource_path="/", query_params=[("k", "a"), ("k", ["b"])])
    with pytest.raises(TypeError):
        Signer.process_canonical_query_string(request)


def test_sdk_uri_sent_is_the_canonical_query() -> None:
    """The SDK sends the canonical query string as the request's query (what SdkHmacAuth mirrors)."""
    _, uri = sdk_authorization(
        ak=AK,
        sk=SK,
        token=None,
        project_id=None,
        method="GET",
        host=HOST,
        path="/v2/cloudimages",
        query_params=[("name", "a b/c~é"), ("limit", 10)],
        headers={"X-Sdk-Date": DATE},
        body=b"",
    )
    assert uri == "/v2/cloudimages?limit=10&name=a%20b%2Fc~%C3%A9"


def test_pinned_date_is_required_for_stable_signatures() -> None:
    """Same inputs, different X-Sdk-Date: different signature (the date really is signed)."""
    later = (datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc) + timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    creds = Credentials(AK, Secret(SK))
    first = sign(creds, "GET", "/", [], {"Host": HOST, "X-Sdk-Date": DATE}, b"")
    second = sign(creds, "GET", "/", [], {"Host": HOST, "X-Sdk-Date": later}, b"")
    assert first != second
