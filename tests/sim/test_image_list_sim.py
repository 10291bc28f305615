"""The simulator's image list as the API documents it (filters, limit/marker paging, optional page_info) and the
official IMS SDK's ``list_images`` paging through generated images (the oracle), in process and via ``imstui sim``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkims.v2 import ImsClient, ListImagesRequest

from imstui.sim import ManualClock, SimConfig, controlled_backend, fleet, seed
from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_SK
from imstui.sim.harness import start_sim_process
from imstui.sim.server import RunningSim, run_in_thread

GENERATED = 1_234
SEEDED_OWN = sum(1 for image in seed.catalogue(DEMO_PROJECT_ID) if image["owner"] == DEMO_PROJECT_ID)


def sdk_client(endpoint: str) -> ImsClient:
    return (
        ImsClient.new_builder()
        .with_credentials(BasicCredentials(DEMO_AK, DEMO_SK, DEMO_PROJECT_ID))
        .with_endpoints([endpoint])
        .build()
    )


@pytest.fixture(scope="module")
def fleet_sim() -> Iterator[RunningSim]:
    with run_in_thread(SimConfig(clock=ManualClock(), seed=3, generated_images=GENERATED)) as running:
        yield running


def _sdk_page_loop(client: ImsClient, **filters: str) -> list[str]:
    """The SDK user's loop: ``limit`` + ``marker`` = the last image's id, until a short page."""
    ids: list[str] = []
    marker = None
    while True:
        response = client.list_images(ListImagesRequest(limit=500, marker=marker, **filters))
        ids += [image.id for image in response.images]
        if len(response.images) < 500:
            return ids
        marker = response.images[-1].id


def test_sdk_pages_through_every_private_image_newest_first(fleet_sim: RunningSim) -> None:
    client = sdk_client(fleet_sim.url)
    ids = _sdk_page_loop(client, imagetype="private", sort_key="created_at", sort_dir="desc")
    own = [i for i in fleet_sim.state.images.values() if i["owner"] == DEMO_PROJECT_ID]
    assert len(ids) == len(set(ids)) == len(own) == GENERATED + SEEDED_OWN
    assert ids[0] == seed.NOT_ACTIVE_ID  # the newest seeded image
    assert ids[-1] == fleet.fleet_image_id(GENERATED - 1)


def test_sdk_filters_by_status_member_status_and_name(fleet_sim: RunningSim) -> None:
    client = sdk_client(fleet_sim.url)
    shared = client.list_images(ListImagesRequest(imagetype="shared", member_status="accepted")).images
    assert {i.id for i in shared} == {seed.SHARED_ACCEPTED_ID, seed.SHARED_ENCRYPTED_ID}
    saving = client.list_images(ListImagesRequest(imagetype="private", status="saving")).images
    assert [i.id for i in saving] == [seed.NOT_ACTIVE_ID]
    named = client.list_images(ListImagesRequest(name="fleet-00007-debian")).images
    assert [i.id for i in named] == [fleet.fleet_image_id(7)]  # an exact match
    assert client.list_images(ListImagesRequest(name="fleet-00007")).images == []


async def test_the_cmk_filter_selects_exactly_the_images_under_that_key() -> None:
    backend = controlled_backend(generated_images=100)
    async with backend.client() as client:
        answer = await client.get("/v2/cloudimages", params={"__system__cmkid": seed.DEMO_CMK_ID, "limit": "1000"})
    ids = {image["id"] for image in answer.json()["images"]}
    expected = {fleet.fleet_image_id(n) for n in range(100) if fleet.fleet_cmk_id(n) == seed.DEMO_CMK_ID}
    assert ids == expected | {seed.ENCRYPTED_ID}


async def test_page_info_next_marker_is_served_only_when_configured() -> None:
    for page_info in (False, True):
        backend = controlled_backend(generated_images=10, page_info=page_info)
        async with backend.client() as client:
            first = (await client.get("/v2/cloudimages", params={"limit": "5"})).json()
            last = (await client.get("/v2/cloudimages", params={"limit": "1000"})).json()
        if not page_info:
            assert "page_info" not in first
            continue
        assert first["page_info"]["next_marker"] == first["images"][-1]["id"]
        assert last["page_info"]["next_marker"] is None


def test_imstui_sim_images_option_serves_the_generated_images_to_the_sdk() -> None:
    with start_sim_process("--images", "600", "--page-info") as sim:
        client = sdk_client(sim.endpoint)
        first = client.list_images(ListImagesRequest(imagetype="private", limit=500))
        assert len(first.images) == 500 and first.page_info.next_marker == first.images[-1].id
        rest = client.list_images(ListImagesRequest(imagetype="private", limit=500, marker=first.page_info.next_marker))
        assert len(rest.images) == 600 + SEEDED_OWN - 500 and rest.page_info.next_marker is None
