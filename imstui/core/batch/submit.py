"""Submitting a stored batch: at most N copies in flight, paced, each item intent -> POST -> job id exactly once.

A copy is *in flight* from its claim until its job is finished (SUCCESS, FAIL, gone): at most ``max_in_flight``
(default 5, never more than IMS's 40 concurrent image tasks). Without a poller only the POSTs themselves count.
Every POST takes one token from the poller's own request budget (:attr:`Poller.budget
<imstui.core.poller.budget.RequestBudget>`: the bucket its status checks draw from, so the account's requests
together stay within it, and a throttle the poller met pauses the POSTs too); without a poller, from a budget of
its own (:meth:`RequestBudget.standalone` of ``SubmitSettings.budget``). A 429 or IMG.0060 answer to a POST lowers
that budget (:meth:`RequestBudget.throttled`: the POSTs and the poller's status checks both go slower, and recover
step by step); a 429 also pauses the status checks.

Answers (each item goes through :func:`imstui.core.submit.submit_copy`, which writes the intent first):

- a job id: the item is ``sent`` and its job is followed by the poller; if the ledger would not store the id,
  the item still keeps it and :attr:`SubmitReport.not_recorded` lists it (the caller prints how to record it);
- IMG.0060 (flow control) or a gateway throttle (429): nothing was created, so the item goes back to ``pending``,
  submissions pause (2 s doubling to 60 s; a throttle: the poller's throttle pause) and it is sent again;
- any other refusal: ``rejected`` (code and message kept; the operator may resubmit deliberately);
- an answer that may have created a job (timeout, reset, a crash mid-POST): ``outcome_unknown``, NEVER sent again;
- nothing sent (the connection failed, the ledger refused the intent): the item goes back to ``pending`` and the
  batch stops (``imstui batch resume`` continues it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from imstui.api.errors import ApiError, ConfigurationError, ConnectError, ImstuiError
from imstui.api.models import Image
from imstui.api.protocol import ImsApi
from imstui.api.sanitize import sanitize
from imstui.core.batch.store import PENDING, REJECTED, SENT, UNKNOWN, BatchRecord, BatchStore, ItemRecord
from imstui.core.jobs import is_outstanding
from imstui.core.ledger import Ledger, LedgerError
from imstui.core.poller import JobChanged, PollerEvent, PollSettings
from imstui.core.poller.budget import RequestBudget
from imstui.core.poller.policy import ErrorKind, classify, retry_after_of, throttle_pause, window_of
from imstui.core.submit import submit_copy

if TYPE_CHECKING:
    from imstui.core.poller import Poller

__all__ = [
    "DEFAULT_IN_FLIGHT",
    "MAX_IN_FLIGHT",
    "BatchSubmitter",
    "ItemEvent",
    "NotRecorded",
    "SubmitReport",
    "SubmitSettings",
]

DEFAULT_IN_FLIGHT = 5
MAX_IN_FLIGHT = 40  # IMS runs at most 40 image tasks at once
FLOW_CONTROL_CODE = "IMG.0060"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class SubmitSettings:
    max_in_flight: int = DEFAULT_IN_FLIGHT
    flow_initial: float = 2.0  # pause after an IMG.0060, doubling per refusal in a row
    flow_max: float = 60.0
    flow_give_up: int = 30  # refusals in a row after which the batch stops (pending items stay resumable)
    budget: PollSettings = field(default_factory=PollSettings)

    @property
    def in_flight(self) -> int:
        return max(1, min(MAX_IN_FLIGHT, self.max_in_flight))


@dataclass(frozen=True)
class ItemEvent:
    """What happened to an item: ``state`` is the store's state after it (``pending`` again: flow control)."""

    position: int
    state: str
    job_id: str | None = None
    message: str = ""


@dataclass(frozen=True)
class NotRecorded:
    """IMS accepted the item's copy as ``job_id`` but the ledger would not store it (the caller prints the id
    with :func:`imstui.core.submit.import_command`); the batch item keeps the id if the batch store could."""

    position: int
    job_id: str
    error: str


@dataclass
class SubmitReport:
    posts: int = 0  # copy POSTs sent (flow-control refusals included)
    flow_waits: int = 0
    peak_in_flight: int = 0
    stopped: str | None = None  # why the batch stopped before every item was sent (None: it did not)
    job_ids: list[str] = field(default_factory=list)
    not_recorded: list[NotRecorded] = field(default_factory=list)  # job ids the ledger's jobs table lacks


def is_flow_control(error: ImstuiError) -> bool:
    """A refusal that created nothing and says "later": IMS flow control (IMG.0060) or a gateway throttle."""
    if isinstance(error, ApiError) and error.code.upper() == FLOW_CONTROL_CODE:
        return True
    return classify(error) is ErrorKind.THROTTLE


class BatchSubmitter:
    """Send the ``pending`` items of ``batch`` (call :func:`imstui.core.batch.resume.reconcile` first after a
    crash); ``images`` are the source images by id (the plan's reads); ``poller``, if given, must be running
    (its answers free the in-flight slots)."""

    def __init__(
        self,
        api: ImsApi,
        ledger: Ledger,
        store: BatchStore,
        batch: BatchRecord,
        images: dict[str, Image],
        *,
        poller: Poller | None = None,
        settings: SubmitSettings | None = None,
        on_event: Callable[[ItemEvent], None] | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api, self.ledger, self.store, self.batch, self.images = api, ledger, store, batch, images
        self.poller = poller
        self.settings = settings or SubmitSettings(max_in_flight=batch.max_in_flight)
        self._on_event = on_event
        self._sleep, self._clock = sleep, clock
        # The account's request budget: the poller's (its status checks draw from it too), or without one the
        # submission's own. A throttle or IMG.0060 answer lowers it for everyone drawing from it (budget.throttled).
        self.budget: RequestBudget = (
            poller.budget if poller is not None else RequestBudget.standalone(self.settings.budget, clock, sleep)
        )
        self._posting: set[asyncio.Task[None]] = set()
        self._running_jobs: set[str] = set()
        self._hold_until = 0.0
        self._streak = 0
        self._changed = asyncio.Event()
        self._queue: deque[int] = deque()  # positions still to send, in order (a flow-controlled one goes first)
        self.report = SubmitReport()

    # ------------------------------------------------------------------ the loop

    def _in_flight(self) -> int:
        return len(self._posting) + len(self._running_jobs)

    async def run(self) -> SubmitReport:
        queue = self._queue = deque(i.position for i in self.store.items(self.batch.batch_id) if i.state == PENDING)
        unsubscribe = self.poller.subscribe(self._poller_event) if self.poller is not None else None
        try:
            while (queue and self.report.stopped is None) or self._posting:
                delay = self._launch_some(queue)
                await self._wait(delay)
            return self.report
        finally:
            for task in list(self._posting):
                task.cancel()
            if self._posting:
                await asyncio.gather(*self._posting, return_exceptions=True)
            if unsubscribe is not None:
                unsubscribe()

    def _launch_some(self, queue: deque[int]) -> float | None:
        """Start as many items as the limits allow; returns how long until the next may start (None: on a change)."""
        while queue and self.report.stopped is None and self._in_flight() < self.settings.in_flight:
            now = self._clock()
            if now < self._hold_until:
                return self._hold_until - now
            wait = self._take_token(now)
            if wait > 0:
                return wait
            position = queue.popleft()
            item = self.store.item(self.batch.batch_id, position)
            if item is None or item.state != PENDING or not self.store.claim(self.batch.batch_id, position):
                continue  # settled meanwhile (another process cannot hold the batch: see BatchStore.acquire)
            task = asyncio.create_task(self._send(item))
            self._posting.add(task)
            task.add_done_callback(self._post_done)
            self.report.peak_in_flight = max(self.report.peak_in_flight, self._in_flight())
        return None

    def _take_token(self, now: float) -> float:
        """One token for a POST (0.0), or the seconds until one may be taken (nothing taken then)."""
        hold = self.budget.throttled_for()  # a throttle met by anyone drawing from it: the account's requests pause
        return hold if hold > 0 else self.budget.take(now)

    def _post_done(self, task: asyncio.Task[None]) -> None:
        self._posting.discard(task)
        self._changed.set()

    def _poller_event(self, event: PollerEvent) -> None:
        if isinstance(event, JobChanged) and event.record.job_id in self._running_jobs:
            if not is_outstanding(event.record):
                self._running_jobs.discard(event.record.job_id)
                self._changed.set()

    async def _wait(self, delay: float | None) -> None:
        if self._changed.is_set():
            self._changed.clear()
            return
        waiter = asyncio.create_task(self._changed.wait())
        timer = asyncio.create_task(self._nap(delay)) if delay is not None else None
        try:
            await asyncio.wait({waiter} | ({timer} if timer else set()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, timer):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        self._changed.clear()

    async def _nap(self, delay: float) -> None:
        await self._sleep(delay)

    # ------------------------------------------------------------------ one item

    def _say(self, item: ItemRecord, state: str, job_id: str | None = None, message: str = "") -> None:
        if self._on_event is not None:
            self._on_event(ItemEvent(item.position, state, job_id, message))

    def _settle(
        self,
        item: ItemRecord,
        state: str,
        *,
        job_row_id: int | None = None,
        job_id: str | None = None,
        error_code: str | None = None,
        reason: str | None = None,
        flow_wait: bool = False,
    ) -> None:
        try:
            self.store.settle(
                self.batch.batch_id,
                item.position,
                state,
                job_row_id=job_row_id,
                job_id=job_id,
                error_code=error_code,
                reason=reason,
                flow_wait=flow_wait,
            )
        except LedgerError as exc:  # the jobs row still says what happened; resume reconciles from it
            self._say(item, state, message=f"the batch record could not be updated: {exc}")

    async def _send(self, item: ItemRecord) -> None:
        image = self.images.get(item.source_image_id)
        if image is None:
            self._settle(item, PENDING, job_row_id=item.job_row_id, reason="its image was not read")
            self._stop("an item's source image was not read")
            return
        request = item.request
        job_ids: list[str] = []
        seen = self.budget.reactions  # a throttle answer to this POST lowers the budget unless already covered

        def answered(job_id: str) -> None:
            job_ids.append(job_id)
            if self.poller is not None:
                self._running_jobs.add(job_id)
            self.report.job_ids.append(job_id)

        self.report.posts += 1
        try:
            result = await submit_copy(
                self.api,
                self.ledger,
                profile=self.batch.profile,
                image=image,
                request=request,
                retry_of=item.job_row_id,  # a retried item: its previous attempt's row (see store.requeue)
                poller=self.poller,
                on_job_id=answered,
                sleep=self._sleep,  # the job id write's backoff on a failing ledger: the batch's clock
                clock=self._clock,
                tags=item.tags,  # stored pending on the row; the session's Tagger applies them after SUCCESS
            )
        except ConfigurationError as exc:  # the ledger refused the intent: nothing was sent
            self.report.posts -= 1
            self._settle(item, PENDING, job_row_id=item.job_row_id, reason=str(exc))
            self._stop(str(exc))
            return
        except ConnectError as exc:  # nothing was sent; the row says NOT_SENT
            self._forget_rejected_row(item)
            self._settle(item, PENDING, job_row_id=item.job_row_id, reason=f"not sent: {exc}")
            self._stop(f"the copy request could not be sent ({sanitize(str(exc))[:200]})")
            return
        except ApiError as exc:
            self._refused(item, exc, seen)
            return
        self._streak = 0
        if result.job_id is None:
            reason = str(result.outcome_error) if result.outcome_error else "the copy may have been accepted"
            self._settle(item, UNKNOWN, job_row_id=result.record.row_id, reason=reason)
            self._say(item, UNKNOWN, message=reason)
            return
        if self.poller is not None and not self.poller.track(result.job_id):
            self._running_jobs.discard(result.job_id)  # finished already, or not followable: not in flight
        row_id = result.record.row_id if result.recorded else None
        note = f"job id not recorded in the ledger: {result.not_recorded}" if result.not_recorded else None
        if result.not_recorded is not None:
            self._running_jobs.discard(result.job_id)  # no row to follow: the poller cannot see it end
            self.report.not_recorded.append(NotRecorded(item.position, result.job_id, str(result.not_recorded)))
        self._settle(item, SENT, job_row_id=row_id, job_id=result.job_id, reason=note)
        self._say(item, SENT, result.job_id)

    def _refused(self, item: ItemRecord, error: ApiError, seen: tuple[int, int] | None = None) -> None:
        if not is_flow_control(error):
            row = self._intent_row(item)
            self._settle(item, REJECTED, job_row_id=row, error_code=error.code, reason=error.message)
            self._say(item, REJECTED, message=f"{error.code}: {error.message}")
            return
        self._forget_rejected_row(item)
        self._streak += 1
        self.report.flow_waits += 1
        if classify(error) is ErrorKind.THROTTLE:
            pause = throttle_pause(retry_after_of(error), window_of(error), self._streak, self.settings.budget)
        else:
            pause = min(self.settings.flow_max, self.settings.flow_initial * 2.0 ** min(self._streak - 1, 16))
        self._hold_until = max(self._hold_until, self._clock() + pause)
        self.budget.throttled(error, seen=seen, pause=pause)  # slower for every sender (the poller's checks too)
        self._settle(
            item, PENDING, job_row_id=item.job_row_id, error_code=error.code, reason=error.message, flow_wait=True
        )
        self._queue.appendleft(item.position)
        self._say(item, PENDING, message=f"{error.code}: flow control, nothing created; sending again in {pause:.0f} s")
        if self._streak >= self.settings.flow_give_up:
            self._stop(f"flow control refused {self._streak} copies in a row")

    def _intent_row(self, item: ItemRecord) -> int | None:
        current = self.store.item(item.batch_id, item.position)
        found = self.store.find_intent(current or item, self.batch.profile, self.batch.region)
        return found.row_id if found else None

    def _forget_rejected_row(self, item: ItemRecord) -> None:
        """The jobs row of a refusal that created nothing and is sent again: noise in ``imstui jobs``, removed."""
        row = self._intent_row(item)
        if row is not None:
            with contextlib.suppress(LedgerError):
                self.ledger.forget_row(row)

    def _stop(self, why: str) -> None:
        if self.report.stopped is None:
            self.report.stopped = why
