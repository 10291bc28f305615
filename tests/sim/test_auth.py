"""The simulator's gateway refuses every request a real gateway would refuse (401 APIGW.0301) and accepts
correctly signed ones, whatever Content-Type spelling or query encoding they use."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone
from types import TracebackType
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api import signer, signing
from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.api.signer import SdkHmacAuth
from imstui.sim import SimConfig, seed
from imstui.sim.auth import AuthFailure, header_map, verify
from imstui.sim.demo import DemoBackend

from .conftest import COPY_HEADERS


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _assert_rejected(response: httpx.Response) -> str:
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "APIGW.0301"
    assert body["request_id"] == response.headers["X-Request-Id"]
    return str(body["error_msg"])


async def test_correct_signature_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/cloudimages", params={"id": seed.ELIGIBLE_LINUX_ID})
    assert response.status_code == 200
    assert response.json()["images"][0]["id"] == seed.ELIGIBLE_LINUX_ID


async def test_tampered_signature_is_rejected(backend: DemoBackend) -> None:
    auth = SdkHmacAuth(backend.credentials, backend.project_id)
    request = httpx.Request("GET", f"{backend.ims_endpoint}/v2/cloudimages?limit=1")
    auth.sign_request(request)
    value = request.headers["Authorization"]
    request.headers["Authorization"] = value[:-1] + ("0" if value[-1] != "0" else "1")
    async with httpx.AsyncClient(transport=backend.transport) as raw:
        message = await _assert_rejected(await raw.send(request))
    assert "verify aksk signature fail" in message


async def test_body_changed_after_signing_is_rejected(backend: DemoBackend) -> None:
    auth = SdkHmacAuth(backend.credentials, backend.project_id)
    url = f"{backend.ims_endpoint}/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy"
    signed = httpx.Request("POST", url, content=b'{"name": "a"}', headers=COPY_HEADERS)
    auth.sign_request(signed)
    forged = httpx.Request("POST", url, content=b'{"name": "b"}', headers=dict(signed.headers))
    async with httpx.AsyncClient(transport=backend.transport) as raw:
        await _assert_rejected(await raw.send(forged))
    assert backend.state.copies_created == 0


async def test_query_changed_after_signing_is_rejected(backend: DemoBackend) -> None:
    auth = SdkHmacAuth(backend.credentials, backend.project_id)
    signed = httpx.Request("GET", f"{backend.ims_endpoint}/v2/cloudimages?limit=1")
    auth.sign_request(signed)
    forged = httpx.Request("GET", f"{backend.ims_endpoint}/v2/cloudimages?limit=2", headers=dict(signed.headers))
    async with httpx.AsyncClient(transport=backend.transport) as raw:
        await _assert_rejected(await raw.send(forged))


@pytest.mark.parametrize("minutes", [16, -16, 60 * 24])
async def test_stale_or_future_sdk_date_is_rejected(backend: DemoBackend, minutes: int) -> None:
    auth = SdkHmacAuth(backend.credentials, backend.project_id, clock=lambda: _now() - timedelta(minutes=minutes))
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint, auth=auth) as c:
        message = await _assert_rejected(await c.get("/v2/cloudimages"))
    assert "15 minutes" in message


async def test_small_clock_skew_is_tolerated(backend: DemoBackend) -> None:
    auth = SdkHmacAuth(backend.credentials, backend.project_id, clock=lambda: _now() - timedelta(minutes=14))
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint, auth=auth) as c:
        assert (await c.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200


async def test_wrong_secret_key_is_rejected(backend: DemoBackend) -> None:
    async with backend.client(credentials=Credentials(backend.credentials.ak, Secret("wrong-secret-key"))) as c:
        await _assert_rejected(await c.get("/v2/cloudimages"))


async def test_unknown_access_key_is_rejected(backend: DemoBackend) -> None:
    async with backend.client(credentials=Credentials("UNKNOWNAK00000000000", Secret("whatever"))) as c:
        message = await _assert_rejected(await c.get("/v2/cloudimages"))
    assert "secretKey" in message


async def test_unsigned_host_is_rejected(backend: DemoBackend) -> None:
    date = signer.format_sdk_date(_now())
    to_sign = {"X-Sdk-Date": date, "X-Project-Id": backend.project_id, "Content-Type": "application/json"}
    authorization = signer.sign(backend.credentials, "GET", "/v2/cloudimages", [], to_sign, b"")
    assert "SignedHeaders=content-type;x-project-id;x-sdk-date," in authorization
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint) as raw:
        response = await raw.get("/v2/cloudimages", headers={**to_sign, "Authorization": authorization})
    message = await _assert_rejected(response)
    assert "host header must be signed" in message


async def test_an_unsigned_project_header_is_rejected(backend: DemoBackend) -> None:
    host = httpx.URL(backend.ims_endpoint).host
    to_sign = {"Host": host, "X-Sdk-Date": signer.format_sdk_date(_now())}
    authorization = signer.sign(backend.credentials, "GET", "/v2/cloudimages", [], to_sign, b"")
    assert "SignedHeaders=host;x-sdk-date," in authorization
    headers = {**to_sign, "X-Project-Id": backend.project_id, "Authorization": authorization}
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint) as raw:
        message = await _assert_rejected(await raw.get("/v2/cloudimages", headers=headers))
    assert "X-Project-Id header must be signed" in message


async def test_unsigned_request_is_rejected(backend: DemoBackend) -> None:
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint) as raw:
        await _assert_rejected(await raw.get("/v2/cloudimages", headers={"X-Project-Id": backend.project_id}))


async def test_temporary_key_without_token_is_rejected(backend: DemoBackend) -> None:
    temporary = backend.config.temporary_credentials()
    without_token = Credentials(temporary.ak, temporary.sk)
    async with backend.client(credentials=without_token) as c:
        message = await _assert_rejected(await c.get("/v2/cloudimages"))
    assert "X-Security-Token" in message


async def test_temporary_key_with_wrong_token_is_rejected(backend: DemoBackend) -> None:
    temporary = backend.config.temporary_credentials()
    async with backend.client(credentials=Credentials(temporary.ak, temporary.sk, Secret("forged-token"))) as c:
        await _assert_rejected(await c.get("/v2/cloudimages"))


async def test_temporary_key_with_its_token_is_accepted(backend: DemoBackend) -> None:
    async with backend.client(credentials=backend.config.temporary_credentials()) as c:
        assert (await c.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200


async def test_ims_routes_need_the_right_project_header(backend: DemoBackend) -> None:
    async with backend.client(project=False) as c:
        message = await _assert_rejected(await c.get(f"/v1/cloudimages/job/{'0' * 32}"))
    assert "X-Project-Id" in message
    auth = SdkHmacAuth(backend.credentials, "ffffffffffffffffffffffffffffffff")
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint, auth=auth) as c:
        await _assert_rejected(await c.get("/v2/cloudimages"))


async def test_iam_route_needs_no_project_header(backend: DemoBackend) -> None:
    async with backend.client(project=False) as c:
        response = await c.get("/v3/projects", params={"name": backend.region})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["projects"]] == [backend.project_id]


@pytest.mark.parametrize("content_type", ["application/json;charset=UTF-8", "application/json;charset=utf-8"])
async def test_either_content_type_spelling_is_accepted(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy",
        content=b'{"name": "ct-copy"}',
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 200


def test_verifier_matches_reference_vector_v1() -> None:
    """Vector V1 from ims-api.md §6.1 (signed by the official SDK) verifies; one changed byte does not."""
    keys = SimConfig(ak="HPUAEXAMPLEAK1234567", sk="exampleSecretKey0123456789abcdefEXAMPLE0", temporary_ak=None).keys()  # type: ignore[arg-type]
    headers = {
        "content-type": "application/json;charset=UTF-8",
        "host": "ims.ap-southeast-1.myhuaweicloud.com",
        "x-project-id": "0123456789abcdef0123456789abcdef",
        "x-sdk-date": "20250101T120000Z",
        "authorization": "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK1234567, "
        "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
        "Signature=3a7ef018f9183d27df1667ae1a951f892228b1a22f52c046ee0ea01f26c7a4a4",
    }
    moment = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    body = b'{"name": "copy-of-web01", "description": "replica"}'
    path = "/v1/cloudimages/4b3a5e62-5d5f-4b4a-9b5c-2e0d5f8a1c11/copy"
    key = verify(method="POST", raw_path=path, raw_query=b"", headers=headers, body=body, keys=keys, now=moment)
    assert key.ak == "HPUAEXAMPLEAK1234567"
    with pytest.raises(AuthFailure):
        verify(method="POST", raw_path=path, raw_query=b"", headers=headers, body=body + b" ", keys=keys, now=moment)


_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(_text.filter(bool), _text), max_size=4), path_tail=_text)
def test_any_request_signed_by_the_client_verifies(pairs: list[tuple[str, str]], path_tail: str) -> None:
    """Whatever the query and path, what SdkHmacAuth signs, the verifier accepts from the received bytes."""
    config = SimConfig()
    auth = SdkHmacAuth(config.credentials(), config.project_id)
    request = httpx.Request("GET", "http://127.0.0.1:8080/v2/images/" + quote(path_tail, safe=""))
    request.url = request.url.copy_merge_params(tuple(pairs))
    auth.sign_request(request)
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    key = verify(
        method="GET",
        raw_path=raw_path.decode("ascii"),
        raw_query=raw_query,
        headers=header_map(request.headers.raw),
        body=b"",
        keys=config.keys(),
        now=_now().timestamp(),
    )
    assert key.ak == config.ak


def test_a_crash_while_verifying_shows_no_secret_key_in_traceback_locals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash report that prints frame locals (Rich, Textual) must not reveal the simulator's SK."""
    config = SimConfig(sk="sim-sk-that-must-stay-hidden-0123456789")  # type: ignore[arg-type]
    auth = SdkHmacAuth(config.credentials(), config.project_id)
    request = httpx.Request("GET", "http://127.0.0.1:8080/v2/cloudimages?limit=1")
    auth.sign_request(request)

    class CrashingHmac:  # a C-level failure inside the HMAC call: no Python frame of its own
        new = staticmethod(divmod)
        compare_digest = staticmethod(hmac.compare_digest)

    monkeypatch.setattr(signing, "hmac", CrashingHmac)  # the algorithm the verifier runs
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    with pytest.raises(TypeError) as caught:
        verify(
            method="GET",
            raw_path=raw_path.decode("ascii"),
            raw_query=raw_query,
            headers=header_map(request.headers.raw),
            body=b"",
            keys=config.keys(),
            now=_now().timestamp(),
        )
    tb: TracebackType | None = caught.tb
    frames = 0
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            assert "sim-sk-that-must-stay-hidden" not in repr(value), name
        frames += 1
        tb = tb.tb_next
    assert frames >= 2  # verify() and the signing helper were both inspected


async def test_sim_project_and_region_come_from_the_environment() -> None:
    env = {
        "IMSTUI_SIM_PROJECT_ID": "f" * 32,
        "IMSTUI_SIM_REGION": "la-south-2",
        "IMSTUI_SIM_AK": "ENVAK0000000000000001",
    }
    config = SimConfig.from_env(env)
    assert (config.project_id, config.region, config.ak) == ("f" * 32, "la-south-2", "ENVAK0000000000000001")
    from imstui.sim.demo import backend_for

    backend = backend_for(config)
    async with backend.client() as client:  # signed with the env AK, project header = the env project
        assert (await client.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200
        projects = (await client.get("/v3/projects", params={"name": "la-south-2"})).json()["projects"]
    assert [p["id"] for p in projects] == ["f" * 32]
