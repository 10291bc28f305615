"""What became of each item of a batch: the item's own state joined with its ledger jobs row (the job's phase).

:func:`outcomes` reads them; :func:`progress` counts them (:class:`BatchProgress`, each item in exactly one count)
and :attr:`BatchProgress.words` / :func:`progress_words` says a batch's aggregate progress in one line
("7/10 done, 1 failed, 2 running") for ``imstui batch list|show`` and the console's batch row alike;
:func:`item_look` is an item's glyph and word (a job's own phase wording, :data:`imstui.core.wording.LOOKS`, once
it has one). The phase of a sent item comes from :func:`imstui.core.jobs.phase_of` (never re-derived here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from imstui.core.batch.store import PENDING, REJECTED, SENDING, SENT, SKIPPED, UNKNOWN, BatchStore, ItemRecord
from imstui.core.jobs import IN_FLIGHT, OUTSTANDING, Phase, phase_of
from imstui.core.ledger import JobRecord, Ledger
from imstui.core.wording import LOOKS

__all__ = [
    "BatchProgress",
    "ItemLook",
    "ItemOutcome",
    "in_flight",
    "item_look",
    "last_change",
    "outcome_of",
    "outcomes",
    "progress",
    "progress_words",
    "retryable",
]


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


def outcome_of(ledger: Ledger, item: ItemRecord) -> ItemOutcome:
    """One item joined with its jobs row (a pending or claimed item: its previous attempt's row, if any)."""
    if item.state in (PENDING, SENDING):  # its job_row_id, if any, is the previous attempt's (a retry)
        previous = ledger.get_row(item.job_row_id) if item.job_row_id is not None else None
        return ItemOutcome(item, previous=previous)
    record = None
    if item.job_row_id is not None:
        record = ledger.get_row(item.job_row_id)
    if record is None and item.job_id:
        record = ledger.get(item.job_id)
    return ItemOutcome(item, record)


def outcomes(store: BatchStore, ledger: Ledger, batch_id: int) -> list[ItemOutcome]:
    return [outcome_of(ledger, item) for item in store.items(batch_id)]


_RUNNING = frozenset(p.value for p in OUTSTANDING) | {SENT}  # sent, its job row not in the ledger: not known ended
_FAILED = frozenset({Phase.FAILED.value, REJECTED})


@dataclass(frozen=True)
class BatchProgress:
    """A batch's items counted once each: ``done`` (succeeded), ``failed`` (refused, or the job FAILED: retryable),
    ``gone`` (IMS forgot the job before it ended: not retried), ``running`` (a job waiting, starting, running),
    ``submitting`` (its copy request in flight), ``to_send`` (not sent yet: a resume sends it), ``unknown`` (outcome
    unknown: never sent again), ``skipped`` (not eligible in the plan)."""

    total: int = 0
    done: int = 0
    failed: int = 0
    gone: int = 0
    running: int = 0
    submitting: int = 0
    to_send: int = 0
    unknown: int = 0
    skipped: int = 0

    @property
    def words(self) -> str:
        """``7/10 done, 1 failed, 2 running`` and the other counts that are not zero, in a fixed order."""
        parts = [f"{self.done}/{self.total} done"]
        for count, word in (
            (self.failed, "failed"),
            (self.gone, "gone"),
            (self.running, "running"),
            (self.submitting, "submitting"),
            (self.to_send, "to send"),
            (self.unknown, "outcome unknown"),
            (self.skipped, "skipped"),
        ):
            if count:
                parts.append(f"{count} {word}")
        return ", ".join(parts)

    @property
    def settled(self) -> bool:
        """Nothing more happens to any item by itself, and nothing is left to send."""
        return not (self.running or self.submitting or self.to_send)


def progress(items: Iterable[ItemOutcome]) -> BatchProgress:
    counts = dict.fromkeys(("done", "failed", "gone", "running", "submitting", "to_send", "unknown", "skipped"), 0)
    total = 0
    for outcome in items:
        total += 1
        word = outcome.word
        if outcome.succeeded:
            key = "done"
        elif word in _FAILED:
            key = "failed"
        elif word == Phase.GONE.value:
            key = "gone"
        elif word in _RUNNING:
            key = "running"
        elif word in (SENDING, Phase.SUBMITTING.value):
            key = "submitting"
        elif word == PENDING:
            key = "to_send"
        elif word in (UNKNOWN, Phase.OUTCOME_UNKNOWN.value):
            key = "unknown"
        else:
            key = "skipped"
        counts[key] += 1
    return BatchProgress(total=total, **counts)


def progress_words(items: Iterable[ItemOutcome]) -> str:
    """``7/10 done, 1 failed, 2 running`` (and the gone, submitting, to send, unknown, skipped counts when any)."""
    return progress(items).words


def last_change(items: Iterable[ItemOutcome]) -> datetime | None:
    """When anything last happened to the items (an item's update, its job's submission, last poll or end)."""
    found: datetime | None = None
    for outcome in items:
        moments = [outcome.item.updated_at]
        record = outcome.record
        if record is not None:
            moments += [m for m in (record.submitted_at, record.terminal_at, record.last_polled_at) if m is not None]
        latest = max(moments)
        found = latest if found is None or latest > found else found
    return found


@dataclass(frozen=True)
class ItemLook:
    """An item's state as read: ``glyph`` + ``word`` (the jobs' own wording once it has a job row)."""

    glyph: str
    ascii_glyph: str
    word: str
    kind: str  # a key of :data:`imstui.core.wording.KIND_STYLES`

    @property
    def label(self) -> str:
        return f"{self.glyph} {self.word}"


NOT_SENT_LOOK = ItemLook("○", "o", "NOT SENT", "pending")
SKIPPED_LOOK = ItemLook("–", "-", "SKIPPED", "pending")


def item_look(outcome: ItemOutcome) -> ItemLook:
    """``✔ SUCCEEDED``, ``✖ FAILED``, ``? OUTCOME UNKNOWN``, ``↑ SUBMITTING`` (claimed, request in flight),
    ``○ NOT SENT`` (to send), ``– SKIPPED`` (not eligible in the plan)."""
    word = outcome.word
    if word == PENDING:
        return NOT_SENT_LOOK
    if word == SKIPPED:
        return SKIPPED_LOOK
    phase = {SENDING: Phase.SUBMITTING, SENT: Phase.WAITING}.get(word) or Phase(word)
    look = LOOKS[phase]
    return ItemLook(look.glyph, look.ascii_glyph, look.word, look.kind)


def retryable(outcome: ItemOutcome) -> bool:
    """The item definitely produced no image (refused, or its job FAILED): a retry may send it again (the
    store's rules decide, :func:`imstui.core.batch.retry.retry_failed`)."""
    return outcome.word in _FAILED


def in_flight(outcome: ItemOutcome) -> bool:
    return outcome.phase in IN_FLIGHT or outcome.item.state == SENDING
