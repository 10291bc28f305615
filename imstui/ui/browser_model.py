"""The image browser's model: the loaded rows, what the filter keeps, their order and the marks. No Textual.

Rows arrive page by page (:func:`imstui.core.image_search.search_pages`) and are kept in arrival order; the view is
that list sorted (:func:`imstui.core.image_search.sort_rows`: created newest first, name A to Z, size largest
first) then filtered (:class:`imstui.core.image_search.ImageFilter`: text in the name, id or OS, eligible only, the
key the image is encrypted with). Typing one more character of the filter only looks at the rows the shorter text
kept; a page arriving or another sort works the view out again. Marks are image ids: they stay when the filter hides
their row (:meth:`BrowserModel.marked_images` returns them all, in view order first, then the hidden ones).

Image names are untrusted: the model only holds them; the widget shows them as plain ``rich.text.Text``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


class BrowserModel:
    """The loaded rows and the view of them. Every change returns nothing; read :attr:`shown` after it."""

    def __init__(self) -> None:
        self._rows: list[ImageRow] = []
        self._hay: dict[str, str] = {}  # image id -> lowercased haystack
        self._sorted: list[ImageRow] | None = None  # the loaded rows in the current sort (None: to work out)
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
        added = 0
        for row in rows:
            if row.image.id in self._hay:
                continue
            self._hay[row.image.id] = _haystack(row.image)
            self._rows.append(row)
            added += 1
        if added:
            self._sorted = None
            self._refilter()
        return added

    def row_for(self, image_id: str) -> ImageRow | None:
        for row in self._rows:
            if row.image.id == image_id:
                return row
        return None

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
        if self._shown_needle in needle:
            # Narrowing: only what the shorter text kept can still match (the other filters are unchanged).
            hay = self._hay
            self.shown = [row for row in self.shown if needle in hay[row.image.id]]
            self._shown_needle = needle
            return
        self._refilter()

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
        if self._sorted is None:
            self._sorted = sort_rows(self._rows, self.sort)
        needle = _needle(self.text)
        if not needle and not self.eligible_only and self.key_id is None:
            self.shown = list(self._sorted)
        else:
            self.shown = [row for row in self._sorted if self._keeps(row, needle)]
        self._shown_needle = needle

    def index_of(self, image_id: str | None) -> int | None:
        """Where ``image_id``'s row is in the view (None: not shown)."""
        if image_id is None:
            return None
        for index, row in enumerate(self.shown):
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
        if image_id in self._marks:
            del self._marks[image_id]
            return False
        if image_id not in self._hay:
            raise KeyError(image_id)
        self._marks[image_id] = None
        return True

    def mark_shown(self) -> int:
        """Mark every row the view shows; returns how many were newly marked."""
        before = len(self._marks)
        for row in self.shown:
            self._marks.setdefault(row.image.id, None)
        return len(self._marks) - before

    def clear_marks(self) -> int:
        count = len(self._marks)
        self._marks.clear()
        return count

    @property
    def hidden_marks(self) -> int:
        """Marked images the filter hides now."""
        if not self._marks:
            return 0
        shown = sum(1 for row in self.shown if row.image.id in self._marks)
        return len(self._marks) - shown

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
