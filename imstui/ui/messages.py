"""App-wide Textual messages.

Poller callbacks run outside the widget tree; they only ``post_message`` one of these, and handlers on the app
and screens do the rest on the event loop. Widgets (the jobs panel included) post the request messages
(:class:`RetryCopyRequested`, :class:`OpenImageRequested`) and the app decides what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

__all__ = [
    "JobSubmitted",
    "OpenImageRequested",
    "PollerEvent",
    "RetryCopyRequested",
    "StatusChanged",
]


@dataclass
class PollerEvent(Message):
    """An event from ``imstui.core.poller.Poller`` (JobChanged, PollFailed or PollerStatus), carried as is."""

    event: object


@dataclass
class JobSubmitted(Message):
    """A copy was submitted (``job_id`` set) or its outcome is unknown (``job_id`` None); ``record`` is the ledger
    record (``imstui.core.ledger.JobRecord``)."""

    record: object
    job_id: str | None


@dataclass
class RetryCopyRequested(Message):
    """The user asked to retry a failed copy: open the copy form pre-filled from this ledger record."""

    record: object


@dataclass
class OpenImageRequested(Message):
    """The user asked to look an image up (e.g. the new image of a finished job)."""

    image_id: str


class StatusChanged(Message):
    """Something shown in the status bar changed (profile, keyring verdict, poller state)."""
