"""The jobs panel's view options: the filter text, failed-only, hiding finished rows, and the sort column.

:class:`JobsViewOptions` is a mixin of :class:`~imstui.ui.widgets.jobs_table.JobsPanel`: each setter changes one
option and refills the table through the panel's ``_rebuild`` (the cursor stays on the same job when it is still
shown). Keys: ``f`` failed only, ``h`` hide/show finished, ``s`` sort by the next column, ``S`` flip the sort.

The options together are a :class:`~imstui.core.ledger.view.ViewSpec`: the ledger view selects, counts and orders
the rows in SQL (:mod:`imstui.core.ledger.view`); nothing here holds or sorts records.
"""

from __future__ import annotations

from imstui.core.ledger import JobRecord
from imstui.core.ledger.view import ViewSpec
from imstui.ui.widgets.jobs_grid import HEADERS, JobsTable

__all__ = ["JobsViewOptions"]


class JobsViewOptions:
    """Which rows the panel shows and in which order; the host provides ``table`` and ``_rebuild``."""

    _filter = ""
    _failed_only = False
    _hide_finished = False
    _sort: tuple[str, bool] = ("age", False)  # (column, descending): the age ascending, newest first

    @property
    def table(self) -> JobsTable:
        raise NotImplementedError

    def _rebuild(self, keep: JobRecord | None) -> None:
        raise NotImplementedError

    @property
    def spec(self) -> ViewSpec:
        """The view options as the ledger view reads them."""
        return ViewSpec(self._filter, self._failed_only, self._hide_finished, *self._sort)

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
            self._rebuild(keep=self.table.cursor_record)

    def set_failed_only(self, value: bool) -> None:
        """Show only rows needing attention: FAILED, REJECTED, UNKNOWN OUTCOME, GONE."""
        if value != self._failed_only:
            self._failed_only = value
            self._rebuild(keep=self.table.cursor_record)

    def action_toggle_failed(self) -> None:
        self.set_failed_only(not self._failed_only)

    @property
    def hide_finished(self) -> bool:
        return self._hide_finished

    def set_hide_finished(self, value: bool) -> None:
        """Hide (or list again) the finished rows: succeeded, failed, rejected, outcome unknown, gone."""
        if value != self._hide_finished:
            self._hide_finished = value
            self._rebuild(keep=self.table.cursor_record)

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
        self._rebuild(keep=self.table.cursor_record)

    def action_cycle_sort(self) -> None:
        """Sort by the next shown column (ascending as it reads: the age column puts the newest first)."""
        shown = self.table.shown_columns or tuple(HEADERS)
        column = self._sort[0]
        index = shown.index(column) if column in shown else -1
        self.set_sort(shown[(index + 1) % len(shown)])

    def action_flip_sort(self) -> None:
        self.set_sort(self._sort[0], not self._sort[1])
