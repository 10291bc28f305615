"""imstui.core.image_search over the simulator's paged list: exactly the images a filter names (also when the
server ignores a filter), the verdict per row, sort orders, and naming the key of a filter."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.client import ImsClient
from imstui.api.errors import LocalValidationError
from imstui.api.image_list import ImageLister
from imstui.api.kms import KmsClient
from imstui.api.models import Image
from imstui.core.eligibility import assess
from imstui.core.image_search import (
    UNENCRYPTED,
    ImageFilter,
    ImageRow,
    key_for_filter,
    search,
    sort_rows,
)
from imstui.sim import controlled_backend, fleet, seed
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend

GENERATED = 120


def ims_on(backend: DemoBackend, transport: httpx.AsyncBaseTransport | None = None) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        project_id=backend.project_id,
        transport=transport or backend.transport,
    )


@pytest.fixture
def backend() -> DemoBackend:
    return controlled_backend(generated_images=GENERATED)


def listed(backend: DemoBackend) -> list[dict[str, Any]]:
    """What the account lists: own private images and the shared images it accepted."""
    return [
        i
        for i in backend.state.images.values()
        if i["owner"] == backend.project_id or (i.get("__imagetype") == "shared" and i["member_status"] == "accepted")
    ]


async def rows(backend: DemoBackend, wanted: ImageFilter, **kw: Any) -> list[ImageRow]:
    async with ims_on(backend) as ims:
        lister = ImageLister(ims, page_size=50)
        return [row async for row in search(lister, wanted, project_id=backend.project_id, **kw)]


async def test_encrypted_with_a_key_selects_exactly_its_images(backend: DemoBackend) -> None:
    found = {r.image.id for r in await rows(backend, ImageFilter(encrypted_with=seed.DEMO_CMK_ID))}
    expected = {i["id"] for i in listed(backend) if i.get("__system__cmkid") == seed.DEMO_CMK_ID}
    assert found == expected and seed.ENCRYPTED_ID in found and fleet.fleet_image_id(0) in found
    assert len(found) == 1 + len(range(0, GENERATED, 5))


async def test_none_selects_exactly_the_unencrypted_images(backend: DemoBackend) -> None:
    found = [r for r in await rows(backend, ImageFilter(encrypted_with=UNENCRYPTED))]
    expected = {i["id"] for i in listed(backend) if not i.get("__system__cmkid")}
    assert {r.image.id for r in found} == expected
    assert {r.section for r in found} == {"private", "shared"}  # the accepted, unencrypted shared image too
    assert seed.SHARED_PENDING_ID not in expected  # a share not accepted is not the account's


async def test_a_server_that_ignores_the_cmk_filter_still_gives_exactly_those_images(backend: DemoBackend) -> None:
    sent: list[dict[str, str]] = []

    def ignoring(request: httpx.Request) -> httpx.Response:
        # the simulator's catalogue and paging, but a server that does not know __system__cmkid
        sent.append(dict(request.url.params))
        params = [(k, v) for k, v in request.url.params.multi_items() if k != "__system__cmkid"]
        images, _ = backend.state.list_images_page(params, backend.project_id)
        return httpx.Response(200, json={"images": images})

    async with ims_on(backend, httpx.MockTransport(ignoring)) as ims:
        lister = ImageLister(ims, page_size=40)
        wanted = ImageFilter(encrypted_with=seed.SECOND_CMK_ID)
        found = {r.image.id async for r in search(lister, wanted, project_id=backend.project_id)}
    expected = {i["id"] for i in listed(backend) if i.get("__system__cmkid") == seed.SECOND_CMK_ID}
    assert found == expected and len(found) == len([n for n in range(GENERATED) if n % 7 == 0 and n % 5])
    assert all(r["__system__cmkid"] == seed.SECOND_CMK_ID for r in sent)  # it was asked; it did not filter
    assert len(sent) > 2  # so every page of the account was read


async def test_text_matches_name_id_and_os_case_insensitively(backend: DemoBackend) -> None:
    by_name = {r.image.id for r in await rows(backend, ImageFilter(text="FLEET-0001"))}
    assert by_name == {fleet.fleet_image_id(n) for n in range(10, 20)}
    by_id = await rows(backend, ImageFilter(text=seed.CJK_ID[:13].upper()))
    assert [r.image.id for r in by_id] == [seed.CJK_ID]
    by_os = {r.image.id for r in await rows(backend, ImageFilter(text="euleros 2.9"))}
    assert seed.ENCRYPTED_ID in by_os and fleet.fleet_image_id(2) in by_os and fleet.fleet_image_id(1) not in by_os


async def test_hostile_names_come_back_sanitised_and_literal(backend: DemoBackend) -> None:
    (row,) = await rows(backend, ImageFilter(text=seed.HOSTILE_MARKUP_ID))
    assert row.image.name == seed.HOSTILE_MARKUP_NAME  # markup is text, kept exactly
    (escaped,) = await rows(backend, ImageFilter(text=seed.HOSTILE_ESCAPES_ID))
    assert "\x1b" not in escaped.image.name and "\x1b" in seed.HOSTILE_ESCAPES_NAME


async def test_eligible_only_drops_what_the_verdict_blocks_and_rows_say_why(backend: DemoBackend) -> None:
    every = await rows(backend, ImageFilter())
    blocked = {r.image.id: r for r in every if not r.eligible}
    refused = {seed.ISO_ID, seed.WINDOWS_ID, seed.FULL_ECS_ID, seed.NOT_ACTIVE_ID, seed.SHARED_ENCRYPTED_ID}
    assert refused <= set(blocked)
    assert blocked[seed.ISO_ID].word == "blocked" and "ISO" in blocked[seed.ISO_ID].reason
    eligible = await rows(backend, ImageFilter(eligible_only=True))
    assert {r.image.id for r in eligible} == {r.image.id for r in every if r.eligible}
    assert all(r.word == "eligible" for r in eligible)


async def test_status_filter_and_limit_stop_paging_early(backend: DemoBackend) -> None:
    saving = await rows(backend, ImageFilter(status="saving"))
    assert [r.image.id for r in saving] == [seed.NOT_ACTIVE_ID]
    async with ims_on(backend) as ims:
        lister = ImageLister(ims, page_size=50)
        first = [r async for r in search(lister, ImageFilter(text="fleet"), project_id=None, limit=5)]
    assert [r.image.id for r in first] == [fleet.fleet_image_id(n) for n in range(5)]
    assert lister.requests == 1  # the first page had enough: no other page was asked for


def _row(name: str, created: str | None, size: int | None, n: int) -> ImageRow:
    image = Image(id=f"00000000-0000-4000-8000-{n:012d}", name=name, created_at=created, size_bytes=size)
    return ImageRow(image, assess(image), "private")


def test_sort_by_name_created_and_size_puts_unknowns_last() -> None:
    table = [
        _row("beta", "2025-01-02T00:00:00Z", 5, 1),
        _row("Alpha", None, None, 2),
        _row("gamma", "2025-03-01T00:00:00Z", 9, 3),
    ]
    assert [r.image.name for r in sort_rows(table, "name")] == ["Alpha", "beta", "gamma"]
    assert [r.image.name for r in sort_rows(table, "created")] == ["gamma", "beta", "Alpha"]
    assert [r.image.name for r in sort_rows(table, "created", descending=False)] == ["beta", "gamma", "Alpha"]
    assert [r.image.name for r in sort_rows(table, "size")] == ["gamma", "beta", "Alpha"]
    with pytest.raises(LocalValidationError):
        sort_rows(table, "colour")


keys = st.sampled_from([None, seed.DEMO_CMK_ID, seed.SECOND_CMK_ID, seed.DEMO_CMK_ID.upper(), ""])


@settings(max_examples=200)
@given(cmk=keys, wanted=st.sampled_from([UNENCRYPTED, seed.DEMO_CMK_ID, seed.SECOND_CMK_ID.upper()]))
def test_encrypted_with_keeps_an_image_iff_it_carries_that_key(cmk: str | None, wanted: str) -> None:
    image = Image(id="00000000-0000-4000-8000-000000000001", cmk_id=cmk or None)
    kept = ImageFilter(encrypted_with=wanted).keeps(image, assess(image))
    carries = None if not cmk else cmk.lower()
    assert kept == (carries == (None if wanted == UNENCRYPTED else wanted.lower()))


async def test_key_for_filter_accepts_any_state_none_and_forgotten_ids(backend: DemoBackend) -> None:
    async with ims_on(backend) as ims:
        kms = KmsClient(ims)
        disabled = await key_for_filter(kms, "demo/disabled")
        assert disabled.key_id == sim_kms.DISABLED_KEY_ID and disabled.key is not None
        assert disabled.key.state_text == "disabled"
        assert (await key_for_filter(kms, "DEMO/Retiring")).key_id == sim_kms.PENDING_DELETION_KEY_ID
        assert (await key_for_filter(kms, " None ")).unencrypted
        gone = await key_for_filter(kms, "0000aaaa-0000-4000-8000-000000000000")
        assert gone.key is None and "not known to KMS" in gone.label
        with pytest.raises(LocalValidationError) as unknown:
            await key_for_filter(kms, "demo/nope")
    assert unknown.value.rule == "key.unknown_alias" and "ims/default" in str(unknown.value)
