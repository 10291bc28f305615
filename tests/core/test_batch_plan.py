"""The batch plan and its pre-flight: templates, sources, duplicates, names, eligibility, quota, and the reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imstui.api.errors import ImageNotFoundError, ImstuiError, TransportError
from imstui.api.models import CopyRequest, Image, Job
from imstui.api.quota import ImageQuota
from imstui.core.batch import (
    BatchPlan,
    BatchSpec,
    ItemVerdict,
    SourceRef,
    build_plan,
    check_template,
    parse_sources,
    read_images,
    render_name,
)
from imstui.core.eligibility import QuotaReading

PROJECT = "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"
TODAY = date(2026, 12, 2)


def _id(n: int) -> str:
    return f"{n:08x}-2222-4333-8444-555555555555"


def _image(n: int, name: str | None = None, **extra: object) -> Image:
    doc: dict[str, object] = {
        "id": _id(n),
        "name": name or f"web{n}",
        "status": "active",
        "__imagetype": "private",
        "owner": PROJECT,
        **extra,
    }
    return Image.from_api(doc)


def _plan(spec: BatchSpec, images: Sequence[Image], quota: QuotaReading | None = None) -> BatchPlan:
    return build_plan(spec, {i.id: i for i in images}, project_id=PROJECT, quota=quota, today=TODAY)


def test_a_template_names_each_copy_from_its_source_position_and_the_utc_date() -> None:
    spec = BatchSpec(sources=(SourceRef(_id(1)), SourceRef(_id(2))), name_template="{name}-{id8}-{date}-{n}")
    plan = build_plan(spec, {_id(1): _image(1), _id(2): _image(2)}, project_id=PROJECT, quota=None, today=TODAY)
    assert [i.target_name for i in plan.items] == ["web1-00000001-20261202-1", "web2-00000002-20261202-2"]
    assert [i.verdict for i in plan.items] == [ItemVerdict.READY, ItemVerdict.READY]


@pytest.mark.parametrize("template", ["{nam}", "{name.__class__}", "x{", "}x", "", "  "])
def test_a_template_with_an_unknown_placeholder_or_a_stray_brace_is_refused(template: str) -> None:
    assert check_template(template) is not None


@given(st.lists(st.sampled_from(["a", "-", "_", "{name}", "{id8}", "{date}", "{n}", "7"]), min_size=1, max_size=8))
def test_every_template_of_known_placeholders_is_accepted_and_renders_without_braces(parts: list[str]) -> None:
    template = "".join(parts)
    assert check_template(template) is None
    rendered = render_name(template, name="web", image_id=_id(9), n=3, today=TODAY)
    assert "{" not in rendered and "}" not in rendered


def test_sources_from_the_command_line_and_a_csv_file_with_names_comments_and_quotes() -> None:
    text = f'# header comment\n{_id(2).upper()}\n\n{_id(3)},"db, primary"\n {_id(4)} , web four \n'
    found = parse_sources([f" {_id(1)}\n"], text)
    assert found == [
        SourceRef(_id(1)),
        SourceRef(_id(2)),  # a UUID is lower-cased as a single copy's id is
        SourceRef(_id(3), "db, primary"),
        SourceRef(_id(4), "web four"),
    ]


def test_duplicate_sources_are_merged_into_one_item_and_said_once() -> None:
    sources = (SourceRef(_id(1)), SourceRef(_id(2)), SourceRef(_id(1).upper()), SourceRef(_id(1)))
    plan = _plan(BatchSpec(sources=sources, name_template="{name}-c"), [_image(1), _image(2)])
    assert [i.source_image_id for i in plan.items] == [_id(1), _id(2)]
    assert plan.merged == (_id(1).upper(),)


def test_a_name_two_items_would_get_is_refused_for_both_before_anything_is_sent() -> None:
    spec = BatchSpec(sources=(SourceRef(_id(1)), SourceRef(_id(2)), SourceRef(_id(3))), name_template="copy-{date}")
    plan = _plan(spec, [_image(1), _image(2), _image(3)])
    assert [i.verdict for i in plan.items] == [ItemVerdict.DUPLICATE_NAME] * 3
    assert "items 1, 2, 3" in plan.items[0].reasons[0]
    assert plan.empty


def test_a_template_that_makes_an_invalid_name_refuses_that_item_only() -> None:
    long_name = "n" * 125  # + "-rekeyed": 133 characters
    spec = BatchSpec(sources=(SourceRef(_id(1)), SourceRef(_id(2))), name_template="{name}-rekeyed")
    plan = _plan(spec, [_image(1, long_name), _image(2)])
    first, second = plan.items
    assert first.verdict is ItemVerdict.INVALID and "128" in first.reasons[0]
    assert second.verdict is ItemVerdict.READY and second.target_name == "web2-rekeyed"


def test_not_found_unreadable_ineligible_and_bad_ids_are_listed_with_their_reason() -> None:
    windows = _image(3, __os_type="Windows")
    sources = (SourceRef(_id(1)), SourceRef(_id(2)), SourceRef(_id(3)), SourceRef("not-an-id"), SourceRef(_id(5)))
    found: dict[str, Image | ImstuiError] = {
        _id(1): ImageNotFoundError(_id(1)),
        _id(2): TransportError("connection reset"),
        _id(3): windows,
        _id(5): _image(5),
    }
    plan = build_plan(
        BatchSpec(sources=sources, name_template="{name}-c"), found, project_id=PROJECT, quota=None, today=TODAY
    )
    verdicts = [i.verdict for i in plan.items]
    assert verdicts == [
        ItemVerdict.NOT_FOUND,
        ItemVerdict.UNREADABLE,
        ItemVerdict.NOT_ELIGIBLE,
        ItemVerdict.INVALID,
        ItemVerdict.READY,
    ]
    assert plan.items[2].reasons == ("Windows image",)
    assert "connection reset" in plan.items[1].reasons[0]
    assert "UUID" in plan.items[3].reasons[0]
    assert [i.position for i in plan.ready] == [5]


def test_the_copy_key_must_differ_from_the_source_key() -> None:
    key = "4f8b2c1d-6a3e-4d59-9b7a-0c1e2f3a4b5c"
    spec = BatchSpec(sources=(SourceRef(_id(1)), SourceRef(_id(2))), name_template="{name}-k", cmk_id=key)
    plan = _plan(spec, [_image(1, __system__cmkid=key), _image(2)])
    assert [i.verdict for i in plan.items] == [ItemVerdict.INVALID, ItemVerdict.READY]
    assert "IMG.0096" in plan.items[0].reasons[0]


def test_the_quota_allows_what_is_left_and_the_items_past_it_are_over_quota() -> None:
    quota = QuotaReading(ImageQuota(used=47, quota=50))
    sources = tuple(SourceRef(_id(n)) for n in range(1, 6))
    plan = _plan(BatchSpec(sources=sources, name_template="{name}-q"), [_image(n) for n in range(1, 6)], quota)
    verdicts = [i.verdict for i in plan.items]
    assert verdicts == [ItemVerdict.READY] * 3 + [ItemVerdict.OVER_QUOTA] * 2
    assert "5 copies needed, 3 left" in plan.items[4].reasons[0]


def test_an_unknown_quota_blocks_nothing() -> None:
    plan = _plan(
        BatchSpec(sources=(SourceRef(_id(1)),), name_template="{name}-q"), [_image(1)], QuotaReading(problem="HTTP 403")
    )
    assert plan.items[0].ready


def test_an_explicit_name_wins_over_the_template() -> None:
    spec = BatchSpec(sources=(SourceRef(_id(1), "mine"), SourceRef(_id(2))), name_template="{name}-t")
    plan = _plan(spec, [_image(1), _image(2)])
    assert [i.target_name for i in plan.items] == ["mine", "web2-t"]


class _Listing:
    """An ImsApi whose image list is served in pages; single lookups are counted."""

    def __init__(self, images: list[Image], page_size: int) -> None:
        self.images, self.page_size = images, page_size
        self.pages = 0
        self.singles: list[str] = []

    @property
    def region(self) -> str:
        return "r"

    @property
    def project_id(self) -> str | None:
        return PROJECT

    async def ensure_project_id(self) -> str:
        return PROJECT

    async def get_image(self, image_id: str) -> Image:
        self.singles.append(image_id)
        for image in self.images:
            if image.id == image_id:
                return image
        raise ImageNotFoundError(image_id)

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        raise AssertionError("a plan sends nothing")

    async def get_image_quota(self) -> ImageQuota:
        return ImageQuota(0, 100)

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        raise AssertionError("a plan polls nothing")

    async def aclose(self) -> None:
        return None

    async def page(self, marker: str | None) -> tuple[list[Image], str | None]:
        self.pages += 1
        start = 0 if marker is None else next(i for i, im in enumerate(self.images) if im.id == marker) + 1
        chunk = self.images[start : start + self.page_size]
        return chunk, (chunk[-1].id if len(chunk) == self.page_size else None)


async def test_a_hundred_images_are_read_in_pages_that_stop_once_every_id_is_found() -> None:
    api = _Listing([_image(n) for n in range(300)], page_size=50)
    wanted = [_id(n) for n in range(0, 200, 2)]  # 100 images, all on the first 4 pages
    reads = await read_images(api, wanted, list_page=api.page)
    assert api.pages == 4 and api.singles == []
    assert reads.requests == 4 <= len(wanted) // 50 + 3
    assert sorted(reads.images()) == sorted(wanted)


async def test_an_id_the_pages_do_not_show_is_looked_up_by_itself_after_the_whole_list() -> None:
    api = _Listing([_image(n) for n in range(120)], page_size=50)
    wanted = [_id(n) for n in range(10)] + [_id(999)]
    reads = await read_images(api, wanted, list_page=api.page)
    assert api.pages == 3 and api.singles == [_id(999)]  # 120 images: 50 + 50 + 20, then one lookup
    assert isinstance(reads.found[_id(999)], ImageNotFoundError) and len(reads.images()) == 10


async def test_a_small_batch_is_looked_up_one_by_one() -> None:
    api = _Listing([_image(1), _image(2)], page_size=50)
    reads = await read_images(api, [_id(1), _id(2)], list_page=api.page)
    assert api.pages == 0 and sorted(api.singles) == [_id(1), _id(2)] and reads.requests == 2
