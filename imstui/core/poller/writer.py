"""Writing poll answers to the ledger: many answers in one transaction, and nothing one answer or one fault can
do keeps the others out or wedges the poller.

A batch that fails on an answer's data (a string SQLite will not store, an id the ledger refuses...) is written
again answer by answer; an answer that still cannot be stored is replaced by an error-only update saying why, so
the failure is recorded against that job. A ledger that cannot be written at all (full disk, read-only, locked
too long) is a :class:`LedgerTrouble`: the poller keeps polling, warns at most once a minute, and a watch that
gives up on fatal errors stops once the trouble has lasted ``ledger_give_up_after`` seconds.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from imstui.api.errors import ImstuiError
from imstui.api.models import Job
from imstui.api.sanitize import sanitize
from imstui.core.ledger import JobRecord, Ledger, LedgerDamagedError, LedgerError, LedgerUnwritableError, PollUpdate
from imstui.core.poller.schedule import Slot

log = logging.getLogger("imstui.core.poller")

_LEDGER_WIDE = (LedgerUnwritableError, LedgerDamagedError, sqlite3.OperationalError)


class LedgerWriteError(ImstuiError):
    """The job ledger could not be written for a long time (disk full, read-only, locked): the watch stopped."""


@dataclass
class Outcome:
    """One finished status check, waiting to be written."""

    slot: Slot
    sent_seq: int  # the request's dispatch number
    at_clock: float  # clock() time of the answer
    at: datetime
    job: Job | None = None
    error: ImstuiError | None = None
    gone: bool = False
    not_visible_yet: bool = False

    def update(self) -> PollUpdate:
        error = str(self.error) if self.error is not None else None
        return PollUpdate(job_id=self.slot.job_id, at=self.at, job=self.job, error=error, gone=self.gone)


@dataclass
class Written:
    """What became of one outcome: the row before and after, or why its answer is not in the ledger."""

    outcome: Outcome
    previous: JobRecord | None = None
    current: JobRecord | None = None
    failure: ImstuiError | None = None  # the answer could not be recorded (``current`` holds the error, if stored)


def describe(exc: BaseException) -> str:
    """One line for an error: our own errors say what happened; anything else is named by its type."""
    own = isinstance(exc, (ImstuiError, LedgerError))
    return sanitize(str(exc) if own else f"{type(exc).__name__}: {exc}")[:300]


def write_outcomes(ledger: Ledger, outcomes: list[Outcome]) -> tuple[list[Written], BaseException | None]:
    """Write ``outcomes``; returns what became of each one and the ledger-wide error, if the ledger refused."""
    try:
        results = ledger.apply_polls([o.update() for o in outcomes])
    except _LEDGER_WIDE as exc:
        return [_unwritten(o, exc) for o in outcomes], exc
    except Exception as exc:  # an answer's data: find which, store the others
        log.warning("a batch of poll results could not be written (%s); writing them one by one", describe(exc))
    else:
        return [Written(o, previous, current) for o, (previous, current) in zip(outcomes, results, strict=True)], None
    written: list[Written] = []
    for index, outcome in enumerate(outcomes):
        try:
            [(previous, current)] = ledger.apply_polls([outcome.update()])
        except _LEDGER_WIDE as exc:
            return written + [_unwritten(o, exc) for o in outcomes[index:]], exc
        except Exception as exc:
            written.append(_record_failure(ledger, outcome, exc))
        else:
            written.append(Written(outcome, previous, current))
    return written, None


def _record_failure(ledger: Ledger, outcome: Outcome, exc: BaseException) -> Written:
    failure = ImstuiError(f"the answer for job {sanitize(outcome.slot.job_id)} could not be recorded: {describe(exc)}")
    log.warning("%s", failure)
    update = PollUpdate(job_id=outcome.slot.job_id, at=outcome.at, job=None, error=str(failure), gone=False)
    try:
        [(previous, current)] = ledger.apply_polls([update])
    except Exception as again:
        return Written(outcome, failure=ImstuiError(f"{failure}; nor could the error ({describe(again)})"))
    return Written(outcome, previous, current, failure=failure)


def _unwritten(outcome: Outcome, exc: BaseException) -> Written:
    text = describe(exc)
    return Written(
        outcome, failure=ImstuiError(text if isinstance(exc, LedgerError) else f"cannot write the job ledger: {text}")
    )


class LedgerTrouble:
    """How long the ledger has refused writes, and when to say so again (at most every ``warn_interval`` s)."""

    def __init__(self, warn_interval: float) -> None:
        self.warn_interval = warn_interval
        self.since: float | None = None
        self.error: str | None = None
        self.failures = 0
        self._warned_at: float | None = None

    def failed(self, now: float, exc: BaseException) -> None:
        self.error = describe(exc)
        self.failures += 1
        if self.since is None:
            self.since = now
        if self._warned_at is None or now - self._warned_at >= self.warn_interval:
            self._warned_at = now
            log.warning(
                "cannot write poll results to the job ledger (%d failed writes in %.0f s; still polling): %s",
                self.failures,
                now - self.since,
                self.error,
            )

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("the job ledger accepts writes again (after %d failed writes)", self.failures)
        self.since = None
        self.error = None
        self.failures = 0
        self._warned_at = None

    def lasted(self, now: float) -> float:
        return 0.0 if self.since is None else now - self.since
