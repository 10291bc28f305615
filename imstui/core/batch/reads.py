"""Reading a plan's source images with few requests, and the quota.

IMS's list (``GET /v2/cloudimages``, ``ims-api.md`` §3.1) filters by one ``id`` at a time, so a batch reads the
account's image list in pages (``limit``, paged by the last id seen, as Terraform does) and picks its ids locally,
stopping once every id is found; what the pages did not show (an id of another project, shared with this one, or
no image at all) is then looked up one by one (``GET /v2/cloudimages?id=``), which also says "not found" exactly
as a single copy does. A batch of at most :data:`SINGLE_READS_UP_TO` ids is looked up one by one directly.

The page reader is a callable (``list_page(marker) -> (images, next marker)``, e.g. over
:class:`imstui.api.image_list.ImageLister`) so any listing can be plugged in; without one, every id is looked up by
itself (one request per image, counted in :attr:`ImageReads.requests`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from imstui.api.errors import ImstuiError
from imstui.api.models import Image
from imstui.api.protocol import ImsApi
from imstui.core.batch.plan import BatchPlan, BatchSpec, build_plan
from imstui.core.eligibility import read_quota
from imstui.core.validation import check_image_id

__all__ = ["PAGE_SIZE", "SINGLE_READS_UP_TO", "ImageReads", "ListPage", "prepare_plan", "read_images"]

PAGE_SIZE = 500  # IMS's default and documented page size
SINGLE_READS_UP_TO = 3
PARALLEL_READS = 8
MAX_PAGES = 400  # 200,000 images: past that, look the rest up one by one

# One page of the list starting after a marker (None: the first) -> its images and the next marker (None: last).
ListPage = Callable[[str | None], Awaitable[tuple[Sequence[Image], str | None]]]


@dataclass
class ImageReads:
    """``found``: by lower-cased id, the image or the error reading it; ``requests``: requests made (pages, single
    lookups); ``pages``/``singles`` split them."""

    found: dict[str, Image | ImstuiError] = field(default_factory=dict)
    pages: int = 0
    singles: int = 0

    @property
    def requests(self) -> int:
        return self.pages + self.singles

    def images(self) -> dict[str, Image]:
        return {key: value for key, value in self.found.items() if isinstance(value, Image)}


async def _single(api: ImsApi, image_id: str, reads: ImageReads, limit: asyncio.Semaphore) -> None:
    async with limit:
        reads.singles += 1
        try:
            reads.found[image_id.lower()] = await api.get_image(image_id)
        except ImstuiError as exc:  # ImageNotFoundError included: the plan says "not found"
            reads.found[image_id.lower()] = exc


async def _pages(list_page: ListPage, wanted: set[str], reads: ImageReads) -> None:
    marker: str | None = None
    while wanted and reads.pages < MAX_PAGES:
        reads.pages += 1
        page, following = await list_page(marker)
        for image in page:
            key = image.id.lower()
            if key in wanted:
                reads.found[key] = image
                wanted.discard(key)
        if following is None or following == marker:
            return
        marker = following


async def read_images(api: ImsApi, image_ids: Sequence[str], *, list_page: ListPage | None = None) -> ImageReads:
    """Every image of ``image_ids`` (see the module docstring for the requests it takes). A failed page ends the
    paging (its error is not the images' fault): the ids still missing are looked up one by one."""
    reads = ImageReads()
    wanted = {i.lower() for i in image_ids}
    if list_page is not None and len(wanted) > SINGLE_READS_UP_TO:
        try:
            await _pages(list_page, set(wanted), reads)
        except ImstuiError:
            pass
    limit = asyncio.Semaphore(PARALLEL_READS)
    missing = [i for i in dict.fromkeys(image_ids) if i.lower() not in reads.found]
    await asyncio.gather(*(_single(api, i, reads, limit) for i in missing))
    return reads


async def prepare_plan(
    api: ImsApi, spec: BatchSpec, *, list_page: ListPage | None = None, today: date | None = None
) -> tuple[BatchPlan, ImageReads]:
    """Read the images of ``spec`` (well-formed ids only) and the quota, and build the plan. ``plan.requests``
    counts every request it took (the reads, the quota; the project id discovery, if any, is not counted)."""
    project_id = await api.ensure_project_id()
    ids = [s.image_id for s in spec.sources if check_image_id(s.image_id) is None]
    reads = await read_images(api, ids, list_page=list_page)
    quota = await read_quota(api)
    plan = build_plan(
        spec,
        reads.found,
        project_id=project_id,
        quota=quota,
        today=today or datetime.now(timezone.utc).date(),
        requests=reads.requests + 1,
    )
    return plan, reads
