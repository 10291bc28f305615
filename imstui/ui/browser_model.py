"""The image browser's model: the loaded rows, what the filter keeps, their order and the marks. No Textual.

Rows arrive page by page (:func:`imstui.core.image_search.search_pages`) and are kept in arrival order; the view is
that list sorted (:func:`imstui.core.image_search.sort_rows`: created newest first, name A to Z, size largest
first) then filtered (:class:`imstui.core.image_search.ImageFilter`: text in the name, id or OS, eligible only, the
key the image is encrypted with). Typing one more character of the filter only looks at the rows the shorter text
kept (and a text the view was already worked out for since the last change of anything else, such as the text
before a deleted character, is taken as it was); a page arriving is merged into the sorted rows (only its rows
are sorted), another sort works the view out again. Marks are image ids: they stay when the filter hides
their row (:meth:`BrowserModel.marked_images` returns them all, in view order first, then the hidden ones).

Image names are untrusted: the model only holds them; the widget shows them as plain ``rich.text.Text``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from imstui.api.models import Image
from imstui.core.image_search import SORTS, UNENCRYPTED, ImageFilter, ImageRow, sort_rows

SORT_CYCLE = ("created", "name", "size")
SORT_WORDS = {"created": "created (newest first)", "name": "name (A to Z)", "size": "size (largest first)"}
assert set(SORT_CYCLE) == set(SORTS)


@dataclass(frozen=True)
class VerdictLook:
    glyph: str
    ascii_glyph: str
    word: str

    def text(self, *, ascii: bool = False) -> str:
        return f"{self.ascii_glyph if ascii else self.glyph} {self.word}"


ELIGIBLE_LOOK = VerdictLook("✓", "+", "eligible")
BLOCKED_LOOK = VerdictLook("✗", "x", "blocked")


def verdict_look(row: ImageRow) -> VerdictLook:
    """``✓ eligible`` / ``✗ blocked`` (the word carries the meaning without the glyph or colour)."""
    return ELIGIBLE_LOOK if row.eligible else BLOCKED_LOOK


def _haystack(image: Image) -> str:
    """What the text filter searches, lowercased once: the fields :func:`matches_text` looks at."""
    values = (image.name, image.id, image.os_type, image.platform, image.os_version)
    return "\x00".join(value.lower() for value in values if value)


def _needle(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch != "\x00")


VIEWS_KEPT = 24  # views by text kept for the current rows and other filters (a deleted character costs nothing)


class _Desc:
    """Reverses the order of a key (strings cannot be negated): the view's order is one ascending key."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.key < self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.key == other.key)

    __hash__ = None  # type: ignore[assignment]


class BrowserModel:
    """The loaded rows and the view of them. Every change returns nothing; read :attr:`shown` after it."""

    def __init__(self) -> None:
        self._rows: list[ImageRow] = []
        self._hay: dict[str, str] = {}  # image id -> lowercased haystack
        self._seq: dict[str, int] = {}  # image id -> arrival number (the order of rows without a date or size)
        self._sorted: list[ImageRow] | None = None  # the loaded rows in the current sort (None: to work out)
        self._views: dict[str, list[ImageRow]] = {}  # needle -> the view for it (the other filters as they are)
        self._hidden: int | None = None  # hidden_marks for the current view and marks (None: to count)
        self.text = ""
        self.eligible_only = False
        self.key_id: str | None = None  # a KMS key id, or UNENCRYPTED
        self.sort = "created"
        self.shown: list[ImageRow] = []
        self._shown_needle = ""  # the needle :attr:`shown` was filtered with (narrowing needs no new pass)
        self._marks: dict[str, None] = {}  # marked image ids, in the order marked
        self.pages = 0
        self.done = False  # every page has arrived
        self.skipped = 0  # entries of the answers that were not usable images

    # ------------------------------------------------------------------ rows

    @property
    def loaded(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> list[ImageRow]:
        """The loaded rows, in arrival order."""
        return list(self._rows)

    def add(self, rows: Iterable[ImageRow]) -> int:
        """Add rows (an image already loaded is not added again); returns how many were new."""
        new: list[ImageRow] = []
        for row in rows:
            image_id = row.image.id
            if image_id in self._hay:
                continue
            self._hay[image_id] = _haystack(row.image)
            self._seq[image_id] = len(self._rows)
            self._rows.append(row)
            new.append(row)
        if new:
            if self._sorted is not None:
                self._sorted = self._merged(self._sorted, new)
            self._refilter()
        return len(new)

    def _order_key(self, row: ImageRow) -> tuple[Any, ...]:
        """The view's order as one ascending key (that of :func:`sort_rows`: the id breaks ties; rows without a
        date or size come last, in arrival order)."""
        image = row.image
        if self.sort == "name":
            return (0, image.name.casefold(), image.id)
        if self.sort == "size":
            if image.size_bytes is None:
                return (1, self._seq[image.id])
            return (0, _Desc((image.size_bytes or 0, image.id)))
        if not image.created_at:
            return (1, self._seq[image.id])
        return (0, _Desc((image.created_at, image.id)))

    def _merged(self, ordered: list[ImageRow], new: list[ImageRow]) -> list[ImageRow]:
        """``ordered`` (the loaded rows in the view's order) with ``new`` put in their places: only the new rows
        are sorted, and each is placed by bisection (a page of older images goes at the end in one step)."""
        key = self._order_key
        incoming = sorted(new, key=key)
        if not ordered or key(ordered[-1]) < key(incoming[0]):
            return ordered + incoming
        out: list[ImageRow] = []
        start = 0
        for row in incoming:
            at = bisect_right(ordered, key(row), lo=start, key=key)
            out.extend(ordered[start:at])
            out.append(row)
            start = at
        out.extend(ordered[start:])
        return out

    def row_for(self, image_id: str) -> ImageRow | None:
        if image_id not in self._seq:
            return None
        return self._rows[self._seq[image_id]]

    # ------------------------------------------------------------------ view

    @property
    def filter(self) -> ImageFilter:
        """The view's filter as the core's :class:`ImageFilter` (what ``imstui images`` would be given)."""
        return ImageFilter(text=self.text or None, eligible_only=self.eligible_only, encrypted_with=self.key_id)

    @property
    def filtered(self) -> bool:
        return bool(_needle(self.text)) or self.eligible_only or self.key_id is not None

    def set_text(self, text: str) -> None:
        needle = _needle(text)
        self.text = text
        if needle == self._shown_needle:
            return
        views = self._views
        known = views.get(needle)
        if known is not None:  # worked out before (the text before a deleted character): as it was
            self._show(known, needle)
            return
        # Narrowing: only what a text within this one kept can still match (the other filters are unchanged).
        within = [view for shorter, view in views.items() if shorter in needle]
        if not within:
            self._refilter()
            return
        hay = self._hay
        self._show([row for row in min(within, key=len) if needle in hay[row.image.id]], needle)

    def _show(self, view: list[ImageRow], needle: str) -> None:
        self.shown = view
        self._shown_needle = needle
        self._hidden = None
        views = self._views
        views.pop(needle, None)
        views[needle] = view
        while len(views) > VIEWS_KEPT:
            del views[next(iter(views))]  # the least recently shown

    def set_eligible_only(self, value: bool) -> None:
        if value != self.eligible_only:
            self.eligible_only = value
            self._refilter()

    def set_key(self, key_id: str | None) -> None:
        """Only images encrypted with ``key_id`` (:data:`UNENCRYPTED`: those without a key); None: any."""
        key = None if key_id is None else key_id.strip().lower() or None
        if key != self.key_id:
            self.key_id = key
            self._refilter()

    def set_sort(self, by: str) -> None:
        if by not in SORT_CYCLE:
            raise ValueError(f"the browser sorts by one of {', '.join(SORT_CYCLE)}")
        if by != self.sort:
            self.sort = by
            self._sorted = None
            self._refilter()

    def next_sort(self) -> str:
        self.set_sort(SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)])
        return self.sort

    def _keeps(self, row: ImageRow, needle: str) -> bool:
        if self.eligible_only and not row.eligible:
            return False
        if self.key_id is not None:
            have = (row.image.cmk_id or "").strip().lower() or None
            if have != (None if self.key_id == UNENCRYPTED else self.key_id):
                return False
        return not needle or needle in self._hay[row.image.id]

    def _refilter(self) -> None:
        """Work the view out from the sorted rows (the rows, the sort or a filter other than the text changed)."""
        if self._sorted is None:
            self._sorted = sort_rows(self._rows, self.sort)
        self._views.clear()
        needle = _needle(self.text)
        if not needle and not self.eligible_only and self.key_id is None:
            view = list(self._sorted)
        elif not self.eligible_only and self.key_id is None:
            hay = self._hay
            view = [row for row in self._sorted if needle in hay[row.image.id]]
        else:
            view = [row for row in self._sorted if self._keeps(row, needle)]
        self._show(view, needle)

    def index_of(self, image_id: str | None, hint: int | None = None) -> int | None:
        """Where ``image_id``'s row is in the view (None: not shown); ``hint``, where it may be, is looked at first."""
        if image_id is None:
            return None
        shown = self.shown
        if hint is not None and 0 <= hint < len(shown) and shown[hint].image.id == image_id:
            return hint
        for index, row in enumerate(shown):
            if row.image.id == image_id:
                return index
        return None

    # ------------------------------------------------------------------ marks

    @property
    def mark_count(self) -> int:
        return len(self._marks)

    def is_marked(self, image_id: str) -> bool:
        return image_id in self._marks

    def toggle_mark(self, image_id: str) -> bool:
        """Mark or unmark; returns whether it is marked now."""
        self._hidden = None
        if image_id in self._marks:
            del self._marks[image_id]
            return False
        if image_id not in self._hay:
            raise KeyError(image_id)
        self._marks[image_id] = None
        return True

    def mark_shown(self) -> int:
        """Mark every row the view shows; returns how many were newly marked."""
        self._hidden = None
        before = len(self._marks)
        for row in self.shown:
            self._marks.setdefault(row.image.id, None)
        return len(self._marks) - before

    def clear_marks(self) -> int:
        self._hidden = None
        count = len(self._marks)
        self._marks.clear()
        return count

    @property
    def hidden_marks(self) -> int:
        """Marked images the filter hides now (counted once per view and marks)."""
        if not self._marks:
            return 0
        if self._hidden is None:
            marks = self._marks
            self._hidden = len(marks) - sum(1 for row in self.shown if row.image.id in marks)
        return self._hidden

    def marked_images(self) -> list[Image]:
        """Every marked image: those the view shows in its order, then those the filter hides (loaded order)."""
        marks = self._marks
        out = [row.image for row in self.shown if row.image.id in marks]
        seen = {image.id for image in out}
        out.extend(row.image for row in self._rows if row.image.id in marks and row.image.id not in seen)
        return out


def filter_words(model: BrowserModel, key_label: str | None = None) -> str:
    """``sort: name (A to Z) · eligible only · key: ims/default · text "web"``: the view's settings in words."""
    parts = [f"sort: {SORT_WORDS[model.sort]}"]
    if model.eligible_only:
        parts.append("eligible only")
    if model.key_id is not None:
        parts.append(f"encrypted with {key_label or model.key_id}")
    if _needle(model.text):
        parts.append(f'name/id/OS contains "{model.text.strip()}"')
    return " · ".join(parts)
