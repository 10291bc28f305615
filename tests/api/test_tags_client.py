"""Image tags through imstui's client against the simulator: create, overwrite, read back, server refusals."""

from __future__ import annotations

import json

import httpx
import pytest

from imstui.api.client import ImsClient
from imstui.api.credentials import Credentials
from imstui.api.errors import ImageNotFoundError, ImsServiceError
from imstui.api.secret import Secret
from imstui.api.tag_models import ImageTag
from imstui.api.tags import add_image_tags, list_image_tags
from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend


def ims_on(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


async def test_tags_are_created_overwritten_and_read_back() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        await add_image_tags(ims, seed.ELIGIBLE_LINUX_ID, [ImageTag("env", "prod"), ImageTag("owner", "")])
        await add_image_tags(ims, seed.ELIGIBLE_LINUX_ID, [ImageTag("env", "staging")])
        tags = await list_image_tags(ims, seed.ELIGIBLE_LINUX_ID)
    assert tags == [ImageTag("env", "staging"), ImageTag("owner", "")]
    assert backend.state.tags.calls == 2


async def test_no_tags_sends_nothing() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        await add_image_tags(ims, seed.ELIGIBLE_LINUX_ID, [])
    assert backend.state.tags.calls == 0


async def test_server_refuses_an_eleventh_tag() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        await add_image_tags(ims, seed.ELIGIBLE_SMALL_ID, [ImageTag(f"k{n}", "v") for n in range(10)])
        with pytest.raises(ImsServiceError) as caught:
            await add_image_tags(ims, seed.ELIGIBLE_SMALL_ID, [ImageTag("one-more", "v")])
        assert len(await list_image_tags(ims, seed.ELIGIBLE_SMALL_ID)) == 10
    assert caught.value.status == 400 and "maximum of 10" in caught.value.message


async def test_someone_elses_image_cannot_be_tagged() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        with pytest.raises(ImsServiceError) as caught:
            await add_image_tags(ims, seed.PUBLIC_GOLD_ID, [ImageTag("env", "prod")])
    assert caught.value.code == "IMG.0047"


async def test_unknown_image_answers_404() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        with pytest.raises((ImsServiceError, ImageNotFoundError)) as caught:
            await list_image_tags(ims, "00000000-0000-4000-8000-000000000000")
    assert getattr(caught.value, "code", "IMG.0027") == "IMG.0027"


async def test_wire_format_is_the_documented_one() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    project = "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"
    async with ImsClient(
        credentials=Credentials("AK", Secret("SK")),
        region="ap-southeast-1",
        project_id=project,
        transport=httpx.MockTransport(handler),
    ) as ims:
        await add_image_tags(ims, "img-1", [ImageTag("env", "prod")])
    request = seen[0]
    assert request.method == "POST"
    assert request.url.path == f"/v2/{project}/images/img-1/tags/action"
    assert json.loads(request.content) == {"action": "create", "tags": [{"key": "env", "value": "prod"}]}


async def test_hostile_tag_text_from_the_server_is_sanitised() -> None:
    body = {"tags": [{"key": "k\x1b[31m", "value": "v\u202e"}, {"key": "", "value": "dropped"}, "junk"]}
    async with ImsClient(
        credentials=Credentials("AK", Secret("SK")),
        region="ap-southeast-1",
        project_id="p1",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body)),
    ) as ims:
        assert await list_image_tags(ims, "img") == [ImageTag("k", "v")]
