"""After a crash (kill -9 at any moment): what each claimed item became, and which items may still be sent.

An item is sent again only when nothing can have left for it. A ``sending`` item (claimed, then the process died)
is settled from the ledger's jobs row its copy wrote after the claim (:meth:`BatchStore.find_intent`):

- no such row: the intent was never written, so the POST was never sent -> ``pending`` (sent by the resume);
- a job id: ``sent``;
- ``rejected`` with IMG.0060 or a throttle (nothing created): ``pending``; any other refusal: ``rejected``;
- no job id and no refusal (``submitting``, ``outcome_unknown``): the POST may have created a job ->
  ``outcome_unknown``, never sent again automatically (check the image list; resubmit by hand if it is not there).

The ledger's own sweep (run when it is opened) has already turned the dead process's ``submitting`` rows into
``outcome_unknown`` ones. :func:`reconcile` must run with the batch acquired (:meth:`BatchStore.acquire`), so no
live process is still sending it.
"""

from __future__ import annotations

from dataclasses import dataclass

from imstui.core.batch.store import (
    PENDING,
    REJECTED,
    SENDING,
    SENT,
    UNKNOWN,
    BatchRecord,
    BatchStore,
    IntentRow,
    ItemRecord,
)
from imstui.core.batch.submit import FLOW_CONTROL_CODE
from imstui.core.jobs import REJECTED as ROW_REJECTED

__all__ = ["Reconciled", "reconcile", "settled_state"]

_THROTTLE_CODES = ("APIGW.0308",)


@dataclass(frozen=True)
class Reconciled:
    """What :func:`reconcile` did: items it settled, by their new state."""

    resent: tuple[int, ...] = ()  # back to pending: nothing had been sent for them
    sent: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    rejected: tuple[int, ...] = ()


def settled_state(intent: IntentRow | None) -> str:
    """The state of a claimed item whose copy wrote ``intent`` (None: wrote nothing)."""
    if intent is None:
        return PENDING
    if intent.job_id:
        return SENT
    if intent.state == ROW_REJECTED:
        code = (intent.error_code or "").upper()
        return PENDING if code == FLOW_CONTROL_CODE or code in _THROTTLE_CODES else REJECTED
    return UNKNOWN


def _reason(state: str, intent: IntentRow | None) -> str | None:
    if state == PENDING and intent is None:
        return "claimed, but stopped before its copy request was written: nothing was sent"
    if state == UNKNOWN:
        why = intent.fail_reason if intent is not None and intent.fail_reason else "the copy request was in flight"
        return f"{why} (never sent again automatically: check the image list before resubmitting)"
    return intent.fail_reason if intent is not None else None


def reconcile(store: BatchStore, batch: BatchRecord) -> Reconciled:
    """Settle every ``sending`` item of ``batch`` from the ledger (see the module docstring)."""
    done: dict[str, list[int]] = {PENDING: [], SENT: [], UNKNOWN: [], REJECTED: []}
    items: list[ItemRecord] = [i for i in store.items(batch.batch_id) if i.state == SENDING]
    for item in items:
        intent = store.find_intent(item, batch.profile, batch.region)
        state = settled_state(intent)
        keep_row = state != PENDING
        store.settle(
            batch.batch_id,
            item.position,
            state,
            job_row_id=intent.row_id if intent is not None and keep_row else item.job_row_id,  # pending: a retry's link
            job_id=intent.job_id if intent is not None else None,
            error_code=intent.error_code if intent is not None else None,
            reason=_reason(state, intent),
            flow_wait=state == PENDING and intent is not None,
        )
        done[state].append(item.position)
    return Reconciled(
        resent=tuple(done[PENDING]),
        sent=tuple(done[SENT]),
        unknown=tuple(done[UNKNOWN]),
        rejected=tuple(done[REJECTED]),
    )
