"""``SdkHmacAuth`` signs exactly what goes on the wire.

A request is built by httpx, passed through ``SdkHmacAuth`` and then serialised the way httpx/httpcore do it
(an ``h11.Request`` with ``request.url.raw_path`` as the target and ``request.headers.raw``, then the body) and
parsed back by an h11 *server* connection. A verifier that only sees those received bytes rebuilds the canonical
request with the pure functions of ``imstui.api.signer`` and checks the signature, so any re-serialisation after
signing (query, path, headers or body) would fail. The query sent must be the canonical query (as the SDK sends
it), and where the SDK would sign the same headers, its Authorization must be identical to ours.

One test does the same through a real socket on 127.0.0.1 with an ``httpx.Client``.
"""

from __future__ import annotations

import re
import socket
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, quote_plus

import h11
import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.api.signer import (
    SdkHmacAuth,
    canonical_query,
    canonical_request,
    parse_raw_query,
    signature,
    string_to_sign,
)

AK = "HPUAEXAMPLEAK1234567"
DATE = "20250101T120000Z"
_AUTH_RE = re.compile(r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def _pinned_clock() -> datetime:
    return datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


@dataclass
class Received:
    """What a server sees: method, request target, raw header lines and body bytes."""

    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.decode("ascii").lower() == name.lower()]
        assert len(values) <= 1, f"header {name} sent more than once"
        return values[0].decode("utf-8") if values else None


def _drain(conn: h11.Connection) -> Received:
    request: h11.Request | None = None
    body = b""
    while True:
        ev = conn.next_event()
        if isinstance(ev, h11.Request):
            request = ev
        elif isinstance(ev, h11.Data):
            body += bytes(ev.data)
        elif isinstance(ev, h11.EndOfMessage):
            break
        else:
            raise AssertionError(f"incomplete request: {ev!r}")
    assert request is not None
    return Received(request.method.decode("ascii"), bytes(request.target), list(request.headers.raw_items()), body)


def over_the_wire(request: httpx.Request) -> Received:
    """Serialise as httpx+httpcore do (target = ``url.raw_path``, raw header list), then parse as a server."""
    client = h11.Connection(h11.CLIENT)
    data = client.send(h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw))
    assert data is not None
    content = request.content
    if content:
        data += client.send(h11.Data(data=content)) or b""
    data += client.send(h11.EndOfMessage()) or b""
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    return _drain(server)


def verify(received: Received, sk: str) -> tuple[list[str], str]:
    """Server-side check from received bytes only. Returns (signed header names, Authorization)."""
    authorization = received.header("Authorization")
    assert authorization is not None
    match = _AUTH_RE.match(authorization)
    assert match, authorization
    names = match.group(2).split(";")
    headers: dict[str, str] = {}
    for name in names:
        value = received.header(name)
        assert value is not None, f"signed header {name} not on the wire"
        headers[name] = value
    date = headers["x-sdk-date"]
    raw_path, _, raw_query = received.target.partition(b"?")
    canonical = canonical_request(
        received.method, raw_path.decode("ascii"), parse_raw_query(raw_query), headers, names, received.body
    )
    assert signature(sk, string_to_sign(canonical, date)) == match.group(3), canonical
    return names, authorization


# --- strategies -------------------------------------------------------------------------------------------------

_TEXT = st.characters(blacklist_categories=["Cs"])
_AWKWARD = [" ", "~", "/", "+", "=", "&", "%", "%2F", "%20", "%zz", "é", "中文", "😀", ";", ",", "'", "*", "[]", "|"]
_piece = st.one_of(st.sampled_from(_AWKWARD), st.text(_TEXT, max_size=5), st.text(string.ascii_letters, max_size=5))
awkward_text = st.lists(_piece, max_size=4).map("".join)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(awkward_text.map(lambda s: s.replace("/", "")), max_size=4))
    style = draw(st.sampled_from(["quoted", "raw", "partly-quoted"]))
    if style == "quoted":
        segments = [quote(s, safe="") for s in segments]
    elif style == "partly-quoted":
        segments = [quote(s, safe="%~!$'()*+,;=:@") for s in segments]
    else:  # raw text in the URL string: '?' and '#' would end the path, so they are not drawn here
        segments = [s.replace("?", "").replace("#", "") for s in segments]
    event(f"path style={style}")
    path = "/" + "/".join(segments)
    if draw(st.booleans()) and not path.endswith("/"):
        path += "/"
    return path


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str | None]:
    """(logical pairs, raw query to put in the URL or None to use httpx ``params=``)."""
    keys = draw(st.lists(awkward_text, max_size=4, unique=True))
    pairs = [(k, v) for k in keys for v in draw(st.lists(awkward_text, min_size=1, max_size=3))]
    pairs = [pairs[i] for i in draw(st.permutations(range(len(pairs))))]
    style = draw(st.sampled_from(["params", "quote", "quote_plus"]))
    event(f"query style={style} pairs={min(len(pairs), 3)}")
    if style == "params":
        return pairs, None
    encode = quote if style == "quote" else quote_plus
    return pairs, "&".join(f"{encode(k, safe='')}={encode(v, safe='')}" for k, v in pairs)


_RESERVED = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
    "keep-alive",
    "expect",
    "authorization",
    "x-sdk-date",
    "x-project-id",
    "x-security-token",
    "content-type",
    "x-sdk-content-sha256",
}
header_names = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=10).filter(
    lambda n: n.lower() not in _RESERVED
)
# h11 refuses values with leading/trailing whitespace or control characters, so the wire cannot carry them; the
# oracle test covers stripping. Non-ASCII values go to httpx as UTF-8 bytes (as the SDK sends them).
header_values = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"), blacklist_characters="\x85\xa0"),
    min_size=1,
    max_size=12,
).flatmap(lambda core: st.sampled_from([core, core[:1] + " \t " + core[1:]] if len(core) > 1 else [core]))


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, bytes]:
    names = draw(st.lists(header_names, max_size=4, unique_by=str.lower))
    headers = {n: draw(header_values).encode("utf-8") for n in names}
    content_type = draw(
        st.sampled_from([None, "application/json", "application/json;charset=UTF-8", "text/plain", "application/bson"])
    )
    if content_type is not None:
        headers[draw(st.sampled_from(["Content-Type", "content-type"]))] = content_type.encode()
    return headers


hosts = st.sampled_from(
    [
        ("https", "ims.ap-southeast-1.myhuaweicloud.com"),
        ("http", "127.0.0.1:8443"),
        ("https", "localhost:443"),  # httpx drops the default port from the Host header: we must sign that
        ("http", "localhost:80"),
    ]
)
tokens = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "+/=-", min_size=1, max_size=40))
projects = st.one_of(st.none(), st.text("0123456789abcdef", min_size=32, max_size=32))
sks = st.text(_TEXT, min_size=1, max_size=30)


def sdk_authorization(
    *, sk: str, token: str | None, project_id: str | None, received: Received, pairs: list[tuple[str, Any]]
) -> tuple[str, str] | None:
    """The SDK's Authorization and URI for the same logical request, or None where it would sign differently."""
    sdk_headers: dict[str, str] = {}
    for raw_name, raw_value in received.headers:
        name = raw_name.decode("ascii")
        if name.lower() in {"x-project-id", "x-security-token", "authorization"}:
            continue  # the SDK's credentials add these themselves
        if name.lower() in {"content-length", "accept", "accept-encoding", "connection"}:
            continue  # added by the HTTP library below the SDK, never in its header_params
        sdk_headers[name] = raw_value.decode("utf-8")
    content_type = sdk_headers.get("Content-Type")
    if content_type and not content_type.startswith(("application/json", "application/bson")):
        return None  # the SDK would add and sign X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD; SdkHmacAuth signs the body
    credentials = BasicCredentials(AK, sk, project_id)
    if token is not None:
        credentials = credentials.with_security_token(token)
    raw_path = received.target.partition(b"?")[0].decode("ascii")
    request = SdkRequest(
        method=received.method,
        schema="https",
        host=sdk_headers.get("Host", ""),
        resource_path=raw_path,
        query_params=list(pairs),
        header_params=sdk_headers,
        body=received.body,
    )
    signed = credentials.sign_request(request)
    return signed.header_params["Authorization"], signed.uri


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    host=hosts,
    path=paths(),
    query=queries(),
    headers=header_sets(),
    body=st.one_of(st.just(b""), st.binary(min_size=1, max_size=64)),
    sk=sks,
    token=tokens,
    project_id=projects,
)
def test_signature_verifies_from_the_bytes_on_the_wire(
    method: str,
    host: tuple[str, str],
    path: str,
    query: tuple[list[tuple[str, str]], str | None],
    headers: dict[str, bytes],
    body: bytes,
    sk: str,
    token: str | None,
    project_id: str | None,
) -> None:
    scheme, netloc = host
    pairs, raw_query = query
    url = f"{scheme}://{netloc}{path}" + (f"?{raw_query}" if raw_query else "")
    try:
        request = httpx.Request(
            method,
            url,
            params=tuple(pairs) if raw_query is None else None,
            headers=headers,  # type: ignore[arg-type]  # str names, byte values: httpx takes them
            content=body or None,
        )
    except httpx.InvalidURL:
        assume(False)  # e.g. a raw path httpx refuses to build; nothing is sent, nothing to sign
        raise
    # The query httpx built decodes back to the logical pairs (form '+' or '%20' for a space). httpx groups
    # repeated keys together, so only the multiset is compared; the canonical query sorts anyway.
    assert sorted(parse_raw_query(request.url.raw_path.partition(b"?")[2])) == sorted(pairs)

    credentials = Credentials(AK, Secret(sk), Secret(token) if token is not None else None)
    sent = next(SdkHmacAuth(credentials, project_id, clock=_pinned_clock).auth_flow(request))
    received = over_the_wire(sent)

    names, authorization = verify(received, sk)

    # The query on the wire is the canonical one (what the SDK sends), and nothing else changed.
    raw_path, _, wire_query = received.target.partition(b"?")
    assert wire_query.decode("ascii") == canonical_query(pairs)
    if not pairs:
        assert b"?" not in received.target  # like the SDK: no dangling '?'
    assert raw_path == request.url.raw_path.partition(b"?")[0]
    assert received.body == body

    # Every header we added is signed; transport headers are not.
    assert {"host", "x-sdk-date"} <= set(names)
    assert ("x-project-id" in names) == bool(project_id)
    assert ("x-security-token" in names) == (token is not None)
    assert "content-length" not in names
    assert received.header("Host") == (netloc.rsplit(":", 1)[0] if netloc.endswith((":443", ":80")) else netloc)

    sdk = sdk_authorization(sk=sk, token=token, project_id=project_id, received=received, pairs=pairs)
    event(f"sdk comparable={sdk is not None}")
    if sdk is not None:
        sdk_auth, sdk_uri = sdk
        assert authorization == sdk_auth
        assert received.target.decode("ascii") == sdk_uri


# --- a real socket on 127.0.0.1 ---------------------------------------------------------------------------------


class _CaptureServer:
    """Accepts HTTP/1.1 requests on 127.0.0.1, parses them with h11 and records what arrived."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port: int = self.sock.getsockname()[1]
        self.received: list[Received] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        h = h11.Connection(h11.SERVER)
        while True:
            request: h11.Request | None = None
            body = b""
            while True:
                ev = h.next_event()
                if ev is h11.NEED_DATA:
                    data = conn.recv(65536)
                    if not data:
                        return
                    h.receive_data(data)
                    continue
                if isinstance(ev, h11.Request):
                    request = ev
                elif isinstance(ev, h11.Data):
                    body += bytes(ev.data)
                elif isinstance(ev, h11.EndOfMessage):
                    break
                else:
                    return
            assert request is not None
            self.received.append(
                Received(request.method.decode(), bytes(request.target), list(request.headers.raw_items()), body)
            )
            reply = h.send(h11.Response(status_code=200, headers=[("Content-Length", "2")])) or b""
            reply += h.send(h11.Data(data=b"{}")) or b""
            reply += h.send(h11.EndOfMessage()) or b""
            conn.sendall(reply)
            h.start_next_cycle()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def capture_server() -> Iterator[_CaptureServer]:
    server = _CaptureServer()
    yield server
    server.close()


SK = "exampleSecretKey0123456789abcdefEXAMPLE0"
PROJECT = "0123456789abcdef0123456789abcdef"


def test_real_socket_requests_verify_and_match_the_sdk(capture_server: _CaptureServer) -> None:
    credentials = Credentials(AK, Secret(SK), Secret("EXAMPLE-SECURITY-TOKEN"))
    auth = SdkHmacAuth(credentials, PROJECT, clock=_pinned_clock)
    body = b'{"name": "copy-of-web01", "description": "r\\u00e9plica"}'
    v3 = [("id", "4b3a5e62"), ("__imagetype", "private"), ("name", "a b/c~é+x"), ("tag", "b"), ("tag", "a")]
    base = f"http://127.0.0.1:{capture_server.port}"
    with httpx.Client(auth=auth, base_url=base, timeout=10) as client:
        client.post(
            "/v1/cloudimages/4b3a5e62/copy",
            content=body,
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )
        client.get("/v2/cloudimages", params=tuple(v3), headers={"Content-Type": "application/json"})
        client.get("/v1/p%20q/jobs/%E4%B8%AD/", headers={"Content-Type": "application/json", "X_Trace": "t"})
    copy, listing, job = capture_server.received
    logical_queries: list[list[tuple[str, str]]] = [[], v3, []]
    for received, pairs in zip((copy, listing, job), logical_queries, strict=True):
        names, authorization = verify(received, SK)
        assert "user-agent" in names  # httpx's User-Agent is sent unchanged, so it can be signed
        assert "accept-encoding" not in names and "connection" not in names
        sdk = sdk_authorization(
            sk=SK, token="EXAMPLE-SECURITY-TOKEN", project_id=PROJECT, received=received, pairs=pairs
        )
        assert sdk is not None
        assert authorization == sdk[0]
        assert received.target.decode("ascii") == sdk[1]
    assert copy.body == body
    assert listing.target == b"/v2/cloudimages?__imagetype=private&id=4b3a5e62&name=a%20b%2Fc~%C3%A9%2Bx&tag=a&tag=b"
    assert job.target == b"/v1/p%20q/jobs/%E4%B8%AD/"
    assert job.header("X_Trace") == "t"
    assert "x_trace" not in verify(job, SK)[0]  # names with '_' are never signed (the SDK's rule)


def test_tampering_with_any_signed_part_breaks_verification() -> None:
    """The verifier above is not vacuous: change the query, a signed header or the body and it fails."""
    credentials = Credentials(AK, Secret(SK))
    request = httpx.Request(
        "POST",
        "https://ims.example.com/v1/x",
        params={"a": "1"},
        headers={"Content-Type": "application/json"},
        content=b"{}",
    )
    sent = next(SdkHmacAuth(credentials, PROJECT, clock=_pinned_clock).auth_flow(request))
    good = over_the_wire(sent)
    verify(good, SK)
    tampered = [
        Received(good.method, good.target.replace(b"a=1", b"a=2"), good.headers, good.body),
        Received(good.method, good.target, good.headers, b"[]"),
        Received(
            good.method,
            good.target,
            [(k, b"ffff" if k.lower() == b"x-project-id" else v) for k, v in good.headers],
            good.body,
        ),
        Received("PUT", good.target, good.headers, good.body),
    ]
    for bad in tampered:
        with pytest.raises(AssertionError):
            verify(bad, SK)
    with pytest.raises(AssertionError):
        verify(good, SK + "x")
