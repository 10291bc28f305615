"""KmsClient: list-keys paging, describe-key, parsing of what KMS sends (hostile strings, odd numbers), endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from imstui.api.client import ImsClient
from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError, LocalValidationError, ProtocolError
from imstui.api.kms import KmsClient
from imstui.api.kms_models import KeyNotFoundError, KmsKey
from imstui.api.secret import Secret
from imstui.api.service_calls import kms_endpoint
from imstui.sim import controlled_backend, seed
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend

PROJECT = "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"


def ims_on(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


def ims_with(handler: Callable[[httpx.Request], httpx.Response]) -> ImsClient:
    return ImsClient(
        credentials=Credentials("AK", Secret("SK")),
        region="ap-southeast-1",
        project_id=PROJECT,
        transport=httpx.MockTransport(handler),
    )


def answer(body: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=body)


async def test_pages_through_every_key_a_few_at_a_time() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        kms = KmsClient(ims)
        pages = [page async for page in kms.iter_key_pages(limit=3)]
    sizes = [len(p.keys) for p in pages]
    assert sizes == [3, 3, 3]  # 9 AES keys (the RSA key is not in the default key_spec)
    assert [p.truncated for p in pages] == [True, True, False]
    ids = [k.key_id for p in pages for k in p.keys]
    assert len(ids) == len(set(ids)) == 9
    assert {seed.DEMO_CMK_ID, seed.SECOND_CMK_ID, sim_kms.IMS_DEFAULT_KEY_ID} <= set(ids)
    assert sim_kms.RSA_KEY_ID not in ids


async def test_states_defaults_and_dates_are_read() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        keys = {k.key_id: k for k in await KmsClient(ims).list_keys()}
    default = keys[sim_kms.IMS_DEFAULT_KEY_ID]
    assert (default.alias, default.is_default, default.is_enabled, default.state_text) == (
        "ims/default",
        True,
        True,
        "enabled",
    )
    assert default.created is not None and default.created.year == 2021  # milliseconds, not seconds
    states = {k.alias: k.state_text for k in keys.values()}
    assert states["demo/disabled"] == "disabled"
    assert states["demo/retiring"] == "pending deletion"
    assert states["demo/not-yet-active"] == "pending activation"
    assert states["demo/byok-import"] == "pending import"


async def test_server_side_state_filter() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        enabled = await KmsClient(ims).list_keys(key_state="2")
    assert enabled and all(k.is_enabled for k in enabled)
    assert "demo/disabled" not in {k.alias for k in enabled}


async def test_hostile_alias_and_description_are_sanitised() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        key = await KmsClient(ims).describe_key(sim_kms.HOSTILE_KEY_ID)
    assert "\x1b" not in key.alias and "\u202e" not in key.alias
    assert "[b]bold[/b]" in key.alias  # markup is kept literally: the UI renders it as text
    assert "\x1b" not in key.description and "\x07" not in key.description
    assert "\n" in key.description  # a free-text field keeps its line breaks


async def test_describe_unknown_key_is_not_found() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        with pytest.raises(KeyNotFoundError) as caught:
            await KmsClient(ims).describe_key("00000000-0000-4000-8000-000000000000")
    assert caught.value.key_id == "00000000-0000-4000-8000-000000000000"


async def test_request_is_the_sdk_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"key_details": [], "next_marker": "", "truncated": "false"})

    async with ims_with(handler) as ims:
        await KmsClient(ims).list_keys_page(marker="7", limit=50, key_state="2")
    request = seen[0]
    assert str(request.url) == f"https://kms.ap-southeast-1.myhuaweicloud.com/v1.0/{PROJECT}/kms/list-keys"
    assert json.loads(request.content) == {"limit": "50", "marker": "7", "key_state": "2"}
    assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert request.headers["X-Project-Id"] == PROJECT and "X-Domain-Id" not in request.headers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1638806642000", 1638806642000), (1638806642000, 1638806642000), ("-5", None), ("9" * 30, None), (True, None)],
)
def test_creation_date_is_range_checked(raw: Any, expected: int | None) -> None:
    key = KmsKey.from_api({"key_id": "k", "creation_date": raw})
    assert key is not None and key.created_ms == expected


def test_unknown_state_is_said_not_hidden() -> None:
    key = KmsKey.from_api({"key_id": "k", "key_state": "9"})
    assert key is not None and not key.is_enabled
    assert key.state_text == "in an unknown state (9)"
    assert KmsKey.from_api({"key_alias": "no id"}) is None


async def test_truncated_without_marker_ends_paging() -> None:
    async with ims_with(answer({"key_details": [{"key_id": "a"}], "truncated": "true"})) as ims:
        pages = [p async for p in KmsClient(ims).iter_key_pages()]
    assert len(pages) == 1


async def test_a_repeated_marker_is_a_protocol_error_not_a_loop() -> None:
    body = {"key_details": [{"key_id": "a"}], "truncated": "true", "next_marker": "same"}
    async with ims_with(answer(body)) as ims:
        with pytest.raises(ProtocolError, match="repeated the page marker"):
            await KmsClient(ims).list_keys()


async def test_answer_without_key_details_is_a_protocol_error() -> None:
    async with ims_with(answer({"keys": []})) as ims:
        with pytest.raises(ProtocolError, match="key_details"):
            await KmsClient(ims).list_keys_page()


async def test_bad_page_size_is_refused_before_sending() -> None:
    async with ims_with(answer({}, 500)) as ims:
        with pytest.raises(LocalValidationError):
            await KmsClient(ims).list_keys_page(limit=0)


def test_endpoints_follow_the_sdk_region_table_and_the_loopback_rule() -> None:
    assert kms_endpoint("cn-north-4") == "https://kms.cn-north-4.myhuaweicloud.com"
    assert kms_endpoint("eu-west-101") == "https://kms.eu-west-101.myhuaweicloud.eu"
    ims = ImsClient(credentials=Credentials("AK", Secret("SK")), region="ap-southeast-1")
    assert KmsClient(ims, "http://127.0.0.1:8443").endpoint == "http://127.0.0.1:8443"
    with pytest.raises(ConfigurationError, match="plain http"):
        KmsClient(ims, "http://kms.example.com")
    sim_ims = ImsClient(
        credentials=Credentials("AK", Secret("SK")), region="ap-southeast-1", ims_endpoint="http://[::1]:9"
    )
    assert KmsClient(sim_ims).endpoint == "http://[::1]:9"  # the simulator serves KMS on the IMS port
