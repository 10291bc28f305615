"""The one job vocabulary: what phase a copy job is in, and which phases count as outstanding, failed, finished.

Every part of imstui that sorts, filters, counts or words jobs asks this module: the ledger (its SQL filters are
built from :data:`PHASE_SQL`), the poller (what to follow), the headless commands and the console. Nothing else
re-derives a phase from ``state``/``status``/``gone``.

A ledger row has three facts that together give its phase:

- ``state``: how far the copy submission got (``submitting`` -> ``submitted``, or ``rejected``/``outcome_unknown``);
- ``status``: the job status IMS last reported (``INIT``/``RUNNING``/``SUCCESS``/``FAIL``, or one imstui does not
  know), None before the first answer;
- ``gone``: the server no longer knows the job (purged, or never existed).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Literal, Protocol

from imstui.api.job_status import JobStatus

__all__ = [
    "ATTENTION",
    "ENDED",
    "FAILED_PHASES",
    "FINISHED",
    "IN_FLIGHT",
    "OPEN_SQL",
    "OUTCOME_UNKNOWN",
    "OUTSTANDING",
    "PHASE_SQL",
    "REJECTED",
    "SUBMITTED",
    "SUBMITTING",
    "JobFacts",
    "JobState",
    "ListFilter",
    "Phase",
    "count_phases",
    "filter_phases",
    "filter_sql",
    "is_failed",
    "is_finished",
    "is_outstanding",
    "is_terminal",
    "needs_attention",
    "phase_of",
]

JobState = Literal["submitting", "submitted", "outcome_unknown", "rejected"]

SUBMITTING: JobState = "submitting"  # intent recorded, the copy POST is in flight
SUBMITTED: JobState = "submitted"  # IMS answered with a job id
OUTCOME_UNKNOWN: JobState = "outcome_unknown"  # the POST may or may not have created a job
REJECTED: JobState = "rejected"  # IMS refused the copy request: nothing was created


class Phase(str, Enum):
    """Where a copy job is, as the operator reads it. The value is the stable word used in JSON and filters."""

    SUBMITTING = "submitting"
    REJECTED = "rejected"
    OUTCOME_UNKNOWN = "outcome_unknown"
    WAITING = "waiting"  # submitted, no status answer yet
    STARTING = "starting"  # IMS says INIT
    RUNNING = "running"  # IMS says RUNNING
    UNRECOGNISED = "unrecognised"  # IMS sent a status imstui does not know: still followed
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    GONE = "gone"  # the server forgot the job before it finished


class JobFacts(Protocol):
    """What a phase is derived from (``imstui.core.ledger.JobRecord`` satisfies it)."""

    @property
    def state(self) -> JobState: ...

    @property
    def status(self) -> JobStatus | None: ...

    @property
    def gone(self) -> bool: ...

    @property
    def job_id(self) -> str | None: ...


_BY_STATUS: dict[JobStatus | None, Phase] = {
    None: Phase.WAITING,
    JobStatus.INIT: Phase.STARTING,
    JobStatus.RUNNING: Phase.RUNNING,
    JobStatus.UNKNOWN: Phase.UNRECOGNISED,
    JobStatus.SUCCESS: Phase.SUCCEEDED,
    JobStatus.FAIL: Phase.FAILED,
}


def phase_of(job: JobFacts) -> Phase:
    """The phase of one job. A final status wins over ``gone`` (a purged job keeps the end it was seen to reach)."""
    if job.state == SUBMITTING:
        return Phase.SUBMITTING
    if job.state == REJECTED:
        return Phase.REJECTED
    if job.state == OUTCOME_UNKNOWN:
        return Phase.OUTCOME_UNKNOWN
    phase = _BY_STATUS[job.status]
    if job.gone and phase not in (Phase.SUCCEEDED, Phase.FAILED):
        return Phase.GONE
    return phase


# The poller follows these: IMS returned a job id and the job has not reached an end.
OUTSTANDING: frozenset[Phase] = frozenset({Phase.WAITING, Phase.STARTING, Phase.RUNNING, Phase.UNRECOGNISED})
# "running" in listings: outstanding jobs plus copy requests still in flight.
IN_FLIGHT: frozenset[Phase] = OUTSTANDING | {Phase.SUBMITTING}
# The copy definitely produced no image.
FAILED_PHASES: frozenset[Phase] = frozenset({Phase.FAILED, Phase.REJECTED})
# What the failed-only views show (console ``f``, ``imstui jobs --failed``): everything an operator must look at.
ATTENTION: frozenset[Phase] = FAILED_PHASES | {Phase.OUTCOME_UNKNOWN, Phase.GONE}
# IMS reported an end: the job is never polled again.
ENDED: frozenset[Phase] = frozenset({Phase.SUCCEEDED, Phase.FAILED})
# Nothing more happens to these by themselves.
FINISHED: frozenset[Phase] = frozenset(
    {Phase.SUCCEEDED, Phase.FAILED, Phase.REJECTED, Phase.OUTCOME_UNKNOWN, Phase.GONE}
)

ListFilter = Literal["all", "failed", "running", "outstanding"]

_FILTERS: dict[str, frozenset[Phase]] = {
    "all": frozenset(Phase),
    "failed": ATTENTION,
    "running": IN_FLIGHT,
    "outstanding": OUTSTANDING,
}


def filter_phases(only: str) -> frozenset[Phase]:
    """The phases a listing filter selects (``all``, ``failed``, ``running``, ``outstanding``)."""
    try:
        return _FILTERS[only]
    except KeyError:
        raise ValueError(f"unknown filter {only!r}") from None


def is_outstanding(job: JobFacts) -> bool:
    return job.job_id is not None and phase_of(job) in OUTSTANDING


def is_failed(job: JobFacts) -> bool:
    return phase_of(job) in FAILED_PHASES


def needs_attention(job: JobFacts) -> bool:
    return phase_of(job) in ATTENTION


def is_terminal(job: JobFacts) -> bool:
    """IMS reported SUCCESS or FAIL (a final status seen before the job was purged counts too)."""
    return phase_of(job) in ENDED


def is_finished(job: JobFacts) -> bool:
    return phase_of(job) in FINISHED


def count_phases(jobs: Iterable[JobFacts]) -> dict[Phase, int]:
    """How many jobs are in each phase (every phase present, zeros included)."""
    counts = dict.fromkeys(Phase, 0)
    for job in jobs:
        counts[phase_of(job)] += 1
    return counts


# The same rules over the ledger's columns (state TEXT, status TEXT, gone INTEGER, job_id TEXT), so SQL filters
# select exactly what :func:`phase_of` would. A test checks every phase against phase_of on real rows.
_FINAL = "status IN ('SUCCESS', 'FAIL')"
_SUBMITTED_OPEN = f"state = 'submitted' AND gone = 0 AND (status IS NULL OR NOT {_FINAL})"
# Exactly the OUTSTANDING phases (submitted, not gone, no final status). The ledger's partial index
# ``jobs_open_rows`` is built on this very text (a test checks they stay equal), so a query that ANDs it in
# reads the outstanding rows from that index instead of scanning a year of history.
OPEN_SQL = _SUBMITTED_OPEN
PHASE_SQL: dict[Phase, str] = {
    Phase.SUBMITTING: "state = 'submitting'",
    Phase.REJECTED: "state = 'rejected'",
    Phase.OUTCOME_UNKNOWN: "state = 'outcome_unknown'",
    Phase.WAITING: f"({_SUBMITTED_OPEN} AND status IS NULL)",
    Phase.STARTING: f"({_SUBMITTED_OPEN} AND status = 'INIT')",
    Phase.RUNNING: f"({_SUBMITTED_OPEN} AND status = 'RUNNING')",
    Phase.UNRECOGNISED: f"({_SUBMITTED_OPEN} AND status NOT IN ('INIT', 'RUNNING'))",
    Phase.SUCCEEDED: "(state = 'submitted' AND status = 'SUCCESS')",
    Phase.FAILED: "(state = 'submitted' AND status = 'FAIL')",
    Phase.GONE: f"(state = 'submitted' AND gone = 1 AND (status IS NULL OR NOT {_FINAL}))",
}


def filter_sql(phases: Iterable[Phase]) -> str | None:
    """A WHERE clause selecting rows in any of ``phases`` (None: every row, no clause needed)."""
    wanted = frozenset(phases)
    if wanted == frozenset(Phase):
        return None
    if not wanted:
        return "0"
    return "(" + " OR ".join(PHASE_SQL[p] for p in Phase if p in wanted) + ")"
