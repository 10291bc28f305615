"""Poller events in a few words for the status bar: "next poll in 8s", "backing off until 14:02:10", "paused"."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from imstui.ui.text import plain


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def local_clock(value: datetime) -> str:
    """``14:02:10`` in the local time zone."""
    return value.astimezone().strftime("%H:%M:%S")


def describe_status(status: Any, now: datetime) -> str:
    """``imstui.core.poller.PollerStatus`` (running, paused, outstanding, next_poll_at, backoff_until) in words."""
    if getattr(status, "paused", False):
        return "paused (p resumes)"
    if getattr(status, "running", True) is False:
        return "stopped"
    backoff = _aware(getattr(status, "backoff_until", None))
    if backoff is not None and backoff > now:
        return f"backing off until {local_clock(backoff)}"
    outstanding = getattr(status, "outstanding", None)
    if outstanding == 0:
        return "idle"
    next_at = _aware(getattr(status, "next_poll_at", None))
    prefix = f"{outstanding} unfinished, " if isinstance(outstanding, int) else ""
    if next_at is None:
        return prefix + "polling"
    seconds = max(0, round((next_at - now).total_seconds()))
    return prefix + ("polling now" if seconds == 0 else f"next poll in {seconds}s")


def describe_event(event: Any, now: datetime) -> str:
    kind = type(event).__name__
    if kind == "PollFailed":
        job = plain(getattr(event, "job_id", None) or "")
        error = plain(str(getattr(event, "error", "") or ""))
        return f"poll failed{' for ' + job if job else ''}: {error}"[:160]
    return describe_status(event, now)
