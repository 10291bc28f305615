"""How a job's state is shown: a glyph plus a WORD (readable without colour), ages, and "polled Ns ago".

Pure functions with no Textual import, so the headless commands can reuse them. The word always carries the
meaning on its own; the glyph and the style (``kind``) only add to it, so ``NO_COLOR`` and monochrome terminals
lose nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from imstui.api.models import JobStatus

__all__ = [
    "KIND_STYLES",
    "StatusView",
    "format_age",
    "format_ago",
    "format_local_and_utc",
    "format_progress",
    "format_utc",
    "is_failed",
    "is_finished",
    "needs_attention",
    "status_view",
]

# Ledger states (imstui.core.ledger.JobRecord.state).
SUBMITTING = "submitting"
SUBMITTED = "submitted"
OUTCOME_UNKNOWN = "outcome_unknown"
REJECTED = "rejected"


@dataclass(frozen=True)
class StatusView:
    """``glyph`` + ``word`` is what the user reads; ``kind`` picks the style (see :data:`KIND_STYLES`)."""

    glyph: str
    word: str
    kind: str  # "pending" | "running" | "success" | "failed" | "unknown" | "gone"

    @property
    def label(self) -> str:
        return f"{self.glyph} {self.word}"


# Rich styles per kind. Failures are bold as well as red, so they stand out under NO_COLOR too.
KIND_STYLES: dict[str, str] = {
    "pending": "",
    "running": "bold",
    "success": "green",
    "failed": "bold red",
    "unknown": "bold yellow",
    "gone": "yellow",
}


def status_view(state: str, status: JobStatus | None, gone: bool = False) -> StatusView:
    """The glyph and word for a ledger record's ``state``/``status``/``gone``.

    - ``submitting``: the copy POST is in flight -> ``↑ SUBMITTING``
    - ``rejected``: IMS refused the copy request -> ``✖ REJECTED``
    - ``outcome_unknown``: the POST may or may not have created a job -> ``? UNKNOWN OUTCOME``
    - ``gone``: the server no longer knows an unfinished job -> ``⌛ GONE``
    - otherwise the last polled job status (``… SUBMITTED`` before the first poll).
    """
    if state == SUBMITTING:
        return StatusView("↑", "SUBMITTING", "pending")
    if state == REJECTED:
        return StatusView("✖", "REJECTED", "failed")
    if state == OUTCOME_UNKNOWN:
        return StatusView("?", "UNKNOWN OUTCOME", "unknown")
    if status is not None and status.is_terminal:
        if status is JobStatus.SUCCESS:
            return StatusView("✔", "SUCCESS", "success")
        return StatusView("✖", "FAILED", "failed")
    if gone:
        return StatusView("⌛", "GONE", "gone")
    if status is None:
        return StatusView("…", "SUBMITTED", "pending")
    if status is JobStatus.INIT:
        return StatusView("…", "INIT", "pending")
    if status is JobStatus.RUNNING:
        return StatusView("●", "RUNNING", "running")
    return StatusView("◌", "UNRECOGNISED", "unknown")  # JobStatus.UNKNOWN: a status value imstui does not know


def is_failed(state: str, status: JobStatus | None) -> bool:
    """The copy definitely did not produce an image: the job FAILed or IMS rejected the request."""
    return state == REJECTED or status is JobStatus.FAIL


def needs_attention(state: str, status: JobStatus | None, gone: bool) -> bool:
    """Failed, outcome unknown, or lost on the server: what the failed-only filter (``f``) shows."""
    if is_failed(state, status) or state == OUTCOME_UNKNOWN:
        return True
    return gone and not (status is not None and status.is_terminal)


def is_finished(state: str, status: JobStatus | None, gone: bool) -> bool:
    """Nothing more will happen to this job by itself (the poller stops tracking it)."""
    if state in (REJECTED, OUTCOME_UNKNOWN):
        return True
    if status is not None and status.is_terminal:
        return True
    return gone


def format_age(seconds: float) -> str:
    """A compact age: ``0s``, ``42s``, ``5m``, ``5m07s`` (under 10 minutes), ``2h05m``, ``3d04h``."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_ago(then: datetime | None, now: datetime, *, never: str = "never") -> str:
    """``"12s ago"`` (``never`` when ``then`` is None). A time in the future (clock skew) reads ``just now``."""
    if then is None:
        return never
    delta = (now - then).total_seconds()
    if delta < 1:
        return "just now"
    return f"{format_age(delta)} ago"


def format_progress(progress: float | None) -> str:
    """``"42%"``; ``"–"`` when the server has not reported progress."""
    if progress is None:
        return "–"
    return f"{round(max(0.0, min(1.0, progress)) * 100)}%"


def format_utc(moment: datetime | None) -> str:
    """``2024-05-01 12:03:04 UTC`` (``–`` for None). Naive datetimes are taken as UTC."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_local_and_utc(moment: datetime | None) -> str:
    """``2024-05-01 14:03:04 CEST (2024-05-01 12:03:04 UTC)``: local time for reading, UTC for tickets."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone()
    zone = local.strftime("%Z") or local.strftime("%z")
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')} {zone} ({format_utc(moment)})"
