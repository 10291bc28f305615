"""What the console's batch rows need to know about batch submissions, without importing the core's batch machinery
(the main screen imports this before the first frame; :mod:`imstui.ui.batch_runner` loads it when a batch is run).

- :class:`BatchChanged`: a batch was stored, or one of its items changed (posted by the batch runner to the main
  screen; it bubbles to the app);
- :func:`running_batches`: the batches this console is submitting now (its workers named ``batch-N``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

__all__ = ["WORKER_PREFIX", "BatchChanged", "announce", "batch_worker", "running_batches"]

WORKER_PREFIX = "batch-"


@dataclass
class BatchChanged(Message):
    """A batch was stored (``position`` None) or one of its items changed (``state``: the store's state after it;
    ``pending`` again after a flow-control wait). Posted to the main screen; it bubbles to the app."""

    batch_id: int
    position: int | None = None
    state: str | None = None
    job_id: str | None = None
    message: str = ""


def announce(app: App[object], message: BatchChanged) -> None:
    """Post ``message`` where the batch rows hear it: the main screen (then the app), or the app before it has one."""
    stack = app.screen_stack if app.is_running else []
    (stack[0] if stack else app).post_message(message)


def running_batches(app: App[object]) -> set[int]:
    """The batches this console is submitting now."""
    found: set[int] = set()
    for worker in app.workers:
        if worker.name.startswith(WORKER_PREFIX) and not worker.is_finished:
            found.add(int(worker.name.removeprefix(WORKER_PREFIX)))
    return found


def batch_worker(app: App[object], batch_id: int) -> Worker[object] | None:
    """The worker submitting ``batch_id`` now, if any."""
    name = f"{WORKER_PREFIX}{batch_id}"
    return next((w for w in app.workers if w.name == name and not w.is_finished), None)
