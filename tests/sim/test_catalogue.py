"""The seeded catalogue on the wire: IMS types, filters and paging, and hostile text served verbatim."""

from __future__ import annotations

import httpx
import pytest

from imstui.api.models import COPY_SIZE_LIMIT_BYTES, Image
from imstui.sim import seed
from imstui.sim.demo import DemoBackend


async def _images(client: httpx.AsyncClient, **params: str) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get("/v2/cloudimages", params=params)
    assert response.status_code == 200, response.text
    return response.json()["images"]  # type: ignore[no-any-return]


async def _one(client: httpx.AsyncClient, image_id: str) -> dict:  # type: ignore[type-arg]
    images = await _images(client, id=image_id, enterprise_project_id="all_granted_eps")
    assert len(images) == 1
    return images[0]


async def test_wire_types_match_ims(client: httpx.AsyncClient) -> None:
    image = await _one(client, seed.ELIGIBLE_LINUX_ID)
    assert isinstance(image["min_disk"], int) and isinstance(image["min_ram"], int)
    assert isinstance(image["max_ram"], str)
    assert isinstance(image["__image_size"], str) and image["__image_size"].isdigit()
    assert image["__isregistered"] == "true"
    assert image["protected"] is False
    assert image["created_at"].endswith("Z") and "." not in image["created_at"]


@pytest.mark.parametrize(
    ("image_id", "check"),
    [
        (seed.ELIGIBLE_LINUX_ID, lambda i: not (i.is_full_ecs or i.is_iso or i.is_windows or i.is_encrypted)),
        (seed.ENCRYPTED_ID, lambda i: i.is_encrypted and i.cmk_id == seed.DEMO_CMK_ID),
        (seed.FULL_ECS_ID, lambda i: i.is_full_ecs),
        (seed.ISO_ID, lambda i: i.is_iso),
        (seed.WINDOWS_ID, lambda i: i.is_windows),
        (seed.SHARED_PENDING_ID, lambda i: i.image_type == "shared" and i.member_status == "pending"),
        (seed.PUBLIC_GOLD_ID, lambda i: i.image_type == "gold" and i.visibility == "public"),
        (seed.LARGE_ID, lambda i: (i.size_bytes or 0) > COPY_SIZE_LIMIT_BYTES),
        (seed.NOT_ACTIVE_ID, lambda i: i.status != "active"),
        (seed.LONG_NAME_ID, lambda i: len(i.name) == 128),
    ],
)
async def test_each_ui_case_is_recognisable_by_the_client(client: httpx.AsyncClient, image_id: str, check) -> None:  # type: ignore[no-untyped-def]
    assert check(Image.from_api(await _one(client, image_id)))


@pytest.mark.parametrize(
    ("image_id", "name", "description"),
    [
        (seed.HOSTILE_MARKUP_ID, seed.HOSTILE_MARKUP_NAME, seed.HOSTILE_MARKUP_DESCRIPTION),
        (seed.HOSTILE_ESCAPES_ID, seed.HOSTILE_ESCAPES_NAME, seed.HOSTILE_ESCAPES_DESCRIPTION),
        (seed.CJK_ID, seed.CJK_NAME, seed.CJK_DESCRIPTION),
    ],
)
async def test_hostile_strings_are_served_verbatim(
    client: httpx.AsyncClient, image_id: str, name: str, description: str
) -> None:
    image = await _one(client, image_id)
    assert image["name"] == name
    assert image["__description"] == description
    glance = (await client.get(f"/v2/images/{image_id}")).json()
    assert (glance["name"], glance["__description"]) == (name, description)


def test_hostile_seed_strings_carry_what_they_claim() -> None:
    assert "[/bad]" in seed.HOSTILE_MARKUP_NAME and "[@click=app.quit]x[/]" in seed.HOSTILE_MARKUP_NAME
    assert "[b]" in seed.HOSTILE_MARKUP_NAME
    assert "\x1b[" in seed.HOSTILE_ESCAPES_NAME and "\x1b]8;;" in seed.HOSTILE_ESCAPES_NAME
    assert "\u202e" in seed.HOSTILE_ESCAPES_NAME
    assert "\x1b]52;" in seed.HOSTILE_ESCAPES_DESCRIPTION and "\x00" in seed.HOSTILE_ESCAPES_DESCRIPTION


async def test_filters(client: httpx.AsyncClient) -> None:
    assert [i["id"] for i in await _images(client, name="db-centos7")] == [seed.ELIGIBLE_SMALL_ID]
    gold = await _images(client, __imagetype="gold")
    assert [i["id"] for i in gold] == [seed.PUBLIC_GOLD_ID]
    saving = await _images(client, status="saving")
    assert [i["id"] for i in saving] == [seed.NOT_ACTIVE_ID]
    assert {i["id"] for i in await _images(client, __os_type="Windows")} == {seed.WINDOWS_ID}
    assert [i["id"] for i in await _images(client, __whole_image="true")] == [seed.FULL_ECS_ID]
    assert await _images(client, id="00000000-0000-4000-8000-000000000000") == []
    everything = await _images(client)
    assert len(everything) == len(seed.DEMO_IMAGES)
    assert len(await _images(client, enterprise_project_id="all_granted_eps")) == len(everything)
    assert len(await _images(client, enterprise_project_id="0")) == len(everything)
    assert await _images(client, enterprise_project_id="11111111-2222-4333-8444-555555555555") == []
    # documented parameters the sim does not filter on are accepted
    assert len(await _images(client, flavor_id="s6.large.2", sort_dir="asc")) == len(everything)


async def test_paging_with_limit_and_marker_visits_every_image_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    marker = None
    while True:
        params = {"limit": "4", **({"marker": marker} if marker else {})}
        page = await _images(client, **params)
        if not page:
            break
        assert len(page) <= 4
        seen.extend(i["id"] for i in page)
        marker = page[-1]["id"]
    assert sorted(seen) == sorted(seed.DEMO_IMAGES.values())
    assert len(seen) == len(set(seen))


async def test_bad_limit_is_an_ims_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/cloudimages", params={"limit": "many"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "IMG.0001"


def test_seed_ids_are_stable_uuids_and_refusals_name_seeded_images() -> None:
    ids = list(seed.DEMO_IMAGES.values())
    assert len(ids) == len(set(ids))
    assert seed.ELIGIBLE_LINUX_ID == "1db073f0-7c3b-46c1-a336-e3bc3b607d7e"
    assert set(seed.REFUSALS) <= set(ids)
    assert {image["id"] for image in seed.catalogue("p")} == set(ids)


async def test_projects_lookup_by_region(backend: DemoBackend) -> None:
    async with backend.client(project=False) as client:
        found = (await client.get("/v3/projects", params={"name": backend.region})).json()["projects"]
        missing = (await client.get("/v3/projects", params={"name": "eu-west-0"})).json()["projects"]
    assert [p["id"] for p in found] == [backend.project_id]
    assert missing == []
