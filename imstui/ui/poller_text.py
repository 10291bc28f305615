"""Poller events in a few words for the status bar, in the shared wording (:func:`imstui.core.wording.poller_sentence`):
"2 unfinished, next poll in 8s", "backing off until 14:02:10", "paused (p resumes)"."""

from __future__ import annotations

from datetime import datetime

from imstui.core.wording import PollerState, local_clock, poller_sentence
from imstui.ui.text import plain

__all__ = ["RESUME_HINT", "describe_event", "describe_status", "local_clock"]

RESUME_HINT = " (p resumes)"


def describe_status(status: PollerState, now: datetime) -> str:
    """A ``PollerStatus`` in words."""
    return poller_sentence(status, now, resume_hint=RESUME_HINT)


def describe_event(event: object, now: datetime) -> str:
    """A poller event for the status bar: a failed poll, or the poller's state (anything else: empty)."""
    # Here, not at the top: the first screen imports this module; the poller's events load with the session.
    from imstui.core.poller import PollerStatus, PollFailed

    if isinstance(event, PollFailed):
        job = plain(event.job_id or "")
        error = plain(str(event.error or ""))
        return f"poll failed{' for ' + job if job else ''}: {error}"[:160]
    if isinstance(event, PollerStatus):
        return describe_status(event, now)
    return ""
