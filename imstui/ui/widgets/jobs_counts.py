"""The jobs panel's per-phase counts as the rows change: read once (for a ledger, in a thread, at one change
counter value), then moved by each changed record, so the status line and the terminal title never recount the
history. No Textual here.

Changes that arrive while the counts are being read are kept and applied once they are in (those the read already
saw, by the ledger's change counter, are not counted twice).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from imstui.core.jobs import Phase, phase_of
from imstui.core.ledger import JobRecord
from imstui.core.ledger.scope import Scope
from imstui.core.ledger.view import JobsView, PhaseCounts

__all__ = ["LiveCounts", "read_counts"]


def read_counts(path: Path, scope: str | Scope | None) -> tuple[int, PhaseCounts] | None:
    """Every row's phase of ``scope`` in the ledger at ``path``, on a connection of its own (run it in a thread);
    None when the ledger cannot be read now."""
    try:
        reader = JobsView.open(path, scope)
        try:
            return reader.phase_counts()
        finally:
            reader.close()
    except sqlite3.Error:
        return None


class LiveCounts:
    """The counts of one view's rows (see the module doc)."""

    def __init__(self, records: Iterable[JobRecord] | None = None) -> None:
        """``records``: count these now; None: the counts are being read (:meth:`loaded` gives them)."""
        self.counts = PhaseCounts()
        self.ready = records is not None
        self._version: int | None = None  # a ledger's: the change counter the counts were read at
        self._early: list[tuple[JobRecord, bool]] = []
        self.failed = False  # the counts could not be read
        for record in records or ():
            self.counts.put(record.row_id, phase_of(record))

    def loaded(self, version: int, counts: PhaseCounts) -> None:
        self.counts, self._version, self.ready = counts, version, True
        early, self._early = self._early, []
        for record, in_scope in early:
            self.count(record, in_scope=in_scope)

    def unknown(self) -> None:
        """The counts could not be read: stop keeping changes for them."""
        self._early = []
        self.failed = True

    def count(self, record: JobRecord, *, in_scope: bool) -> Phase | None:
        """Count ``record`` in its phase (out of the counts if not ``in_scope``); returns the phase its row was
        counted in before (None: not counted, or not known yet)."""
        if not self.ready:
            if not self.failed:
                self._early.append((record, in_scope))
            return None
        before = self.counts.phase(record.row_id)
        if self._version is not None and record.version <= self._version:
            return before  # the read already saw this change
        self.counts.put(record.row_id, phase_of(record) if in_scope else None)
        return before
