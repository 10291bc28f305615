"""Retrying the failed items of a batch: only copies that DEFINITELY produced no image go back to ``pending``.

An item may be retried when

- its copy request was refused (item ``rejected``: IMS answered with an error, nothing was created), or
- its job ended with status FAIL (item ``sent``, job phase ``failed``).

Never retried: an item whose outcome is unknown (the copy may exist), one in flight (claimed, or its job still
waiting/running), a job the server forgot before it ended (``gone``: it may have produced an image), a success, a
skipped item (not eligible in the plan) or one not sent yet (a resume sends it).

A retry is a new attempt and keeps the history: the previous attempt's jobs row stays in the ledger; the item is
``pending`` again with its ``job_row_id`` naming that row; when it is sent, its new copy's row records
``retry_of`` = the previous row and the item links to the new row. Nothing is sent here: the caller then submits
the batch as a resume does (headless: :func:`imstui.commands.batch_run.execute`; the console: its batch runner).

Use :func:`retry_plan` to show what would happen (reads only), then :func:`retry_failed` to do it::

    plan = retry_plan(store, batch_id)              # or positions=[3, 7]
    ...confirm plan.retry, say plan.refused...
    done = retry_failed(store, batch_id, [c.position for c in plan.retry])
    # done.retry: the items now pending; then submit the batch (BatchSubmitter) as a resume does
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imstui.core.batch.store import PENDING, REJECTED, SENDING, SENT, SKIPPED, UNKNOWN, BatchStore, ItemRecord, JobRow
from imstui.core.jobs import IN_FLIGHT, Phase, phase_of

__all__ = ["NotRetried", "RetryChoice", "RetryPlan", "retry_failed", "retry_plan"]


@dataclass(frozen=True)
class RetryChoice:
    """An item that will be (or was) sent again; ``why`` says how its previous attempt ended."""

    position: int
    name: str
    source_image_id: str
    why: str  # "rejected: IMG.0015 ..." / "job 8a... failed: ..."
    previous_row: int | None  # the previous attempt's jobs row (kept; the new copy's retry_of)
    previous_job_id: str | None


@dataclass(frozen=True)
class NotRetried:
    position: int
    why: str


@dataclass(frozen=True)
class RetryPlan:
    retry: tuple[RetryChoice, ...] = ()
    refused: tuple[NotRetried, ...] = ()  # asked for (or, with no positions, failed-looking) but not retried

    @property
    def empty(self) -> bool:
        return not self.retry


_NOT_FAILED = {
    SKIPPED: "skipped in the plan (not eligible): not a failed copy",
    PENDING: "not sent yet: imstui batch resume sends it",
    SENDING: "its copy request is in flight",
    UNKNOWN: "outcome unknown: its copy may exist; check the image list and copy it by hand if it is not there",
}


def _detail(code: str | None, message: str | None) -> str:
    said = ": ".join(part for part in (code, message) if part)
    return said[:200]


def _judge(store: BatchStore, item: ItemRecord) -> RetryChoice | NotRetried:
    if item.state in _NOT_FAILED:
        return NotRetried(item.position, _NOT_FAILED[item.state])
    row: JobRow | None = store.job_row(item.job_row_id, item.job_id)
    if item.state == REJECTED:
        code = item.error_code or (row.error_code if row else None)
        message = item.reason or (row.fail_reason if row else None)
        why = "rejected" + (f": {_detail(code, message)}" if code or message else "")
        return RetryChoice(item.position, item.name, item.source_image_id, why, row.row_id if row else None, None)
    if item.state != SENT:
        return NotRetried(item.position, f"state {item.state}: not a failed copy")
    if row is None:
        return NotRetried(item.position, "its job is not in the ledger: its outcome is not known here")
    phase = phase_of(row)
    if phase is Phase.FAILED:
        why = f"job {item.job_id} failed" + (f": {_detail(row.error_code, row.fail_reason)}" if row.fail_reason else "")
        return RetryChoice(item.position, item.name, item.source_image_id, why, row.row_id, item.job_id)
    if phase is Phase.SUCCEEDED:
        return NotRetried(item.position, "succeeded")
    if phase in IN_FLIGHT:
        return NotRetried(item.position, f"its job is still {phase.value}")
    if phase is Phase.GONE:
        return NotRetried(item.position, "its job was forgotten by IMS before it ended: the copy may exist")
    return NotRetried(item.position, f"its job is {phase.value}: not a failed copy")


def retry_plan(store: BatchStore, batch_id: int, positions: Iterable[int] | None = None) -> RetryPlan:
    """What :func:`retry_failed` would re-queue (reads only). ``positions`` None: every item that definitely failed
    (``refused`` then lists nothing); given: those items, each either retried or refused with why (a position
    the batch does not have: "no item N")."""
    items = {i.position: i for i in store.items(batch_id)}
    retry: list[RetryChoice] = []
    refused: list[NotRetried] = []
    wanted = sorted(set(positions)) if positions is not None else sorted(items)
    for position in wanted:
        item = items.get(position)
        if item is None:
            refused.append(NotRetried(position, f"batch {batch_id} has no item {position}"))
            continue
        verdict = _judge(store, item)
        if isinstance(verdict, RetryChoice):
            retry.append(verdict)
        elif positions is not None:
            refused.append(verdict)
    return RetryPlan(tuple(retry), tuple(refused))


def retry_failed(store: BatchStore, batch_id: int, positions: Iterable[int] | None = None) -> RetryPlan:
    """Re-queue the items of ``batch_id`` that definitely failed (see the module docstring) as new attempts:
    each goes back to ``pending`` linked to its previous attempt's row; nothing is sent here. ``positions`` None:
    every such item; given: only those (the others come back in ``refused`` with why). Each item is re-queued
    only if it is still as judged (a concurrent change: refused, "changed meanwhile"). Returns what was done:
    ``retry`` = the items now pending. Raises :class:`imstui.core.ledger.LedgerError` if the ledger cannot be
    written (items re-queued before the error stay pending: a resume sends them)."""
    plan = retry_plan(store, batch_id, positions)
    done: list[RetryChoice] = []
    refused = list(plan.refused)
    for choice in plan.retry:
        item = store.item(batch_id, choice.position)
        again = item is not None and isinstance(_judge(store, item), RetryChoice)
        reason = f"retry of the previous attempt ({choice.why})"
        if item is not None and again and store.requeue(item, previous_row=choice.previous_row, reason=reason):
            done.append(choice)
        else:
            refused.append(NotRetried(choice.position, "changed meanwhile: look again (imstui batch show)"))
    return RetryPlan(tuple(done), tuple(sorted(refused, key=lambda r: r.position)))
