"""The account's images, page by page: ``GET /v2/cloudimages`` (SDK ListImages) with ``limit`` and ``marker``.

Wire format (``ims-api.md`` §3.1, ``kms-eps-tags.md`` §3): ``__imagetype`` (private; ``shared`` with
``member_status=accepted`` for the images other accounts shared and this project accepted), ``status``, ``name``
(an exact match: substrings are filtered by the caller), ``__system__cmkid`` (a documented key the SDK's model
lacks), ``sort_key=created_at&sort_dir=desc``, ``limit`` (default 500) and ``marker``. The answer is
``{"images": [...]}``; the SDK's model adds ``page_info.next_marker`` while Terraform says the API does not send
it [UNCERTAIN], so the next page starts at ``page_info.next_marker`` when one comes back, else at the last image's
id, and a page shorter than asked for is the last.

``enterprise_project_id=all_granted_eps`` goes with the private images as the lookup sends it: refused (400/403),
the request is made again without it and the client drops it for the session, as :meth:`ImsClient.get_image`
does (one flag for both). Shared images carry no enterprise project of this account ("for shared images,
enterprise projects are not supported"), so that section is asked without it. A refused ``__system__cmkid`` filter
is dropped the same way (tried first: callers filter on :attr:`Image.cmk_id` themselves anyway), and only the
filter that was to blame is dropped.

Every image is parsed by :meth:`Image.from_api` (strings sanitised, numbers range-checked); entries that are not
images with a usable id are skipped and counted. Pages are fetched one at a time, never the whole list at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from imstui.api import service_calls
from imstui.api.client import ALL_GRANTED_EPS, ImsClient
from imstui.api.error_parsing import clean, request_id_of
from imstui.api.errors import ApiError, LocalValidationError, ProtocolError
from imstui.api.fields import is_api_id
from imstui.api.models import Image
from imstui.api.sanitize import sanitize, sanitize_opt

PRIVATE = "private"
SHARED = "shared"
IMAGE_TYPES = ("private", "shared", "gold", "market")
SORT_KEYS = ("created_at", "updated_at", "name", "id", "size", "status")
DEFAULT_PAGE_SIZE = 500  # the API's default page
MAX_PAGE_SIZE = 1000
MAX_PAGES = 10_000  # a server that never stops paging is a protocol error, not an endless loop
_MAX_FILTER_CHARS = 255
_REFUSED = (400, 403)
_PARSE_CHUNK = 50

_Answer = tuple[dict[str, Any], tuple[str, ...]]  # a list answer and the filters dropped to get it


def _filter_value(field_name: str, value: str | None) -> str | None:
    """A query filter: stripped; ``None`` when empty; refused (nothing sent) when it could not be a real value."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > _MAX_FILTER_CHARS or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        why = f"a {field_name} filter is 1 to {_MAX_FILTER_CHARS} printable characters"
        raise LocalValidationError(field_name, f"{field_name}.format", why)
    return text


@dataclass(frozen=True)
class ImageQuery:
    """One section of the listing: which images, in which order (server-side filters only)."""

    image_type: str = PRIVATE
    status: str | None = None
    name: str | None = None  # exact match, as the API does it
    cmk_id: str | None = None  # __system__cmkid
    member_status: str | None = None
    sort_key: str = "created_at"
    sort_dir: str = "desc"

    def __post_init__(self) -> None:
        if self.image_type not in IMAGE_TYPES:
            raise LocalValidationError("image_type", "image_type.choice", f"an image type is one of {IMAGE_TYPES}")
        if self.sort_key not in SORT_KEYS:
            raise LocalValidationError("sort_key", "sort_key.choice", f"the list sorts by one of {SORT_KEYS}")
        if self.sort_dir not in ("asc", "desc"):
            raise LocalValidationError("sort_dir", "sort_dir.choice", "the sort direction is asc or desc")
        for name in ("status", "name", "cmk_id", "member_status"):
            object.__setattr__(self, name, _filter_value(name, getattr(self, name)))

    @classmethod
    def shared_accepted(cls, **filters: Any) -> ImageQuery:
        """The images other accounts shared with this project and it accepted."""
        return cls(image_type=SHARED, member_status="accepted", **filters)

    def params(self, *, cmk_filter: bool = True) -> dict[str, str]:
        params = {"__imagetype": self.image_type, "sort_key": self.sort_key, "sort_dir": self.sort_dir}
        for key, value in (("status", self.status), ("name", self.name), ("member_status", self.member_status)):
            if value:
                params[key] = value
        if self.cmk_id and cmk_filter:
            params["__system__cmkid"] = self.cmk_id
        return params


@dataclass(frozen=True)
class ImagePage:
    """One answer of the list: its images (in the server's order), where the next page starts (``None``: this was
    the last), and how many entries of the answer were skipped (not images, no usable id, already listed)."""

    section: str
    number: int
    images: tuple[Image, ...]
    next_marker: str | None
    skipped: int = 0
    filters_dropped: tuple[str, ...] = field(default=())  # server filters refused and dropped (filtered locally)


def _next_marker(data: dict[str, Any], limit: int) -> str | None:
    """Where the page after ``data`` starts: ``page_info.next_marker`` when it is an id, else the id of the last
    entry that is an image with a usable id (the same id :meth:`Image.from_api` reads) when the page is full;
    ``None`` after a short page, or one with nothing to page on. Read from the raw answer, before it is parsed, so
    the next request can be on its way while this page is."""
    info = data.get("page_info")
    if isinstance(info, dict):
        marker = (sanitize_opt(info.get("next_marker")) or "").strip()
        if is_api_id(marker):
            return marker
    items: list[Any] = data["images"]
    if len(items) < limit:
        return None  # a short page is the last
    for item in reversed(items):
        if isinstance(item, dict):
            ident = sanitize(str(item.get("id") or ""))
            if is_api_id(ident):
                return ident
    return None


async def _parse(items: list[Any]) -> list[Image]:
    """The entries that are images with a usable id, parsed; the event loop gets a turn every
    :data:`_PARSE_CHUNK` entries (a prefetched request goes out and its answer comes in meanwhile)."""
    images: list[Image] = []
    for start in range(0, len(items), _PARSE_CHUNK):
        if start:
            await asyncio.sleep(0)
        for item in items[start : start + _PARSE_CHUNK]:
            if isinstance(item, dict):
                image = Image.from_api(item)
                if is_api_id(image.id):
                    images.append(image)
    return images


class ImageLister:
    """Pages of the account's images through an :class:`ImsClient` (its connection, signer, retries, errors)."""

    def __init__(self, ims: ImsClient, *, page_size: int = DEFAULT_PAGE_SIZE, read_ahead: bool = False) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise LocalValidationError("limit", "limit.range", f"a page holds 1 to {MAX_PAGE_SIZE} images")
        self._ims = ims
        self._page_size = page_size
        self._read_ahead = read_ahead  # ask for the next page while this one is parsed (listings read to the end)
        self._cmk_filter = True
        self.requests = 0  # list requests sent (benchmarks, tests)

    @property
    def page_size(self) -> int:
        return self._page_size

    async def page(
        self, query: ImageQuery, *, marker: str | None = None, limit: int | None = None, number: int = 1
    ) -> ImagePage:
        """One page of ``query`` starting after ``marker``."""
        size = self._page_size if limit is None else limit
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise LocalValidationError("limit", "limit.range", f"a page holds 1 to {MAX_PAGE_SIZE} images")
        return await self._page(query, await self._fetch(query, marker, size), size, number)

    @staticmethod
    async def _page(query: ImageQuery, answer: _Answer, size: int, number: int) -> ImagePage:
        data, dropped = answer
        items: list[Any] = data["images"]  # _fetch checked it is a list
        images = await _parse(items)
        return ImagePage(
            section=query.image_type,
            number=number,
            images=tuple(images),
            next_marker=_next_marker(data, size),
            skipped=len(items) - len(images),
            filters_dropped=dropped,
        )

    async def pages(self, query: ImageQuery, *, max_images: int | None = None) -> AsyncGenerator[ImagePage, None]:
        """Every page of ``query`` in order; at most ``max_images`` images in all. An image already listed is not
        listed again; a marker seen twice or more than :data:`MAX_PAGES` pages is a :class:`ProtocolError`.

        With ``read_ahead`` (and no ``max_images``) the next page is asked for while this one is parsed and used
        (one request ahead, never more: at most two pages are held); a caller that stops early has that request
        cancelled, but it may have been sent. Without it, one request at a time, only when the caller asks."""
        marker: str | None = None
        markers: set[str] = set()
        seen: set[str] = set()
        left = max_images
        ahead: asyncio.Task[_Answer] | None = None
        try:
            for number in range(1, MAX_PAGES + 1):
                limit = self._page_size if left is None else max(1, min(self._page_size, left))
                if ahead is not None:
                    answer, ahead = await ahead, None
                else:
                    answer = await self._fetch(query, marker, limit)
                upcoming = _next_marker(answer[0], limit)
                if self._read_ahead and left is None and upcoming and upcoming not in markers and upcoming != marker:
                    ahead = asyncio.create_task(self._fetch(query, upcoming, limit))
                page = await self._page(query, answer, limit, number)
                fresh: list[Image] = []
                for image in page.images:
                    if image.id not in seen and (left is None or len(fresh) < left):
                        seen.add(image.id)
                        fresh.append(image)
                if left is not None:
                    left -= len(fresh)
                skipped = page.skipped + len(page.images) - len(fresh)
                done = page.next_marker is None or left == 0
                following = None if done else page.next_marker
                yield ImagePage(page.section, number, tuple(fresh), following, skipped, page.filters_dropped)
                if done or page.next_marker is None:  # (the second test is for mypy: done covers it)
                    return
                if page.next_marker in markers or page.next_marker == marker:
                    raise ProtocolError(f"the image list repeated the page marker {page.next_marker}")
                if marker is not None:
                    markers.add(marker)
                marker = page.next_marker
            raise ProtocolError(f"the image list did not end after {MAX_PAGES} pages")
        finally:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead

    async def account_pages(
        self,
        *,
        status: str | None = None,
        name: str | None = None,
        cmk_id: str | None = None,
        shared: bool = True,
        sort_key: str = "created_at",
        sort_dir: str = "desc",
        max_images: int | None = None,
    ) -> AsyncGenerator[ImagePage, None]:
        """The project's private images, then (``shared``) the shared images it accepted: the two sections."""
        filters: dict[str, Any] = {"status": status, "name": name, "cmk_id": cmk_id}
        order = {"sort_key": sort_key, "sort_dir": sort_dir}
        queries = [ImageQuery(PRIVATE, **filters, **order)]
        if shared:
            queries.append(ImageQuery.shared_accepted(**filters, **order))
        left = max_images
        for query in queries:
            async for page in self.pages(query, max_images=left):
                yield page
                if left is not None:
                    left -= len(page.images)
            if left is not None and left <= 0:
                return

    async def _fetch(self, query: ImageQuery, marker: str | None, limit: int) -> _Answer:
        """One list request. Refused (400/403) with optional filters on, it is made again with fewer: first
        without ``__system__cmkid`` (filtered locally anyway), then without the enterprise-project filter (and with
        the key filter back), then without both; whichever filter was to blame is dropped for good."""
        ims = self._ims
        project_id = await ims.ensure_project_id()
        eps = query.image_type == PRIVATE and ims._use_eps_filter  # the lookup's flag: one answer per session
        cmk = bool(query.cmk_id) and self._cmk_filter
        tries = [(eps, cmk), (eps, False), (False, cmk), (False, False)]
        tries = list(dict.fromkeys(tries))  # the distinct combinations, most filters first
        for number, (with_eps, with_cmk) in enumerate(tries, start=1):
            params = query.params(cmk_filter=with_cmk)
            params["limit"] = str(limit)
            if marker:
                params["marker"] = marker
            if with_eps:
                params["enterprise_project_id"] = ALL_GRANTED_EPS
            self.requests += 1
            try:
                response = await service_calls.call(
                    ims,
                    "GET",
                    f"{ims.ims_endpoint}/v2/cloudimages",
                    auth=service_calls.project_auth(ims, project_id),
                    params=params,
                    what="the image list",
                )
            except ApiError as error:
                if error.status not in _REFUSED or number == len(tries):
                    raise
                continue
            dropped: list[str] = []
            if eps and not with_eps:
                ims._use_eps_filter = False  # as the lookup does after the same refusal
                dropped.append("enterprise_project_id")
            if cmk and not with_cmk:
                self._cmk_filter = False
                dropped.append("__system__cmkid")
            data = service_calls.json_object(response, "the image list")
            if not isinstance(data.get("images"), list):
                raise ProtocolError(f"the image list has no 'images' list: {clean(data, 200)}", request_id_of(response))
            return data, tuple(dropped)
        raise AssertionError("unreachable: the last try raises or returns")  # pragma: no cover
