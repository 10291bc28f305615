"""What became of each item of a batch: the item's own state joined with its ledger jobs row (the job's phase).

:func:`outcomes` reads them; :func:`progress_words` says a batch's aggregate progress in one line
("7/10 done, 1 failed, 2 running") for ``imstui batch list`` and, later, the console's batch row. The phase of a
sent item comes from :func:`imstui.core.jobs.phase_of` (never re-derived here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from imstui.core.batch.store import PENDING, REJECTED, SENDING, SKIPPED, UNKNOWN, BatchStore, ItemRecord
from imstui.core.jobs import ATTENTION, IN_FLIGHT, OUTSTANDING, Phase, phase_of
from imstui.core.ledger import JobRecord, Ledger

__all__ = ["ItemOutcome", "outcomes", "progress_words"]


@dataclass(frozen=True)
class ItemOutcome:
    item: ItemRecord
    record: JobRecord | None = None  # its jobs row (None: nothing sent yet, or the row was forgotten)
    previous: JobRecord | None = None  # a retried item not sent again yet: its previous attempt's row

    @property
    def phase(self) -> Phase | None:
        """The job's phase (None: no jobs row). An item whose row says nothing better keeps its own state."""
        return phase_of(self.record) if self.record is not None else None

    @property
    def word(self) -> str:
        """One stable word: a phase (``succeeded``, ``running``, ``failed``...) once a row exists, else the item's
        state (``pending``, ``sending``, ``skipped``, ``outcome_unknown``, ``rejected``)."""
        phase = self.phase
        if self.item.state in (SKIPPED, PENDING) or phase is None:
            return self.item.state
        if self.item.state == UNKNOWN and phase is not Phase.SUCCEEDED:
            return Phase.OUTCOME_UNKNOWN.value
        return phase.value

    @property
    def succeeded(self) -> bool:
        return self.phase is Phase.SUCCEEDED

    @property
    def finished(self) -> bool:
        """Nothing more happens to it by itself (skipped, refused, unknown, or its job ended or went away)."""
        if self.item.state in (SKIPPED, REJECTED, UNKNOWN):
            return True
        phase = self.phase
        return phase is not None and phase not in IN_FLIGHT

    @property
    def new_image_id(self) -> str | None:
        return self.record.new_image_id if self.record is not None else None


def outcomes(store: BatchStore, ledger: Ledger, batch_id: int) -> list[ItemOutcome]:
    found: list[ItemOutcome] = []
    for item in store.items(batch_id):
        if item.state in (PENDING, SENDING):  # its job_row_id, if any, is the previous attempt's (a retry)
            previous = ledger.get_row(item.job_row_id) if item.job_row_id is not None else None
            found.append(ItemOutcome(item, previous=previous))
            continue
        record = None
        if item.job_row_id is not None:
            record = ledger.get_row(item.job_row_id)
        if record is None and item.job_id:
            record = ledger.get(item.job_id)
        found.append(ItemOutcome(item, record))
    return found


def progress_words(items: Iterable[ItemOutcome]) -> str:
    """``7/10 done, 1 failed, 2 running`` (and pending, unknown, skipped counts when there are any)."""
    listed = list(items)
    words = Counter(o.word for o in listed)
    done = sum(1 for o in listed if o.succeeded)
    failed = sum(1 for o in listed if o.phase in ATTENTION and o.word != Phase.OUTCOME_UNKNOWN.value) + words[REJECTED]
    running = sum(1 for o in listed if o.phase in OUTSTANDING or o.phase is Phase.SUBMITTING) + words[SENDING]
    parts = [f"{done}/{len(listed)} done"]
    for count, word in (
        (failed, "failed"),
        (running, "running"),
        (words[PENDING], "to send"),
        (words[Phase.OUTCOME_UNKNOWN.value], "outcome unknown"),
        (words[SKIPPED], "skipped"),
    ):
        if count:
            parts.append(f"{count} {word}")
    return ", ".join(parts)
