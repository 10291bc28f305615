"""What the poller tells its subscribers: :data:`PollerEvent` = ``JobChanged | PollFailed | PollerStatus``.

Real types with typed fields, so the console and the headless commands ``match``/``isinstance`` on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the console's first screen imports this module without the ledger
    from datetime import datetime

    from imstui.api.errors import ImstuiError, ThrottleWindow
    from imstui.core.ledger import JobRecord


@dataclass(frozen=True)
class JobChanged:
    """A job's ledger row changed (status, progress, error, gone...), or a row appeared (``previous`` None)."""

    record: JobRecord
    previous: JobRecord | None


@dataclass(frozen=True)
class PollFailed:
    """A status check failed (or its answer could not be recorded); the job keeps its last known state.
    ``retry_in``: seconds until it is asked again (None when it will not be); ``not_visible_yet``: "not found" for
    a job never seen yet (IMS can take a moment to show a new job), retried a few times before it is declared
    gone."""

    job_id: str
    error: ImstuiError
    retry_in: float | None = None
    not_visible_yet: bool = False


@dataclass(frozen=True)
class Throttle:
    """The API gateway refused polls for exceeding a rate limit: no poll is sent before ``until``.

    ``window``: the limit its message stated (None: it stated none); ``retry_after``: the server's
    ``Retry-After`` in seconds (the real gateway sends none); ``budget``: the poller's own request budget now,
    in requests per second (lowered after a throttle, recovering slowly; None: unlimited)."""

    until: datetime
    window: ThrottleWindow | None = None
    retry_after: float | None = None
    budget: float | None = None


@dataclass(frozen=True)
class PollerStatus:
    """``backoff_until``: no poll before then (a throttle, a streak of failures, refused credentials);
    ``throttle``: set while that pause is a gateway throttle; ``ledger_error``: the job ledger cannot be written
    (answers are kept in memory and the polls continue)."""

    running: bool
    paused: bool
    outstanding: int
    next_poll_at: datetime | None
    backoff_until: datetime | None
    throttle: Throttle | None = None
    ledger_error: str | None = None


@dataclass(frozen=True)
class PollNow:
    """What :meth:`Poller.poll_now` did: ``jobs`` polls requested (sent while paused too, once each);
    ``not_before``: a throttle or backoff holds them until then (None: sent as soon as the budget allows)."""

    jobs: int
    not_before: datetime | None = None


PollerEvent = JobChanged | PollFailed | PollerStatus
Subscriber = Callable[[PollerEvent], None]
