"""The poller's events, carried into the app's message queue.

Poller callbacks run outside the widget tree; they only ``post_message`` a :class:`PollerEvent`, and the app's
handler does the rest on the event loop. The messages widgets and screens post are declared in the class that posts
them (Textual's convention): :class:`imstui.ui.widgets.jobs_table.JobsPanel` (``PollNowRequested``,
``PauseToggled``), :class:`imstui.ui.record_actions.RecordActions` (``RetryRequested``, ``OpenImageRequested``),
:class:`imstui.ui.screens.copy_form.CopyFormScreen` (``Submitted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from imstui.core.poller import JobChanged, PollerStatus, PollFailed

__all__ = ["PollerEvent"]


@dataclass
class PollerEvent(Message):
    """One event of ``imstui.core.poller.Poller``, as the poller emitted it."""

    event: JobChanged | PollFailed | PollerStatus
