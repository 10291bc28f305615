"""``PreparedGet`` (the lean GET path's signer) sends exactly what httpx + ``SdkHmacAuth`` send for the same GET:
the same request line, the same headers in the same order with the same values, the same ``Authorization``. The
oracle is the httpx path itself, which test_signer_wire / test_signer_oracle tie to the official SDK."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError
from imstui.api.secret import Secret
from imstui.api.signer import SdkHmacAuth

CLIENT_HEADERS = {"User-Agent": "imstui/0.1.0", "Accept-Encoding": "gzip, deflate"}
JSON = {"Content-Type": "application/json;charset=UTF-8"}
START = datetime(2020, 1, 1, tzinfo=timezone.utc)
CLIENT = httpx.Client(headers=CLIENT_HEADERS)  # builds requests only: nothing is sent


def _httpx_head(auth: SdkHmacAuth, url: str, json_type: bool) -> bytes:
    request = CLIENT.build_request("GET", url, headers=JSON if json_type else None)
    auth.sign_request(request)
    lines = [b"GET " + request.url.raw_path + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _prepared_head(auth: SdkHmacAuth, url: str, json_type: bool) -> bytes:
    parsed = httpx.URL(url)
    own = [(n.decode(), v.decode()) for n, v in CLIENT.headers.raw]
    headers = [("Host", parsed.netloc.decode()), *own, *(JSON.items() if json_type else ())]
    return auth.prepared_get(headers).head(parsed.raw_path.decode("ascii"))


utf8 = st.characters(codec="utf-8", exclude_categories=["Cs"])
segments = st.text(utf8, min_size=1, max_size=12)
printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.lists(segments, min_size=1, max_size=4),
    host=st.sampled_from(["127.0.0.1:8443", "ims.ap-southeast-1.myhuaweicloud.com", "[::1]:9000", "localhost:80"]),
    scheme=st.sampled_from(["http", "https"]),
    project=st.one_of(st.none(), printable),
    domain=st.one_of(st.none(), printable),
    token=st.one_of(st.none(), printable),
    sk=st.text(utf8, min_size=1, max_size=30),
    seconds=st.integers(min_value=0, max_value=20 * 365 * 86400),
    json_type=st.booleans(),
)
def test_the_prepared_head_is_the_httpx_request_byte_for_byte(
    path: list[str],
    host: str,
    scheme: str,
    project: str | None,
    domain: str | None,
    token: str | None,
    sk: str,
    seconds: int,
    json_type: bool,
) -> None:
    moment = START + timedelta(seconds=seconds)
    creds = Credentials("HPUAEXAMPLEAK1234567", Secret(sk), Secret(token) if token else None)
    auth = SdkHmacAuth(creds, project, domain_id=domain, clock=lambda: moment)
    url = f"{scheme}://{host}/" + "/".join(quote(p, safe="") for p in path)
    assert _prepared_head(auth, url, json_type) == _httpx_head(auth, url, json_type)


def test_the_same_prepared_signer_signs_each_path_and_date_afresh() -> None:
    moments = iter([START, START + timedelta(seconds=1), START + timedelta(days=1)])
    now = [START]

    def clock() -> datetime:
        return now[0]

    auth = SdkHmacAuth(Credentials("AK", Secret("sk")), "p" * 32, clock=clock)
    heads = set()
    for moment in moments:
        now[0] = moment
        for job in ("a", "b"):
            url = f"http://127.0.0.1:1/v1/cloudimages/job/{job}"
            assert _prepared_head(auth, url, True) == _httpx_head(auth, url, True)
            heads.add(_prepared_head(auth, url, True))
    assert len(heads) == 6


def test_a_key_or_token_that_cannot_be_sent_is_refused_without_showing_it() -> None:
    bad_sk = SdkHmacAuth(Credentials("AK", Secret("\ud800secret")), "p")
    with pytest.raises(ConfigurationError) as info:
        bad_sk.prepared_get([("Host", "h")])
    assert "secret" not in str(info.value).replace("secret key", "")
    bad_token = SdkHmacAuth(Credentials("AK", Secret("sk"), Secret("tok\nen")), "p")
    with pytest.raises(ConfigurationError, match="security token"):
        bad_token.prepared_get([("Host", "h")])
    assert "sk" not in repr(SdkHmacAuth(Credentials("AK", Secret("sk"))).prepared_get([("Host", "h")]))
