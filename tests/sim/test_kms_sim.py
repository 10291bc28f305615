"""The simulator's KMS: the official huaweicloudsdkkms client (oracle) pages list-keys and runs describe-key
against it over loopback with real signatures; raw requests check the rules the SDK cannot send wrong."""

from __future__ import annotations

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkms.v2 import (
    KmsClient,
    ListKeyDetailRequest,
    ListKeysRequest,
    ListKeysRequestBody,
    OperateKeyRequestBody,
)

from imstui.sim import kms as sim_kms
from imstui.sim import seed
from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_SK
from imstui.sim.demo import DemoBackend
from imstui.sim.server import RunningSim

from .test_sdk_fidelity import _http_config

JSON = {"Content-Type": "application/json;charset=UTF-8"}


def sdk_kms(sim: RunningSim) -> KmsClient:
    return (
        KmsClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(BasicCredentials(DEMO_AK, DEMO_SK, DEMO_PROJECT_ID))
        .with_endpoints([sim.url])
        .build()
    )


def test_sdk_pages_list_keys_with_the_marker(live_sim: RunningSim) -> None:
    client = sdk_kms(live_sim)
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        response = client.list_keys(ListKeysRequest(body=ListKeysRequestBody(limit="4", marker=marker)))
        pages += 1
        seen += [detail.key_id for detail in response.key_details]
        assert response.keys == [detail.key_id for detail in response.key_details]
        if response.truncated != "true":
            break
        marker = response.next_marker
    assert pages == 3 and len(seen) == len(set(seen)) == 9
    assert response.total == 9
    assert sim_kms.IMS_DEFAULT_KEY_ID in seen and sim_kms.RSA_KEY_ID not in seen


def test_sdk_reads_every_field_of_a_key(live_sim: RunningSim) -> None:
    client = sdk_kms(live_sim)
    detail = client.list_key_detail(
        ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=sim_kms.IMS_DEFAULT_KEY_ID))
    ).key_info
    assert (detail.key_alias, detail.key_state, detail.default_key_flag, detail.key_spec) == (
        "ims/default",
        "2",
        "1",
        "AES_256",
    )
    assert detail.creation_date.isdigit() and len(detail.creation_date) == 13  # milliseconds
    hostile = client.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=sim_kms.HOSTILE_KEY_ID)))
    assert hostile.key_info.key_alias == sim_kms.HOSTILE_ALIAS  # the simulator serves hostile text verbatim


def test_sdk_filters_by_state_and_spec(live_sim: RunningSim) -> None:
    client = sdk_kms(live_sim)
    states = {}
    for state in "12345":
        response = client.list_keys(ListKeysRequest(body=ListKeysRequestBody(key_state=state)))
        states[state] = {d.key_alias for d in response.key_details}
        assert all(d.key_state == state for d in response.key_details)
    assert all(states.values())  # every one of the five states is represented
    assert "demo/disabled" in states["3"] and "demo/retiring" in states["4"]
    every = client.list_keys(ListKeysRequest(body=ListKeysRequestBody(key_spec="ALL")))
    assert sim_kms.RSA_KEY_ID in every.keys


def test_sdk_sees_the_kms_error_shape_for_an_unknown_key(live_sim: RunningSim) -> None:
    client = sdk_kms(live_sim)
    with pytest.raises(ClientRequestException) as caught:
        client.list_key_detail(
            ListKeyDetailRequest(body=OperateKeyRequestBody(key_id="00000000-0000-4000-8000-000000000000"))
        )
    assert (caught.value.status_code, caught.value.error_code) == (404, "KMS.0207")


async def test_limit_as_a_number_is_accepted_and_bad_values_refused(
    backend: DemoBackend, client: httpx.AsyncClient
) -> None:
    url = f"/v1.0/{backend.project_id}/kms/list-keys"
    as_number = await client.post(url, json={"limit": 2})
    assert as_number.status_code == 200 and len(as_number.json()["key_details"]) == 2
    for body in ({"limit": "0"}, {"limit": "x"}, {"key_state": "9"}, {"marker": "-1"}):
        refused = await client.post(url, json=body)
        assert refused.status_code == 400 and refused.json()["error"]["error_code"] == "KMS.0205", body


async def test_project_in_the_path_must_be_the_signed_one(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1.0/ffffffffffffffffffffffffffffffff/kms/list-keys", json={})
    assert response.status_code == 403


async def test_unsigned_or_unscoped_requests_are_refused(backend: DemoBackend) -> None:
    url = f"/v1.0/{backend.project_id}/kms/list-keys"
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint) as raw:
        assert (await raw.post(url, json={})).status_code == 401
    async with backend.client(project=False) as unscoped:
        assert (await unscoped.post(url, json={})).status_code == 401  # KMS is project-scoped


async def test_copy_rules_use_the_key_states(backend: DemoBackend, client: httpx.AsyncClient) -> None:
    def body(cmk: str) -> dict[str, str]:
        return {"name": "kms-rule-copy", "cmk_id": cmk}

    url = f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy"
    assert (await client.post(url, json=body(sim_kms.IMS_DEFAULT_KEY_ID), headers=JSON)).status_code == 200
    for cmk, code in (
        ("00000000-0000-4000-8000-000000000000", "IMG.0095"),
        (sim_kms.DISABLED_KEY_ID, "IMG.0097"),
        (sim_kms.PENDING_DELETION_KEY_ID, "IMG.0097"),
    ):
        refused = await client.post(url, json=body(cmk), headers=JSON)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, code)
