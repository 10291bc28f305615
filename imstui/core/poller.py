"""The job poller: follows every unfinished copy job in the ledger until it succeeds, fails or disappears.

Pure asyncio (no Textual): the console runs it as a worker, ``jobs watch`` and ``copy --wait`` run it directly.

Scheduling, per job: first poll ``first_delay`` after submission, then every ``initial_interval`` growing by
``backoff_factor`` up to ``max_interval`` (polled sooner when the progress trend says the job is about to finish),
with ``jitter``. Finished (SUCCESS/FAIL) and gone jobs are never polled again.

Global limits: at most ``max_concurrency`` requests in flight and ``rate_per_second`` requests per second (token
bucket, ``burst`` deep). A 429 pauses every poll until its ``Retry-After`` (or an exponential delay without one);
a streak of server/transport errors (5xx, timeouts, resets) backs off globally as well, and each failing job backs
off on its own. A failed poll keeps the last good status and records the error in the ledger; a
``JobNotFoundError`` marks the job gone (last known state kept) and stops polling it. Nothing a server sends can
stop the loop: every failure becomes an event.

Rows written by another process (a ``copy`` in another terminal) are noticed through the ledger's change counter,
checked every ``ledger_check_interval`` seconds; if that process polled a job recently, this one waits.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import logging
import math
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from imstui.api.errors import (
    ApiError,
    AuthenticationError,
    ImstuiError,
    JobNotFoundError,
    ProtocolError,
    ThrottledError,
    TransportError,
)
from imstui.api.models import Job
from imstui.api.protocol import ImsApi
from imstui.api.sanitize import sanitize
from imstui.core.ledger import JobRecord, Ledger, LedgerError, PollUpdate, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollSettings:
    first_delay: float = 2.5  # seconds from submission to the first poll
    initial_interval: float = 3.0  # interval after the first poll
    backoff_factor: float = 1.5
    max_interval: float = 30.0
    min_interval: float = 1.0  # floor for the progress-based early poll
    jitter: float = 0.1  # +/- fraction applied to every delay
    max_concurrency: int = 8
    rate_per_second: float | None = 10.0  # None: no budget (benchmarks, the simulator)
    burst: int = 10
    error_initial: float = 5.0  # per-job delay after a failed poll, doubling per consecutive failure
    error_max: float = 120.0
    throttle_initial: float = 5.0  # global pause after a 429 without Retry-After, doubling
    global_backoff_initial: float = 2.0  # global pause after `error_streak_threshold` failures in a row
    global_backoff_max: float = 120.0
    error_streak_threshold: int = 3
    auth_backoff: float = 60.0  # 401/403: every poll would fail the same way
    ledger_check_interval: float = 1.0
    not_found_grace: int = 3  # "not found" answers tolerated for a job never seen yet before it is declared gone
    stale_sweep_interval: float = 60.0
    # Ledger writes: answers that arrive while other checks are in flight are written together, in one transaction,
    # once `write_batch` are waiting or the oldest has waited `write_delay` seconds (or nothing is in flight).
    write_batch: int = 64
    write_delay: float = 0.05


# ---------------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class JobChanged:
    """A job's ledger row changed (status, progress, error, gone...), or a row appeared (``previous`` None)."""

    record: JobRecord
    previous: JobRecord | None


@dataclass(frozen=True)
class PollFailed:
    """A status check failed; the job keeps its last known state. ``retry_in``: seconds until it is asked again
    (None when it will not be); ``not_visible_yet``: "not found" for a job never seen yet (IMS can take a moment
    to show a new job), which is retried a few times before the job is declared gone."""

    job_id: str
    error: ImstuiError
    retry_in: float | None = None
    not_visible_yet: bool = False


@dataclass(frozen=True)
class PollerStatus:
    running: bool
    paused: bool
    outstanding: int
    next_poll_at: datetime | None
    backoff_until: datetime | None


PollerEvent = JobChanged | PollFailed | PollerStatus
Subscriber = Callable[[PollerEvent], None]


class VirtualTime:
    """Clock, wall clock and sleep for a poller driven by a sleep that does not really wait (tests' recorded
    sleeps): time moves exactly by what the poller asked to sleep, so its schedule is followed without waiting."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]], *, start: datetime | None = None) -> None:
        self._inner = sleep
        self.elapsed = 0.0
        self.start = start or utcnow()

    def clock(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, delay: float) -> None:
        await self._inner(delay)
        self.elapsed += max(0.0, delay)


# ---------------------------------------------------------------------------------------------------------- internals


@dataclass
class _Slot:
    job_id: str
    due: float  # clock() time of the next poll
    interval: float  # current backoff step
    generation: int = 0
    errors: int = 0
    not_found: int = 0
    polls: int = 0
    in_flight: bool = False
    last_poll: float | None = None  # clock() time of our last answer
    trend: tuple[float, float] | None = None  # (clock time, progress) of the last progress sample


@dataclass
class _TokenBucket:
    rate: float | None
    burst: float
    tokens: float = 0.0
    stamp: float | None = None

    def take(self, now: float) -> float:
        """Take a token and return 0, or return how long to wait for one."""
        if self.rate is None or self.rate <= 0 or math.isinf(self.rate):
            return 0.0
        if self.stamp is None:
            self.tokens = self.burst
        else:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0 - 1e-6:  # tolerance: float residue must not turn into a zero-length wait
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class _Outcome:
    slot: _Slot
    at_clock: float
    at: datetime
    job: Job | None = None
    error: ImstuiError | None = None
    gone: bool = False
    not_visible_yet: bool = False


@dataclass
class _Watch:
    targets: set[str] | None
    seen: set[str] = field(default_factory=set)
    give_up_after: int | None = None
    give_up_on_fatal: bool = False

    def covers(self, job_id: str) -> bool:
        return self.targets is None or job_id in self.targets


def is_fatal(error: ImstuiError) -> bool:
    """An answer that will not change by asking again: bad credentials or permissions, a refused request."""
    if isinstance(error, AuthenticationError):
        return True
    if isinstance(error, ApiError) and not isinstance(error, ThrottledError):
        return 400 <= error.status < 500 and error.status not in (404, 408, 409, 425, 429)
    return False


def _accepts_retry_kwarg(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "retry" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _visible(record: JobRecord) -> tuple[Any, ...]:
    """The fields whose change is worth a JobChanged event (not the poll bookkeeping)."""
    return (
        record.job_id,
        record.state,
        record.status,
        record.progress,
        record.new_image_id,
        record.error_code,
        record.fail_reason,
        record.last_poll_error,
        record.gone,
        record.current_task,
    )


# ---------------------------------------------------------------------------------------------------------- poller


class Poller:
    """Polls the outstanding jobs of ``profile`` (``None``: every profile) from ``ledger`` through ``api``.

    Only jobs recorded for ``api``'s region (and project, when both are known) are polled: asking one project
    about another project's job would answer "not found" and wrongly mark it gone.
    """

    def __init__(
        self,
        api: ImsApi,
        ledger: Ledger,
        *,
        profile: str | None,
        settings: PollSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.api = api
        self.ledger = ledger
        self.profile = profile
        self.settings = settings or PollSettings()
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()  # jitter, not security
        self._retry_kwarg = _accepts_retry_kwarg(api.get_job)
        self._subscribers: list[Subscriber] = []
        self._slots: dict[str, _Slot] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = 0
        self._cache: dict[int, JobRecord] = {}
        self._row_ids: dict[str, int] = {}  # job id -> row id
        self._bucket = _TokenBucket(self.settings.rate_per_second, float(max(1, self.settings.burst)))
        self._backoff_until = 0.0
        self._error_streak = 0
        self._throttle_streak = 0
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: list[_Outcome] = []
        self._pending_since = 0.0  # clock() time the oldest unwritten answer arrived
        self._flush_scheduled = False
        self._seen_version: int | None = None
        self._own_versions: set[int] = set()  # ledger change counter values of our own poll writes, not yet seen
        self._next_ledger_check = 0.0
        self._next_sweep = 0.0
        self._running = False
        self._paused = False
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._watches: list[_Watch] = []
        self._owner: _Watch | None = None  # the run_until_done that started run()
        self._give_up: ImstuiError | None = None
        self._last_status: tuple[Any, ...] | None = None
        self.checks = 0  # number of status requests answered (any outcome), for benchmarks and the status bar

    # ------------------------------------------------------------------ subscription and controls

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    @property
    def running(self) -> bool:
        return self._running

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop sending new polls (in-flight ones finish) until :meth:`resume`."""
        self._paused = True
        self._poke()
        self._emit_status(force=True)

    def resume(self) -> None:
        self._paused = False
        self._poke()
        self._emit_status(force=True)

    def stop(self) -> None:
        """Make :meth:`run` return (in-flight polls are cancelled; a GET is safe to abandon)."""
        self._stopping = True
        self._poke()

    def poll_now(self, job_id: str | None = None) -> None:
        """Poll ``job_id`` (or every outstanding job) as soon as the limits allow; a Retry-After still holds."""
        now = self._clock()
        if job_id is not None:
            if job_id not in self._slots and not self.track(job_id):
                return
            slots = [self._slots[job_id]]
        else:
            slots = list(self._slots.values())
        for slot in slots:
            if not slot.in_flight:
                self._schedule(slot, now)
        self._poke()

    def track(self, job_id: str) -> bool:
        """Start following ``job_id`` now (it must be in the ledger); True if it is (or already was) followed."""
        if job_id in self._slots:
            self._poke()
            return True
        record = self.ledger.get(job_id)
        if record is None or not self._wanted(record) or not record.is_outstanding:
            return False
        self._remember(record)
        self._add_slot(record)
        self._poke()
        self._emit_status()
        return True

    def status(self) -> PollerStatus:
        now = self._clock()
        due = min((slot.due for slot in self._slots.values() if not slot.in_flight), default=None)
        if due is not None and self._backoff_until > due:
            due = self._backoff_until
        return PollerStatus(
            running=self._running,
            paused=self._paused,
            outstanding=len(self._slots),
            next_poll_at=self._wall(max(due, now)) if due is not None else None,
            backoff_until=self._wall(self._backoff_until) if self._backoff_until > now else None,
        )

    def outstanding_ids(self) -> list[str]:
        return list(self._slots)

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Poll until :meth:`stop` (or until the jobs a :meth:`run_until_done` waits for are finished)."""
        if self._running:
            raise RuntimeError("the poller is already running")
        self._running = True
        self._stopping = False
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        try:
            self._sync_ledger(force=True)
            self._emit_status(force=True)
            await self._loop()
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self._flush()
            now = self._clock()
            for slot in self._slots.values():
                if slot.in_flight:  # cancelled mid-request: ask again first thing on the next run
                    slot.in_flight = False
                    self._schedule(slot, now)
            self._in_flight = 0
            self._running = False
            self._emit_status(force=True)

    async def run_until_done(
        self,
        job_ids: Iterable[str] | None = None,
        *,
        give_up_after: int | None = None,
        give_up_on_fatal: bool = False,
    ) -> list[JobRecord]:
        """Poll until every job in ``job_ids`` (default: every outstanding job, including ones that appear
        meanwhile) is finished or gone; returns their final records. Runs the loop unless it already runs.

        ``give_up_after=N``: raise the error once a watched job failed N status checks in a row;
        ``give_up_on_fatal``: raise at once on an error that asking again will not fix (401/403, other 4xx).
        Without them every error is ridden out with backoff (the console's behaviour)."""
        watch = _Watch(
            targets=set(job_ids) if job_ids is not None else None,
            give_up_after=give_up_after,
            give_up_on_fatal=give_up_on_fatal,
        )
        self._watches.append(watch)
        try:
            for job_id in watch.targets or ():
                self.track(job_id)  # a row another process wrote a moment ago may not have been seen yet
            if self._running:
                assert self._changed is not None
                while not self._watch_done(watch):
                    self._changed.clear()
                    await self._changed.wait()
            else:
                self._owner = watch
                self._give_up = None
                try:
                    await self.run()
                finally:
                    self._owner = None
                failure = self._pop_give_up()
                if failure is not None:
                    raise failure
        finally:
            self._watches.remove(watch)
        ids = watch.targets if watch.targets is not None else watch.seen
        records = [self.ledger.get(job_id) for job_id in sorted(ids)]
        return sorted((r for r in records if r is not None), key=lambda r: r.row_id)

    def _watch_done(self, watch: _Watch) -> bool:
        if watch.targets is None:
            watch.seen.update(self._slots)
            return not self._slots
        return not any(job_id in self._slots for job_id in watch.targets)

    async def _loop(self) -> None:
        settings = self.settings
        while not self._stopping:
            now = self._clock()
            if now >= self._next_ledger_check:
                self._sync_ledger()
            if self._owner is not None and self._watch_done(self._owner) and not self._tasks:
                return
            if self._give_up is not None:
                return
            # While polls are in flight their answers wake the loop, which then also looks at the ledger.
            next_check = math.inf if self._tasks else self._next_ledger_check - now
            if self._pending:
                write_in = self._pending_since + settings.write_delay - now
                if write_in <= 0:
                    self._schedule_flush()
                next_check = min(next_check, max(0.0, write_in))
            if self._paused:
                await self._wait(next_check)
                continue
            if now < self._backoff_until:
                await self._wait(min(self._backoff_until - now, next_check))
                continue
            slot = self._peek()
            if slot is None:
                await self._wait(next_check)
                continue
            if slot.due > now:
                await self._wait(min(slot.due - now, next_check))
                continue
            if self._in_flight >= settings.max_concurrency:
                await self._wait(next_check)
                continue
            wait = self._bucket.take(now)
            if wait > 0:
                await self._wait(min(wait, next_check))
                continue
            heapq.heappop(self._heap)
            slot.in_flight = True
            self._in_flight += 1
            task = asyncio.create_task(self._poll(slot))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    async def _wait(self, timeout: float) -> None:
        wake = self._wake
        assert wake is not None
        if wake.is_set() or self._stopping:
            wake.clear()
            await asyncio.sleep(0)
            return
        if math.isinf(timeout):
            await wake.wait()
            wake.clear()
            return
        timeout = max(0.0, timeout)
        sleeper = asyncio.ensure_future(self._sleep(timeout))
        waker = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        wake.clear()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # ------------------------------------------------------------------ one poll

    async def _poll(self, slot: _Slot) -> None:
        outcome: _Outcome
        try:
            if self._retry_kwarg:
                job = await self.api.get_job(slot.job_id, retry=False)
            else:
                job = await self.api.get_job(slot.job_id)
        except asyncio.CancelledError:
            slot.in_flight = False
            self._in_flight -= 1
            raise
        except JobNotFoundError as exc:
            record = self._cache_by_job(slot.job_id)
            if slot.not_found < self.settings.not_found_grace and (record is None or record.status is None):
                # Never seen yet: IMS may not list a job the moment it accepted it.
                slot.not_found += 1
                outcome = _Outcome(slot, self._clock(), self._now(), error=exc, not_visible_yet=True)
            else:
                outcome = _Outcome(slot, self._clock(), self._now(), gone=True)
        except ImstuiError as exc:
            outcome = _Outcome(slot, self._clock(), self._now(), error=exc)
        except Exception as exc:  # a bug below us must not stop the poller: report it like any failure
            log.exception("unexpected error while polling job %s", slot.job_id)
            error = ImstuiError(sanitize(f"unexpected {type(exc).__name__} while polling: {exc}")[:500])
            outcome = _Outcome(slot, self._clock(), self._now(), error=error)
        else:
            if job.job_id and job.job_id != slot.job_id:
                error = ProtocolError(f"asked for job {slot.job_id}, got job {job.job_id}")
                outcome = _Outcome(slot, self._clock(), self._now(), error=error)
            else:
                outcome = _Outcome(slot, self._clock(), self._now(), job=job)
        self.checks += 1
        self._in_flight -= 1
        if not self._pending:
            self._pending_since = outcome.at_clock
        self._pending.append(outcome)
        if self._in_flight <= 0 or len(self._pending) >= self.settings.write_batch or self.settings.write_delay <= 0:
            self._schedule_flush()
        self._poke()  # the loop writes a batch that has waited write_delay

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write the finished polls to the ledger in one transaction, reschedule, emit events."""
        self._flush_scheduled = False
        outcomes, self._pending = self._pending, []
        if not outcomes:
            return
        updates = [
            PollUpdate(
                job_id=o.slot.job_id,
                at=o.at,
                job=o.job,
                error=str(o.error) if o.error is not None else None,
                gone=o.gone,
            )
            for o in outcomes
        ]
        try:
            results = self.ledger.apply_polls(updates)
        except (sqlite3.Error, LedgerError) as exc:
            # The ledger is busy or broken: keep polling (the server stays the source of truth), retry later.
            log.warning("cannot write poll results to the job ledger: %s", exc)
            for o in outcomes:
                o.slot.in_flight = False
                self._schedule(o.slot, o.at_clock + self._jittered(self.settings.error_initial))
                self._emit(PollFailed(o.slot.job_id, ImstuiError(f"cannot write the job ledger: {exc}")))
            return
        for outcome, (previous, current) in zip(outcomes, results, strict=True):
            if current is not None:
                self._own_versions.add(current.version)
            self._after_poll(outcome, previous, current)
        if self._changed is not None:
            self._changed.set()
        self._poke()
        self._emit_status()

    def _after_poll(self, outcome: _Outcome, previous: JobRecord | None, current: JobRecord | None) -> None:
        slot = outcome.slot
        slot.in_flight = False
        slot.polls += 1
        slot.last_poll = outcome.at_clock
        if current is not None:
            cached = self._cache.get(current.row_id, previous)
            self._remember(current)
            if cached is None or _visible(cached) != _visible(current):
                self._emit(JobChanged(current, cached))
        if current is None or not current.is_outstanding:
            if outcome.error is not None:
                self._emit(PollFailed(slot.job_id, outcome.error))
            self._drop(slot.job_id)
            return
        now = outcome.at_clock
        if outcome.error is not None:
            self._on_error(slot, outcome.error, now)
            self._emit(
                PollFailed(
                    slot.job_id,
                    outcome.error,
                    retry_in=max(slot.due, self._backoff_until) - now,
                    not_visible_yet=outcome.not_visible_yet,
                )
            )
            owner = self._owner
            if owner is not None and owner.covers(slot.job_id):
                if (owner.give_up_on_fatal and is_fatal(outcome.error)) or (
                    owner.give_up_after is not None and slot.errors >= owner.give_up_after
                ):
                    self._give_up = outcome.error
                    self._poke()
            return
        # A good answer.
        self._error_streak = 0
        self._throttle_streak = 0
        slot.errors = 0
        settings = self.settings
        delay = slot.interval
        slot.interval = min(
            settings.max_interval, max(settings.initial_interval, slot.interval * settings.backoff_factor)
        )
        progress = current.progress
        if progress is not None:
            if slot.trend is not None and progress > slot.trend[1] and now > slot.trend[0]:
                speed = (progress - slot.trend[1]) / (now - slot.trend[0])
                eta = (1.0 - progress) / speed
                delay = min(delay, max(settings.min_interval, eta + 0.5))
            if slot.trend is None or progress != slot.trend[1]:
                slot.trend = (now, progress)
        self._schedule(slot, now + self._jittered(delay))

    def _on_error(self, slot: _Slot, error: ImstuiError, now: float) -> None:
        settings = self.settings
        slot.errors += 1
        delay = min(settings.error_max, settings.error_initial * 2 ** (slot.errors - 1))
        retry_after = error.retry_after if isinstance(error, ApiError) else None
        if isinstance(error, ThrottledError) or (isinstance(error, ApiError) and error.status == 429):
            self._throttle_streak += 1
            pause = retry_after
            if pause is None or pause <= 0:
                pause = min(settings.global_backoff_max, settings.throttle_initial * 2 ** (self._throttle_streak - 1))
            self._extend_backoff(now + min(pause, 3600.0))
        elif isinstance(error, AuthenticationError):
            self._extend_backoff(now + settings.auth_backoff)
        elif isinstance(error, (TransportError, ProtocolError)) or (isinstance(error, ApiError) and error.retryable):
            self._error_streak += 1
            if self._error_streak >= settings.error_streak_threshold:
                steps = self._error_streak - settings.error_streak_threshold
                pause = min(settings.global_backoff_max, settings.global_backoff_initial * 2 ** min(steps, 16))
                self._extend_backoff(now + self._jittered(pause))
            if retry_after:
                self._extend_backoff(now + min(retry_after, 3600.0))
        self._schedule(slot, now + self._jittered(delay))
        self._emit_status()

    def _extend_backoff(self, until: float) -> None:
        if until > self._backoff_until:
            self._backoff_until = until

    # ------------------------------------------------------------------ the ledger side

    def _wanted(self, record: JobRecord) -> bool:
        if self.profile is not None and record.profile != self.profile:
            return False
        region = getattr(self.api, "region", None)
        if region and record.region and record.region != region:
            return False
        project = getattr(self.api, "project_id", None)
        return not (project and record.project_id and record.project_id != project)

    def _sync_ledger(self, *, force: bool = False) -> None:
        """Pick up rows written by anyone (this process included) since the last look."""
        now = self._clock()
        self._next_ledger_check = now + self.settings.ledger_check_interval
        try:
            if now >= self._next_sweep:
                self._next_sweep = now + self.settings.stale_sweep_interval
                self.ledger.sweep_stale_submissions()
            version = self.ledger.data_version()
            if self._seen_version is None or force:
                records = self.ledger.list(self.profile)
                self._seen_version = version
                self._own_versions = {value for value in self._own_versions if value > version}
                for record in records:
                    if self._wanted(record):
                        self._remember(record)
                        if record.is_outstanding and record.job_id not in self._slots:
                            self._add_slot(record, spread=True)
                self._after_sync()
                return
            if version == self._seen_version:
                return
            # Every write bumps the counter by one: if each value since the last look is one of our own poll
            # writes, nothing new is in the file (those rows are already in the cache), so skip re-reading them.
            seen = self._seen_version
            own = self._own_versions
            if all(value in own for value in range(seen + 1, version + 1)):
                self._seen_version = version
                own.difference_update(range(seen + 1, version + 1))
                return
            changes = self.ledger.changes_since(seen)
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("cannot read the job ledger: %s", exc)
            return
        self._seen_version = changes.version
        self._own_versions = {value for value in self._own_versions if value > changes.version}
        for row_id in changes.removed_row_ids:
            gone = self._cache.pop(row_id, None)
            if gone is not None and gone.job_id in self._slots and not self._slots[gone.job_id].in_flight:
                self._drop(gone.job_id)
        for record in changes.changed:
            if not self._wanted(record):
                continue
            cached = self._cache.get(record.row_id)
            if cached is not None and cached.version >= record.version:
                continue  # our own write, already reported
            self._remember(record)
            if cached is None or _visible(cached) != _visible(record):
                self._emit(JobChanged(record, cached))
            job_id = record.job_id
            if job_id is None:
                continue
            slot = self._slots.get(job_id)
            if record.is_outstanding and slot is None:
                self._add_slot(record)
            elif slot is not None and not record.is_outstanding and not slot.in_flight:
                self._drop(job_id)
            elif slot is not None and record.last_polled_at is not None and not slot.in_flight:
                # Polled by another process: no need to ask again before our interval is over.
                age = (self._now() - record.last_polled_at).total_seconds()
                mine = None if slot.last_poll is None else now - slot.last_poll
                if mine is None or age < mine:
                    self._schedule(slot, max(slot.due, now + max(0.0, slot.interval - age)))
        self._after_sync()

    def _after_sync(self) -> None:
        if self._changed is not None:
            self._changed.set()
        self._emit_status()

    def _add_slot(self, record: JobRecord, *, spread: bool = False) -> None:
        assert record.job_id is not None
        settings = self.settings
        now = self._clock()
        age = max(0.0, (self._now() - record.submitted_at).total_seconds())
        if age < settings.first_delay:
            due = now + settings.first_delay - age
        else:
            # Resumed after a restart (or imported): poll soon, spread over a moment so a thousand
            # jobs do not hit the server in the same millisecond.
            due = now + (self._rng.uniform(0, min(settings.initial_interval, 0.01 * len(self._slots))) if spread else 0)
        slot = _Slot(job_id=record.job_id, due=due, interval=settings.initial_interval)
        self._slots[record.job_id] = slot
        for watch in self._watches:
            if watch.targets is None:
                watch.seen.add(record.job_id)
        self._schedule(slot, due)

    def _drop(self, job_id: str) -> None:
        slot = self._slots.pop(job_id, None)
        if slot is not None:
            slot.generation += 1  # invalidates its heap entries

    def _schedule(self, slot: _Slot, due: float) -> None:
        if slot.job_id not in self._slots:
            return
        slot.generation += 1
        slot.due = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, slot.job_id, slot.generation))

    def _peek(self) -> _Slot | None:
        heap = self._heap
        while heap:
            _, _, job_id, generation = heap[0]
            slot = self._slots.get(job_id)
            if slot is None or slot.generation != generation or slot.in_flight:
                heapq.heappop(heap)
                continue
            return slot
        return None

    # ------------------------------------------------------------------ helpers

    def _pop_give_up(self) -> ImstuiError | None:
        failure, self._give_up = self._give_up, None
        return failure

    def _remember(self, record: JobRecord) -> None:
        self._cache[record.row_id] = record
        if record.job_id is not None:
            self._row_ids[record.job_id] = record.row_id

    def _cache_by_job(self, job_id: str) -> JobRecord | None:
        row_id = self._row_ids.get(job_id)
        return self._cache.get(row_id) if row_id is not None else None

    def _jittered(self, delay: float) -> float:
        jitter = self.settings.jitter
        if jitter <= 0 or delay <= 0:
            return delay
        return delay * self._rng.uniform(1 - jitter, 1 + jitter)

    def _wall(self, at: float) -> datetime:
        return self._now() + timedelta(seconds=at - self._clock())

    def _emit(self, event: PollerEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("poller subscriber failed on %s", type(event).__name__)

    def _emit_status(self, *, force: bool = False) -> None:
        if not self._subscribers:
            return
        key = (self._running, self._paused, len(self._slots), self._backoff_until > self._clock())
        if not force and key == self._last_status:
            return
        self._last_status = key
        self._emit(self.status())
