"""imstui.api.image_list: paging (with and without page_info.next_marker), the enterprise-project fallback, the
two sections, hostile answers — against a scripted IMS (httpx.MockTransport) and the in-process simulator."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ims_fake_server import IAM, IMS, PROJECT_ID, REGION, credentials, image_doc

from imstui.api.client import ImsClient
from imstui.api.errors import ApiError, LocalValidationError, ProtocolError
from imstui.api.image_list import ImageLister, ImageQuery
from imstui.api.retry import RetryPolicy
from imstui.sim import controlled_backend, fleet, seed


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


class ListServer:
    """A scripted ``GET /v2/cloudimages``: ``images`` newest first, ``limit``/``marker`` paging as the sim does;
    ``page_info`` adds an opaque next_marker token; ``refuse`` answers 403 while the request carries that key."""

    def __init__(self, images: list[dict[str, Any]], *, page_info: bool = False, refuse: str | None = None) -> None:
        self.images = images
        self.page_info = page_info
        self.refuse = refuse
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        if self.refuse and self.refuse in params:
            denied = {"error_code": "APIGW.0306", "error_msg": "API access denied.", "request_id": "r"}
            return httpx.Response(403, json=denied)
        limit = int(params.get("limit", "500"))
        start = 0
        marker = params.get("marker")
        if marker:
            ids = [i.get("id") for i in self.images]
            token = marker.removeprefix("tok")
            start = int(token) if marker.startswith("tok") else ids.index(marker) + 1
        page = self.images[start : start + limit]
        body: dict[str, Any] = {"images": page}
        if self.page_info:
            more = start + limit < len(self.images)
            body["page_info"] = {"next_marker": f"tok{start + limit}" if more else None}
        return httpx.Response(200, json=body)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> ImsClient:
    return ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        ims_endpoint=IMS,
        iam_endpoint=IAM,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy.no_retries(),
    )


async def _all(lister: ImageLister, query: ImageQuery, **kw: Any) -> list[str]:
    return [image.id for page in [p async for p in lister.pages(query, **kw)] for image in page.images]


@pytest.mark.parametrize("read_ahead", [False, True])
@pytest.mark.parametrize("count", [7, 6, 0])
async def test_pages_by_the_last_image_id_when_no_next_marker(count: int, read_ahead: bool) -> None:
    server = ListServer([image_doc(id=_uuid(n), name=f"img-{n}") for n in range(count)])
    async with _client(server) as ims:
        lister = ImageLister(ims, page_size=3, read_ahead=read_ahead)
        ids = await _all(lister, ImageQuery())
    assert ids == [_uuid(n) for n in range(count)]
    markers = [r.get("marker") for r in server.requests]
    # a full page asks for the next one after its last id; a short (or empty) page is the last
    expected = {7: [None, _uuid(2), _uuid(5)], 6: [None, _uuid(2), _uuid(5)], 0: [None]}[count]
    assert markers == expected
    assert all(r["limit"] == "3" and r["__imagetype"] == "private" for r in server.requests)
    assert all((r["sort_key"], r["sort_dir"]) == ("created_at", "desc") for r in server.requests)


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_follows_page_info_next_marker_when_the_server_sends_one(read_ahead: bool) -> None:
    server = ListServer([image_doc(id=_uuid(n)) for n in range(8)], page_info=True)
    async with _client(server) as ims:
        ids = await _all(ImageLister(ims, page_size=3, read_ahead=read_ahead), ImageQuery())
    assert ids == [_uuid(n) for n in range(8)]
    assert [r.get("marker") for r in server.requests] == [None, "tok3", "tok6"]


async def test_a_refused_all_granted_eps_falls_back_for_the_session() -> None:
    server = ListServer([image_doc(id=_uuid(n)) for n in range(4)], refuse="enterprise_project_id")
    async with _client(server) as ims:
        lister = ImageLister(ims, page_size=3)
        pages = [p async for p in lister.pages(ImageQuery())]
        assert [i.id for p in pages for i in p.images] == [_uuid(n) for n in range(4)]
        assert pages[0].filters_dropped == ("enterprise_project_id",)
        assert ims._use_eps_filter is False  # the lookup (get_image) no longer sends it either
    sent = [r.get("enterprise_project_id") for r in server.requests]
    assert sent == ["all_granted_eps", None, None]  # refused once, then never sent again


async def test_the_eps_filter_is_sent_with_private_images_only() -> None:
    server = ListServer([image_doc(id=_uuid(1))])
    async with _client(server) as ims:
        pages = [p async for p in ImageLister(ims).account_pages(status="active")]
    assert [p.section for p in pages] == ["private", "shared"]
    private, shared = server.requests
    assert private["enterprise_project_id"] == "all_granted_eps" and private["status"] == "active"
    assert "enterprise_project_id" not in shared
    assert (shared["__imagetype"], shared["member_status"], shared["status"]) == ("shared", "accepted", "active")


@pytest.mark.parametrize(
    ("refuse", "dropped", "sent"),
    [
        # the key filter refused: only it is dropped; the enterprise-project filter stays for the session
        ("__system__cmkid", ("__system__cmkid",), [(True, True), (True, False), (True, False)]),
        # the enterprise-project filter refused: only it is dropped; the key filter stays
        (
            "enterprise_project_id",
            ("enterprise_project_id",),
            [(True, True), (True, False), (False, True), (False, True)],
        ),
    ],
)
async def test_only_the_refused_filter_is_dropped(
    refuse: str, dropped: tuple[str, ...], sent: list[tuple[bool, bool]]
) -> None:
    server = ListServer([image_doc(id=_uuid(n), __system__cmkid=seed.DEMO_CMK_ID) for n in range(3)], refuse=refuse)
    async with _client(server) as ims:
        lister = ImageLister(ims, page_size=2)
        pages = [p async for p in lister.pages(ImageQuery(cmk_id=seed.DEMO_CMK_ID))]
        assert ims._use_eps_filter is (refuse != "enterprise_project_id")
    assert pages[0].filters_dropped == dropped and pages[1].filters_dropped == ()
    assert [i.id for p in pages for i in p.images] == [_uuid(n) for n in range(3)]
    assert [("enterprise_project_id" in r, "__system__cmkid" in r) for r in server.requests] == sent


async def test_other_errors_are_raised_not_retried_without_filters() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error_code": "APIGW.0301", "error_msg": "bad signature"})

    async with _client(handler) as ims:
        with pytest.raises(ApiError) as caught:
            [p async for p in ImageLister(ims).pages(ImageQuery())]
    assert caught.value.status == 401


async def test_hostile_entries_are_sanitised_or_skipped() -> None:
    images = [
        image_doc(id=_uuid(1), name="[b]bold[/b] \x1b[31mred\u202e", __image_size="1e400", min_disk=10**400),
        {"name": "no id at all"},
        "not an object",
        image_doc(id="x" * 500, name="id too long"),
        image_doc(id=_uuid(1), name="the same id again"),
    ]
    server = ListServer(images)
    async with _client(server) as ims:
        pages = [p async for p in ImageLister(ims).pages(ImageQuery())]
    (page,) = pages
    (image,) = page.images
    assert image.name == "[b]bold[/b] red"  # markup kept literally; escape and bidi control removed
    assert image.size_bytes is None and image.min_disk_gb is None and len(image.problems) == 2
    assert page.skipped == 4


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_a_repeated_marker_is_a_protocol_error(read_ahead: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"images": [image_doc(id=_uuid(9))], "page_info": {"next_marker": "same"}})

    async with _client(handler) as ims:
        with pytest.raises(ProtocolError, match="repeated the page marker"):
            [p async for p in ImageLister(ims, page_size=1, read_ahead=read_ahead).pages(ImageQuery())]


async def test_read_ahead_asks_for_the_next_page_before_the_first_is_used_and_cancels_it_on_stop() -> None:
    arrived = asyncio.Event()
    release = asyncio.Event()
    server = ListServer([image_doc(id=_uuid(n)) for n in range(9)])

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("marker"):
            arrived.set()
            await release.wait()  # the second page is held until the consumer has stopped
        return server(request)

    async with _client(handler) as ims:  # type: ignore[arg-type]
        pages = ImageLister(ims, page_size=3, read_ahead=True).pages(ImageQuery())
        first = await anext(pages)
        await asyncio.wait_for(arrived.wait(), 5)  # asked for while the first page was being used
        assert [i.id for i in first.images] == [_uuid(n) for n in range(3)]
        await pages.aclose()  # the consumer stops: the request ahead is cancelled, nothing is left running
        release.set()
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert [r.get("marker") for r in server.requests] == [None]  # the held request never got its answer


async def test_max_images_asks_only_for_what_is_needed() -> None:
    server = ListServer([image_doc(id=_uuid(n)) for n in range(50)])
    async with _client(server) as ims:
        ids = await _all(ImageLister(ims, page_size=20), ImageQuery(), max_images=25)
    assert ids == [_uuid(n) for n in range(25)]
    assert [r["limit"] for r in server.requests] == ["20", "5"]


@pytest.mark.parametrize(
    "bad",
    [{"image_type": "all"}, {"sort_key": "name; drop"}, {"sort_dir": "up"}, {"name": "a\nb"}, {"status": "s" * 300}],
)
def test_bad_queries_are_refused_before_anything_is_sent(bad: dict[str, str]) -> None:
    with pytest.raises(LocalValidationError):
        ImageQuery(**bad)


@pytest.mark.parametrize("page_info", [False, True])
async def test_thousands_of_simulated_images_page_through_in_order(page_info: bool) -> None:
    backend = controlled_backend(generated_images=2_345, page_info=page_info)
    client = ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )
    async with client:
        lister = ImageLister(client, page_size=1000)
        pages = [p async for p in lister.pages(ImageQuery())]
    ids = [i.id for p in pages for i in p.images]
    own_private = [i for i in backend.state.images.values() if i["owner"] == backend.project_id]
    assert len(ids) == len(set(ids)) == len(own_private)
    assert ids[-1] == fleet.fleet_image_id(2_344)  # the oldest generated image comes last (newest first)
    assert lister.requests == len(pages) == 3
