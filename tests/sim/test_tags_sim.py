"""The simulator's image tags: the official IMS SDK's BatchAddOrDeleteTags and ListImageTags (oracle) against it;
raw requests for the server rules (10 tags, lengths, unique keys, owner only)."""

from __future__ import annotations

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkims.v2 import (
    BatchAddOrDeleteTagsRequest,
    BatchAddOrDeleteTagsRequestBody,
    ListImageTagsRequest,
    ResourceTag,
)

from imstui.sim import seed
from imstui.sim.demo import DemoBackend
from imstui.sim.server import RunningSim

from .test_sdk_fidelity import ims_client


def test_sdk_adds_overwrites_deletes_and_lists_tags(live_sim: RunningSim) -> None:
    client = ims_client(live_sim)
    image = seed.BATCH_IDS[0]

    def batch(action: str, *tags: tuple[str, str]) -> None:
        body = BatchAddOrDeleteTagsRequestBody(action=action, tags=[ResourceTag(key=k, value=v) for k, v in tags])
        client.batch_add_or_delete_tags(BatchAddOrDeleteTagsRequest(image_id=image, body=body))

    batch("create", ("env", "prod"), ("team", "web"))
    batch("create", ("env", "staging"))  # same key, new value: overwritten
    batch("delete", ("team", ""), ("never-there", ""))  # deleting a missing tag succeeds
    tags = client.list_image_tags(ListImageTagsRequest(image_id=image)).tags
    assert [(t.key, t.value) for t in tags] == [("env", "staging")]


def test_sdk_sees_an_ims_error_for_an_unknown_image(live_sim: RunningSim) -> None:
    with pytest.raises(ClientRequestException) as caught:
        ims_client(live_sim).list_image_tags(ListImageTagsRequest(image_id="00000000-0000-4000-8000-000000000000"))
    assert (caught.value.status_code, caught.value.error_code) == (404, "IMG.0027")


async def test_server_rules(backend: DemoBackend, client: httpx.AsyncClient) -> None:
    url = f"/v2/{backend.project_id}/images/{seed.ELIGIBLE_SMALL_ID}/tags/action"

    async def create(*tags: dict[str, str]) -> httpx.Response:
        return await client.post(url, json={"action": "create", "tags": list(tags)})

    assert (await create(*({"key": f"k{n}", "value": ""} for n in range(10)))).status_code == 204
    eleventh = await create({"key": "k10", "value": ""})
    assert eleventh.status_code == 400 and "maximum of 10" in eleventh.json()["error"]["message"]
    assert (await create({"key": "k0", "value": "overwrite"})).status_code == 204  # still 10 tags
    for bad in (
        [{"key": "x" * 37, "value": ""}],
        [{"key": "k0", "value": "v" * 44}],
        [{"key": " ", "value": ""}],
        [{"key": "k0"}],  # a value must be present (may be empty)
        [{"key": "a=b", "value": ""}],
        [{"key": "k0", "value": "1"}, {"key": "k0", "value": "2"}],
    ):
        assert (await create(*bad)).status_code == 400, bad
    assert (await client.post(url, json={"action": "replace", "tags": [{"key": "a", "value": ""}]})).status_code == 400
    listed = await client.get(f"/v2/{backend.project_id}/images/{seed.ELIGIBLE_SMALL_ID}/tags")
    assert {"key": "k0", "value": "overwrite"} in listed.json()["tags"] and len(listed.json()["tags"]) == 10


async def test_only_the_owner_tags_and_the_path_project_must_match(
    backend: DemoBackend, client: httpx.AsyncClient
) -> None:
    body = {"action": "create", "tags": [{"key": "a", "value": "b"}]}
    gold = await client.post(f"/v2/{backend.project_id}/images/{seed.PUBLIC_GOLD_ID}/tags/action", json=body)
    assert gold.json()["error"]["code"] == "IMG.0047"
    wrong = await client.post(f"/v2/{'f' * 32}/images/{seed.ELIGIBLE_LINUX_ID}/tags/action", json=body)
    assert wrong.json()["error"]["code"] == "IMG.0067"
