"""The poller's engine: the loop that sends each due poll when the pacer allows, and what happens to an answer
(written in a batch, then the job rescheduled, events emitted). :class:`~imstui.core.poller.controls.Poller` adds
the public controls on top.

What each part decides lives elsewhere: :mod:`.policy` (pure decisions), :mod:`.pacing` (budget and pauses),
:mod:`.schedule` (due times), :mod:`.follower` (rows other processes write), :mod:`.writer` (batched,
fault-isolated ledger writes). Nothing one job's answer, one ledger write or one subscriber throws stops the loop:
every failure becomes a :class:`PollFailed` for that job and the other jobs keep being polled.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from imstui.api.errors import ImstuiError, JobNotFoundError, ProtocolError
from imstui.api.protocol import ImsApi
from imstui.api.sanitize import sanitize
from imstui.core.account import endpoint_of
from imstui.core.jobs import is_outstanding
from imstui.core.ledger import JobRecord, Ledger, utcnow
from imstui.core.poller import policy
from imstui.core.poller.budget import RequestBudget
from imstui.core.poller.events import JobChanged, PollerEvent, PollerStatus, PollFailed, Subscriber
from imstui.core.poller.follower import LedgerFollower, apply_sync, visible
from imstui.core.poller.pacing import Pacer
from imstui.core.poller.policy import ErrorKind
from imstui.core.poller.schedule import Schedule, Slot
from imstui.core.poller.settings import PollSettings
from imstui.core.poller.writer import LedgerTrouble, LedgerWriteError, Outcome, Written, write_outcomes

log = logging.getLogger("imstui.core.poller")


@dataclass
class Watch:
    targets: set[str] | None
    seen: set[str] = field(default_factory=set)
    give_up_after: int | None = None
    give_up_on_fatal: bool = False

    def covers(self, job_id: str) -> bool:
        return self.targets is None or job_id in self.targets


class PollEngine:
    """The loop and the answer handling of :class:`~imstui.core.poller.controls.Poller` (see there)."""

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
        self._subscribers: list[Subscriber] = []
        self._schedule = Schedule()
        self._endpoint = endpoint_of(api)  # known: every open row is read, _wanted keeps this account's
        self._follower = LedgerFollower(ledger, profile if self._endpoint is None else None, self._wanted)
        self._pacer = Pacer(self.settings, self._rng)
        self._budget = RequestBudget(self._pacer, clock, sleep)
        self._trouble = LedgerTrouble(self.settings.ledger_warn_interval)
        self._in_flight = 0
        self._forced: set[str] = set()  # poll_now while paused: these are polled once
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: list[Outcome] = []
        self._pending_since = 0.0  # clock() time the oldest unwritten answer arrived
        self._flush_scheduled = False
        self._running = False
        self._paused = False
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._watches: list[Watch] = []
        self._owner: Watch | None = None  # the run_until_done that started run()
        self._give_up: ImstuiError | None = None
        self._last_status: tuple[object, ...] | None = None
        self._bug_logged_at: float | None = None
        self.checks = 0  # number of status requests answered (any outcome), for benchmarks and the status bar

    @property
    def budget(self) -> RequestBudget:
        """The request budget this poller's status checks draw from (see :mod:`.budget`): other senders of the
        same account (a batch submission) take their tokens from it too, so together they stay within it."""
        return self._budget

    def _watch_done(self, watch: Watch) -> bool:
        if watch.targets is None:
            watch.seen.update(self._schedule.slots)
            return not self._schedule
        return not any(job_id in self._schedule for job_id in watch.targets)

    async def _loop(self) -> None:
        settings = self.settings
        while not self._stopping:
            now = self._clock()
            if now >= self._follower.next_check:
                self._sync_ledger()
            if self._owner is not None and self._watch_done(self._owner) and not self._tasks:
                return
            if self._give_up is not None:
                return
            # While polls are in flight their answers wake the loop, which then also looks at the ledger.
            next_check = math.inf if self._tasks else self._follower.next_check - now
            if self._pending:
                write_in = self._pending_since + settings.write_delay - now
                if write_in <= 0:
                    self._schedule_flush()
                next_check = min(next_check, max(0.0, write_in))
            slot, wait = self._next_send(now)
            if slot is None:
                await self._wait(min(wait, next_check))
                continue
            self._dispatch(slot)

    def _next_send(self, now: float) -> tuple[Slot | None, float]:
        """The poll that may be sent now (its budget token taken), or None and the seconds until one may be
        (``inf``: not before something changes: an answer, a new job, resume). The one rule for what goes out,
        used by the loop and by a poll that just got its answer (:meth:`_polls`)."""
        if self._stopping or self._give_up is not None or (self._paused and not self._forced):
            return None, math.inf
        hold = self._pacer.hold()
        if now < hold:
            return None, hold - now
        slot = self._next_forced() if self._paused else self._schedule.peek()
        if slot is None:
            return None, math.inf
        if slot.due > now:
            return None, slot.due - now
        if self._in_flight >= self._pacer.max_in_flight():
            return None, math.inf
        wait = self._budget.take(now)
        if wait > 0:
            return None, wait
        return slot, 0.0

    def _next_forced(self) -> Slot | None:
        for job_id in list(self._forced):
            slot = self._schedule.get(job_id)
            if slot is None:
                self._forced.discard(job_id)
            elif not slot.in_flight:
                return slot
        return None

    def _dispatch(self, slot: Slot) -> None:
        self._claim(slot)
        task = asyncio.create_task(self._polls(slot))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _claim(self, slot: Slot) -> None:
        self._forced.discard(slot.job_id)
        self._pacer.dispatched(slot)
        slot.in_flight = True
        self._in_flight += 1

    async def _polls(self, slot: Slot | None) -> None:
        """Poll ``slot``, then the next poll that may go, and so on: the place an answer frees is taken again at
        once, in the step that read the answer, not after a round through the loop (with service latency that
        round was a visible share of each place's time). A failed answer has been written by then (see
        :meth:`_poll`), so a pause it starts already holds."""
        while slot is not None:
            await self._poll(slot)
            slot, _ = self._next_send(self._clock())
            if slot is not None:
                self._claim(slot)

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
        sleeper = asyncio.ensure_future(self._sleep(max(0.0, timeout)))
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

    async def _poll(self, slot: Slot) -> None:
        """One status check of ``slot``. A good answer waits in ``_pending`` for the next batched write; a failed
        one is written at once, with those waiting: a throttle or an error streak it starts must hold every other
        poll from the moment it is read, not ``write_delay`` later."""
        outcome = Outcome(slot, slot.sent_seq, 0.0, self._now())
        try:
            job = await self.api.get_job(slot.job_id, retry=False)  # the poller does its own backoff
        except asyncio.CancelledError:
            slot.in_flight = False
            self._in_flight -= 1
            raise
        except JobNotFoundError as exc:
            record = self._follower.by_job(slot.job_id)
            if slot.not_found < self.settings.not_found_grace and (record is None or record.status is None):
                slot.not_found += 1  # never seen yet: IMS may not list a job the moment it accepted it
                outcome.error, outcome.not_visible_yet = exc, True
            elif record is not None and record.status is not None and not self._gone_for_good(slot):
                outcome.error = exc  # seen alive: one "not found" (a glitch, a wrong endpoint) is not the end
            else:
                outcome.gone = True
        except ImstuiError as exc:
            outcome.error = exc
        except Exception as exc:  # a bug below us (or an answer nobody foresaw) must not stop the poller
            self._log_bug(exc, slot.job_id)
            outcome.error = ImstuiError(sanitize(f"unexpected {type(exc).__name__} while polling: {exc}")[:500])
        else:
            if job.job_id and job.job_id != slot.job_id:
                outcome.error = ProtocolError(f"asked for job {slot.job_id}, got job {job.job_id}")
            else:
                outcome.job = job
        outcome.at_clock, outcome.at = self._clock(), self._now()
        self.checks += 1
        self._in_flight -= 1
        if not self._pending:
            self._pending_since = outcome.at_clock
        self._pending.append(outcome)
        settings = self.settings
        if outcome.job is None:
            self._flush()
        elif self._in_flight <= 0 or len(self._pending) >= settings.write_batch or settings.write_delay <= 0:
            self._schedule_flush()
        self._poke()  # the loop writes a batch that has waited write_delay

    def _gone_for_good(self, slot: Slot) -> bool:
        """Seen alive: gone after ``gone_after_not_found`` "not found" in a row over ``gone_after_seconds``."""
        now = self._clock()
        slot.not_found += 1
        if slot.not_found_since is None:
            slot.not_found_since = now
        settings = self.settings
        return (
            slot.not_found >= settings.gone_after_not_found
            and now - slot.not_found_since >= settings.gone_after_seconds
        )

    def _log_bug(self, exc: Exception, job_id: str) -> None:
        """A traceback the first time, then one line a minute at most (a broken client must not flood the log)."""
        now = self._clock()
        if self._bug_logged_at is None or now - self._bug_logged_at >= 60.0:
            self._bug_logged_at = now
            log.error("unexpected error while polling job %s", sanitize(job_id), exc_info=exc)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write the finished polls to the ledger (one transaction), reschedule, emit events. Never raises."""
        self._flush_scheduled = False
        outcomes, self._pending = self._pending, []
        if not outcomes:
            return
        try:
            written, trouble = write_outcomes(self.ledger, outcomes)
        except Exception as exc:  # not expected: write_outcomes contains its faults
            log.exception("writing poll results failed")
            written, trouble = (
                [Written(o, failure=ImstuiError(f"cannot write poll results: {exc}")) for o in outcomes],
                exc,
            )
        now = self._clock()
        if trouble is not None:
            self._trouble.failed(now, trouble)
        elif any(w.current is not None for w in written):
            self._trouble.recovered()
        for item in written:
            slot = item.outcome.slot
            generation = slot.generation
            try:
                self._after_write(item)
            except Exception:
                log.exception("handling the answer for job %s failed", sanitize(slot.job_id))
            if slot.generation == generation:  # neither rescheduled nor dropped (a fault above): ask again later
                slot.in_flight = False
                self._schedule.at(slot, now + self._pacer.retry_delay(slot.errors))
        if self._changed is not None:
            self._changed.set()
        self._poke()
        self._emit_status()

    def _after_write(self, written: Written) -> None:
        outcome, current = written.outcome, written.current
        slot = outcome.slot
        slot.in_flight = False
        if current is None and written.failure is not None:  # the ledger refused the write: nothing is stored
            self._ledger_refused(slot, written.failure, outcome.at_clock)
            return
        if current is not None:
            self._follower.own_write(current)
        slot.polls += 1
        slot.last_poll = outcome.at_clock
        if current is not None:
            cached = self._follower.cache.get(current.row_id, written.previous)
            self._follower.remember(current)
            if cached is None or visible(cached) != visible(current):
                self._emit(JobChanged(current, cached))
        error = outcome.error or written.failure
        if current is None or not is_outstanding(current):
            if error is not None:
                self._emit(PollFailed(slot.job_id, error))
            self._schedule.drop(slot.job_id)
            return
        now = outcome.at_clock
        if error is None:
            self._good_answer(slot, current, now)
            return
        kind = self._pacer.failed(slot, error, now, outcome.sent_seq)
        self._schedule.at(slot, now + self._pacer.retry_delay(slot.errors))
        self._emit_status()
        retry_in = max(slot.due, self._pacer.hold()) - now
        self._emit(PollFailed(slot.job_id, error, retry_in=retry_in, not_visible_yet=outcome.not_visible_yet))
        owner = self._owner
        if owner is not None and owner.covers(slot.job_id) and kind is not ErrorKind.THROTTLE:
            if (owner.give_up_on_fatal and policy.is_fatal(error)) or (
                owner.give_up_after is not None and slot.errors >= owner.give_up_after
            ):
                self._give_up = error
                self._poke()

    def _good_answer(self, slot: Slot, current: JobRecord, now: float) -> None:
        self._pacer.answered()
        slot.errors = 0
        slot.not_found, slot.not_found_since = 0, None
        settings = self.settings
        delay = slot.interval
        slot.interval = policy.grown_interval(slot.interval, settings)
        delay, slot.trend = policy.progress_delay(delay, slot.trend, current.progress, now, settings)
        self._schedule.at(slot, now + self._jittered(delay))

    def _ledger_refused(self, slot: Slot, failure: ImstuiError, now: float) -> None:
        delay = self._pacer.retry_delay(self._trouble.failures)
        self._schedule.at(slot, now + delay)
        self._emit(PollFailed(slot.job_id, failure, retry_in=delay))
        owner = self._owner
        lasted = self._trouble.lasted(now)
        if owner is not None and owner.give_up_on_fatal and lasted >= self.settings.ledger_give_up_after:
            self._give_up = LedgerWriteError(
                f"{failure} (failing for {lasted:.0f} s, {self._trouble.failures} attempts); stopped watching. "
                "The jobs keep running in IMS: free disk space (or end the process holding the ledger) and run "
                "`imstui jobs watch` again"
            )
            self._poke()

    # ------------------------------------------------------------------ the ledger side

    def _wanted(self, record: JobRecord) -> bool:
        if record.endpoint is not None and self._endpoint is not None:
            if record.endpoint != self._endpoint:  # another account's job: asking here would answer "not found"
                return False
        elif self.profile is not None and record.profile != self.profile:
            return False
        region = self.api.region
        if region and record.region and record.region != region:
            return False
        project = self.api.project_id
        return not (project and record.project_id and record.project_id != project)

    def _sync_ledger(self, *, force: bool = False) -> None:
        """Pick up rows written by anyone (this process included) since the last look."""
        settings = self.settings
        now = self._clock()
        sync = self._follower.look(
            now,
            force=force,
            check_interval=settings.ledger_check_interval,
            sweep_interval=settings.stale_sweep_interval,
        )
        if sync is None:
            return
        try:
            apply_sync(sync, self._schedule, self._add_slot, self._emit, now, self._now())
        except Exception:
            log.exception("applying ledger changes failed")
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
            spread_over = min(settings.initial_interval, 0.01 * len(self._schedule))
            due = now + (self._rng.uniform(0, spread_over) if spread else 0)
        self._schedule.add(Slot(job_id=record.job_id, due=due, interval=settings.initial_interval))
        for watch in self._watches:
            if watch.targets is None:
                watch.seen.add(record.job_id)

    # ------------------------------------------------------------------ helpers

    def _jittered(self, delay: float) -> float:
        return self._pacer.jittered(delay)

    def _wall(self, at: float) -> datetime:
        return self._now() + timedelta(seconds=at - self._clock())

    def _emit(self, event: PollerEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("poller subscriber failed on %s", type(event).__name__)

    def status(self) -> PollerStatus:
        now = self._clock()
        hold = self._pacer.hold()
        due = self._schedule.next_due()
        if due is not None and hold > due:
            due = hold
        throttle = self._pacer.throttle_status(now, self._wall)
        return PollerStatus(
            running=self._running,
            paused=self._paused,
            outstanding=len(self._schedule),
            next_poll_at=self._wall(max(due, now)) if due is not None else None,
            backoff_until=self._wall(hold) if hold > now else None,
            throttle=throttle,
            ledger_error=self._trouble.error,
        )

    def _emit_status(self, *, force: bool = False) -> None:
        if not self._subscribers:
            return
        now = self._clock()
        pacer = self._pacer
        key = (
            self._running,
            self._paused,
            len(self._schedule),
            pacer.hold() > now,
            pacer.throttle.until,
            self._trouble.error,
        )
        if not force and key == self._last_status:
            return
        self._last_status = key
        self._emit(self.status())
