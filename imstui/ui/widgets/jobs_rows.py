"""The rows of one jobs view, read a page at a time: what the table paints from (no Textual here).

:class:`PagedRows` is a view (:class:`~imstui.core.ledger.view.ViewSpec`) over a
:class:`~imstui.core.ledger.view.JobsView` with its row count and a small LRU of pages: the table asks for the
record at an index when it paints that line, and only those pages are read. A changed record on a cached page is
replaced there (:meth:`PagedRows.replace`); anything that moves rows makes the panel build a new one.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Literal

from imstui.core.ledger import JobRecord
from imstui.core.ledger.view import JobsView, ViewSpec

__all__ = ["PAGE", "PagedRows", "row_id_of"]

PAGE = 100  # rows read at a time
KEEP = 6  # pages kept

Change = Literal["put", "rebuild", "none"]


def row_id_of(key: str) -> int | None:
    """The ledger row id of a row key (``row-<row_id>``), None for anything else."""
    prefix, _, number = key.partition("-")
    return int(number) if prefix == "row" and number.isdigit() else None


class PagedRows:
    """``count`` rows of ``spec`` over ``view``, read a page at a time (see the module doc)."""

    def __init__(self, view: JobsView | None, spec: ViewSpec, count: int) -> None:
        self.view = view
        self.spec = spec
        self.count = count
        self._pages: OrderedDict[int, list[JobRecord]] = OrderedDict()
        self._where: dict[int, int] = {}  # row id -> index, for the rows of the cached pages

    @classmethod
    def empty(cls) -> PagedRows:
        return cls(None, ViewSpec(), 0)

    def __len__(self) -> int:
        return self.count

    def _page(self, number: int) -> list[JobRecord]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        # Never past ``count``: the ledger may hold rows the count does not include yet (a batch's copies written
        # before the panel hears of them). Such a row must not sit on a cached page, or its change would be taken
        # for an in-place repaint ("put") and the table would stay at the old count; off the pages it is a
        # "rebuild", which counts again.
        start = number * PAGE
        wanted = min(PAGE, self.count - start)
        page = self.view.page(self.spec, start, wanted) if self.view is not None and wanted > 0 else []
        self._pages[number] = page
        for i, record in enumerate(page):
            self._where[record.row_id] = number * PAGE + i
        while len(self._pages) > KEEP:
            _, dropped = self._pages.popitem(last=False)
            for record in dropped:
                self._where.pop(record.row_id, None)
        return page

    def record_at(self, index: int) -> JobRecord | None:
        """The record shown at ``index`` (reads its page if it is not cached); None past the end."""
        if not 0 <= index < self.count:
            return None
        page = self._page(index // PAGE)
        offset = index % PAGE
        return page[offset] if offset < len(page) else None

    def cached_index(self, row_id: int) -> int | None:
        """Where row ``row_id`` is, if it is on a cached page (no query)."""
        return self._where.get(row_id)

    def cached(self, row_id: int) -> JobRecord | None:
        index = self._where.get(row_id)
        if index is None:
            return None
        page = self._pages.get(index // PAGE)
        return page[index % PAGE] if page is not None and index % PAGE < len(page) else None

    def index_of(self, row_id: int) -> int | None:
        """Where row ``row_id`` is in the view (a query when it is on no cached page); None if not shown."""
        index = self._where.get(row_id)
        if index is not None or self.view is None:
            return index
        if self.count and 0 not in self._pages:
            self._page(0)  # the common case (the cursor near the top) is then a lookup
            index = self._where.get(row_id)
            if index is not None:
                return index
        found = self.view.position(self.spec, row_id)
        return found if found is not None and found < self.count else None

    def replace(self, record: JobRecord) -> int | None:
        """Show ``record`` in place of the version on a cached page (not an older one); its index, or None."""
        index = self._where.get(record.row_id)
        if index is None:
            return None
        page = self._pages.get(index // PAGE)
        if page is None:
            return None
        current = page[index % PAGE]
        if record.version >= current.version:
            page[index % PAGE] = record
        return index

    def change(self, record: JobRecord, previous: JobRecord | None, *, in_scope: bool, new: bool = False) -> Change:
        """What a new version of a row does to these rows: ``"put"`` (it is on a cached page and keeps its place),
        ``"rebuild"`` (it may come into the view, leave it or move in it; a row never seen before too), or
        ``"none"`` (it stays out of the view, or off the cached pages in the same place). A ``new`` row (one the
        count did not include) is always ``"rebuild"``: the count grows by it."""
        spec = self.spec
        if new:
            return "rebuild"  # not in the count yet, even if a page already read it from the ledger
        wanted = in_scope and spec.matches(record)
        old = self.cached(record.row_id)
        if old is not None:
            return "put" if wanted and spec.sort_key(old) == spec.sort_key(record) else "rebuild"
        if previous is None or spec.matches(previous) != wanted:
            return "rebuild"
        return "rebuild" if wanted and spec.sort_key(previous) != spec.sort_key(record) else "none"

    def row_ids(self) -> list[int]:
        """Every row id of the view in order (reads every page: for tests and small views)."""
        return [r.row_id for r in (self.record_at(i) for i in range(self.count)) if r is not None]
