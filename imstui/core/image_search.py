"""Finding images in the account: filters, sort and the copy verdict per row, over the paged image list.

The server filters what it can (``status``, ``__system__cmkid``; see :mod:`imstui.api.image_list`); every filter
is applied here again on what comes back, so a server that ignores a filter (or refuses it and has it dropped)
still gives exactly the images asked for. ``text`` is a case-insensitive substring of the name, the id or the OS
(type, platform, version). ``encrypted_with`` is a KMS key id, or :data:`UNENCRYPTED` (``none``) for the images
without a key. ``eligible_only`` keeps the images :func:`imstui.core.eligibility.assess` does not block.

Naming the key of a filter (:func:`key_for_filter`) differs from choosing the key of a copy
(:func:`imstui.core.keys.resolve_key`): the key images are encrypted with may be disabled, pending deletion or
even gone (that is why an operator re-keys), so any state is accepted, and a key id KMS no longer knows still
names the images that carry it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imstui.api.errors import ApiError, LocalValidationError
from imstui.api.kms_models import KeyNotFoundError, KmsKey
from imstui.api.models import Image
from imstui.api.sanitize import sanitize
from imstui.core.eligibility import Verdict, assess
from imstui.core.keys import KeySource, enabled_alias_list
from imstui.core.validation import check_cmk_id, normalise_image_id

if TYPE_CHECKING:  # the client (and httpx) load when a command lists images, not when its parser is built
    from imstui.api.image_list import ImageLister

UNENCRYPTED = "none"
SORTS = ("created", "name", "size")


@dataclass(frozen=True)
class FilterKey:
    """The key a filter names: ``key_id`` (or :data:`UNENCRYPTED`), how to show it, and, when KMS knows it, the
    key itself (its state: a disabled key's images are the ones to re-key)."""

    key_id: str
    label: str
    key: KmsKey | None = None

    @property
    def unencrypted(self) -> bool:
        return self.key_id == UNENCRYPTED


async def key_for_filter(kms: KeySource, alias_or_id: str) -> FilterKey:
    """``none`` (no key), a key id (described when KMS knows it), or an alias of a key in any state."""
    text = normalise_image_id(alias_or_id or "")
    if not text:
        raise LocalValidationError("key", "key.required", "a KMS key alias or id (or 'none') is required")
    if text.lower() == UNENCRYPTED:
        return FilterKey(UNENCRYPTED, "no key (unencrypted)")
    if check_cmk_id(text) is None:  # a key id: describe it for its alias; a key KMS forgot still names images
        try:
            key = await kms.describe_key(text)
        except KeyNotFoundError:
            return FilterKey(text, f"{text} (not known to KMS)")
        except ApiError as error:  # no KMS rights, say: the id alone still names the images
            return FilterKey(text, f"{text} (KMS not asked: HTTP {error.status} {sanitize(error.code)})")
        return FilterKey(key.key_id, key.label, key)
    keys = await kms.list_keys(key_state=None)
    matches = [k for k in keys if k.alias == text] or [k for k in keys if k.alias.lower() == text.lower()]
    if len(matches) != 1:
        what = f"{len(matches)} KMS keys have" if matches else "no KMS key has"
        raise LocalValidationError(
            "key",
            "key.ambiguous" if matches else "key.unknown_alias",
            f"{what} the alias {text}; give the key id (enabled keys: {enabled_alias_list(keys)})",
        )
    return FilterKey(matches[0].key_id, matches[0].label, matches[0])


@dataclass(frozen=True)
class ImageFilter:
    """What to keep. All given conditions must hold."""

    text: str | None = None
    status: str | None = None
    eligible_only: bool = False
    encrypted_with: str | None = None  # a key id, or UNENCRYPTED

    def server_cmk_id(self) -> str | None:
        """The ``__system__cmkid`` the server can filter on (``none`` it cannot)."""
        key = self.encrypted_with
        return None if key is None or key == UNENCRYPTED else key

    def keeps(self, image: Image, verdict: Verdict) -> bool:
        if self.status and (image.status or "").lower() != self.status.lower():
            return False
        if self.encrypted_with is not None:
            wanted = None if self.encrypted_with == UNENCRYPTED else self.encrypted_with.lower()
            have = (image.cmk_id or "").strip().lower() or None
            if have != wanted:
                return False
        if self.eligible_only and not verdict.ok:
            return False
        return self.text is None or matches_text(image, self.text)


def matches_text(image: Image, text: str) -> bool:
    """``text`` (case-insensitive) in the image's name, id or OS words."""
    needle = text.strip().lower()
    if not needle:
        return True
    haystack = (image.name, image.id, image.os_type, image.platform, image.os_version)
    return any(needle in value.lower() for value in haystack if value)


@dataclass(frozen=True)
class ImageRow:
    """One image of the browser or ``imstui images``, with its copy verdict; ``section`` is the list it came
    from (``private``, or ``shared`` for images shared with the project and accepted)."""

    image: Image
    verdict: Verdict
    section: str

    @property
    def eligible(self) -> bool:
        return self.verdict.ok

    @property
    def word(self) -> str:
        """``eligible`` or ``blocked`` (the verdict in one word)."""
        return "eligible" if self.verdict.ok else "blocked"

    @property
    def reason(self) -> str:
        """Why it is blocked (the first blocking condition), or its first warning, or ``""``."""
        conditions = self.verdict.blocking or self.verdict.warnings
        return conditions[0].title if conditions else ""


async def search(
    lister: ImageLister,
    wanted: ImageFilter,
    *,
    project_id: str | None,
    limit: int | None = None,
    shared: bool = True,
) -> AsyncIterator[ImageRow]:
    """The rows ``wanted`` keeps, newest first within each section (private, then shared-and-accepted), as the
    pages arrive; at most ``limit`` rows (then no further page is asked for)."""
    if limit is not None and limit < 1:
        raise LocalValidationError("limit", "limit.range", "the limit is at least 1")
    shown = 0
    pages = lister.account_pages(status=wanted.status, cmk_id=wanted.server_cmk_id(), shared=shared)
    async for page in pages:
        for image in page.images:
            verdict = assess(image, project_id)
            if wanted.keeps(image, verdict):
                yield ImageRow(image, verdict, page.section)
                shown += 1
                if limit is not None and shown >= limit:
                    return


def sort_rows(rows: Iterable[ImageRow], by: str = "created", *, descending: bool | None = None) -> list[ImageRow]:
    """``rows`` by ``created`` (newest first), ``name`` (A to Z, case-insensitive) or ``size`` (largest first);
    ``descending`` reverses the default order. Unknown values (no date, no size) come last either way."""
    if by not in SORTS:
        raise LocalValidationError("sort", "sort.choice", f"images sort by one of {', '.join(SORTS)}")
    items = list(rows)
    known: list[ImageRow]
    unknown: list[ImageRow]
    if by == "name":
        items.sort(key=lambda r: (r.image.name.casefold(), r.image.id), reverse=bool(descending))
        return items
    if by == "size":
        known = [r for r in items if r.image.size_bytes is not None]
        unknown = [r for r in items if r.image.size_bytes is None]
        known.sort(key=lambda r: (r.image.size_bytes or 0, r.image.id), reverse=descending is not False)
    else:
        known = [r for r in items if r.image.created_at]
        unknown = [r for r in items if not r.image.created_at]
        known.sort(key=lambda r: (r.image.created_at or "", r.image.id), reverse=descending is not False)
    return known + unknown


async def images_under(lister: ImageLister, key: FilterKey, *, project_id: str | None) -> list[Image]:
    """Every image of the project (its own private images: shared ones belong to another account) encrypted
    with ``key`` — or, for :data:`UNENCRYPTED`, without a key — newest first, whatever their verdict."""
    wanted = ImageFilter(encrypted_with=key.key_id)
    return [row.image async for row in search(lister, wanted, project_id=project_id, shared=False)]


@dataclass(frozen=True)
class RowPage:
    """One page of :func:`search_pages`: the rows ``wanted`` kept, which section and page it was, where the section
    goes on (``None``: that section's last page) and how many entries were not usable images."""

    section: str
    number: int
    rows: tuple[ImageRow, ...]
    next_marker: str | None = None
    skipped: int = 0


async def search_pages(
    lister: ImageLister,
    wanted: ImageFilter,
    *,
    project_id: str | None,
    shared: bool = True,
) -> AsyncIterator[RowPage]:
    """:func:`search` a page at a time, for a browser that asks for the next page only when it needs one: the
    private images, then (``shared``) the shared ones the project accepted, newest first in each. The iteration
    ends after the last page (asking once more sends no request)."""
    pages = lister.account_pages(status=wanted.status, cmk_id=wanted.server_cmk_id(), shared=shared)
    async for page in pages:
        rows = []
        for image in page.images:
            verdict = assess(image, project_id)
            if wanted.keeps(image, verdict):
                rows.append(ImageRow(image, verdict, page.section))
        yield RowPage(page.section, page.number, tuple(rows), page.next_marker, page.skipped)
