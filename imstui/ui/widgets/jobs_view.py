"""The jobs panel's view options: the filter text, failed-only, hiding finished rows, and the sort column.

:class:`JobsViewOptions` is a mixin of :class:`~imstui.ui.widgets.jobs_table.JobsPanel`: each setter changes one
option and refills the table through the panel's ``_rebuild`` (the cursor stays on the same job when it is still
shown). Keys: ``f`` failed only, ``h`` hide/show finished, ``s`` sort by the next column, ``S`` flip the sort.

:meth:`JobsViewOptions._view_order` works the order out (one predicate per row over the phase and search text the
panel keeps, then :func:`~imstui.ui.widgets.jobs_cells.sort_records`) and keeps the last few views, so going back to
one seen before (``f`` twice, Esc after a filter) is a lookup; a change to what a view depends on
(:func:`view_facts`) drops them.
"""

from __future__ import annotations

from collections.abc import Callable

from imstui.core.jobs import ATTENTION, FINISHED, Phase, phase_of
from imstui.core.ledger import JobRecord
from imstui.ui.widgets.jobs_cells import row_key_for, sort_records
from imstui.ui.widgets.jobs_grid import HEADERS, JobsTable
from imstui.ui.widgets.jobs_text import search_text

__all__ = ["JobsViewOptions", "view_facts"]

VIEW_CACHE = 4
_CLOCKED_SORTS = frozenset({"progress", "polled"})  # change with every poll: never cached


def view_facts(record: JobRecord) -> tuple[object, ...]:
    """What decides whether and where ``record`` shows in a view sorted by a column not in _CLOCKED_SORTS."""
    return (
        phase_of(record),
        record.status,
        record.name,
        record.job_id,
        record.new_image_id,
        record.error_code,
        record.source_image_id,
        record.source_image_name,
        record.submitted_at,
    )


class JobsViewOptions:
    """Which rows the panel shows and in which order; the host provides ``table`` and ``_rebuild``."""

    _filter = ""
    _failed_only = False
    _hide_finished = False
    _sort: tuple[str, bool] = ("age", False)  # (column, descending): the age ascending, newest first
    # The host's: every record by row key, each one's phase and search text, and the order of recent views.
    _records: dict[str, JobRecord]
    _phase_by_key: dict[str, Phase]
    _haystacks: dict[str, str]
    _views: dict[tuple[object, ...], tuple[list[str], dict[str, int]]]

    @property
    def table(self) -> JobsTable:
        raise NotImplementedError

    def _rebuild(self, keep: str | None) -> None:
        raise NotImplementedError

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def failed_only(self) -> bool:
        return self._failed_only

    def set_filter(self, text: str) -> None:
        """Show only the rows matching ``text`` (case-insensitive on name, ids, status word, error code)."""
        if text != self._filter:
            self._filter = text
            self._rebuild(keep=self.table.cursor_key)

    def set_failed_only(self, value: bool) -> None:
        """Show only rows needing attention: FAILED, REJECTED, UNKNOWN OUTCOME, GONE."""
        if value != self._failed_only:
            self._failed_only = value
            self._rebuild(keep=self.table.cursor_key)

    def action_toggle_failed(self) -> None:
        self.set_failed_only(not self._failed_only)

    @property
    def hide_finished(self) -> bool:
        return self._hide_finished

    def set_hide_finished(self, value: bool) -> None:
        """Hide (or list again) the finished rows: succeeded, failed, rejected, outcome unknown, gone."""
        if value != self._hide_finished:
            self._hide_finished = value
            self._rebuild(keep=self.table.cursor_key)

    def action_toggle_finished(self) -> None:
        self.set_hide_finished(not self._hide_finished)

    @property
    def sort(self) -> tuple[str, bool]:
        """``(column key, descending)``."""
        return self._sort

    def set_sort(self, column: str, descending: bool = False) -> None:
        """Sort the rows by ``column`` (a key of :data:`COLUMNS`); the header shows ▲ or ▼ on it."""
        if column not in HEADERS:
            raise ValueError(column)
        self._sort = (column, descending)
        self.table.set_sort(column, descending)
        self._rebuild(keep=self.table.cursor_key)

    def action_cycle_sort(self) -> None:
        """Sort by the next shown column (ascending as it reads: the age column puts the newest first)."""
        shown = self.table.shown_columns or tuple(HEADERS)
        column = self._sort[0]
        index = shown.index(column) if column in shown else -1
        self.set_sort(shown[(index + 1) % len(shown)])

    def action_flip_sort(self) -> None:
        self.set_sort(self._sort[0], not self._sort[1])

    def _matches(self, record: JobRecord) -> bool:
        return self._matcher()(row_key_for(record), record)

    def _matcher(self) -> Callable[[str, JobRecord], bool]:
        """The current view options as one predicate over ``(row key, record)`` (the needle worked out once)."""
        needle = self._filter.strip().casefold()
        failed_only, hide_finished, haystacks = self._failed_only, self._hide_finished, self._haystacks
        phases = self._phase_by_key

        def matches(key: str, record: JobRecord) -> bool:
            phase = phases.get(key) or phase_of(record)
            if failed_only and phase not in ATTENTION:
                return False
            if hide_finished and phase in FINISHED:
                return False
            if not needle:
                return True
            haystack = haystacks.get(key)
            if haystack is None:
                haystack = haystacks[key] = search_text(record)
            return needle in haystack

        return matches

    def _view_order(self) -> tuple[list[str], dict[str, int]]:
        """The rows the view options show, in order, as (row keys, key -> position): from the cache of recent
        views when this one was seen and nothing it depends on changed since, else filtered and sorted now."""
        view = (self._filter.strip().casefold(), self._failed_only, self._hide_finished, self._sort)
        cached = self._views.get(view)
        if cached is None:
            matches = self._matcher()
            shown = [(k, r) for k, r in self._records.items() if matches(k, r)]
            keys = [k for k, _ in sort_records(shown, *self._sort)]
            cached = (keys, {k: i for i, k in enumerate(keys)})
            if self._sort[0] not in _CLOCKED_SORTS:
                self._views[view] = cached
                while len(self._views) > VIEW_CACHE:
                    del self._views[next(iter(self._views))]
        return cached
