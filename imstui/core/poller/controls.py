"""The :class:`Poller`'s public face: subscribe, run, run_until_done, pause/resume/stop, poll_now, track, status,
outstanding_ids. The mechanics are in :class:`~imstui.core.poller.loop.PollEngine`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from imstui.api.sanitize import sanitize
from imstui.core.jobs import is_outstanding
from imstui.core.ledger import JobRecord
from imstui.core.poller.events import JobChanged, PollNow, Subscriber
from imstui.core.poller.loop import PollEngine, Watch, log
from imstui.core.poller.writer import describe


class Poller(PollEngine):
    """Polls the outstanding jobs of ``profile`` (``None``: every profile) from ``ledger`` through ``api``.

    Only jobs recorded for ``api``'s region (and project, when both are known) are polled: asking one project
    about another project's job would answer "not found" and wrongly mark it gone.

    ``Poller(api, ledger, *, profile, settings=None, clock=time.monotonic, sleep=asyncio.sleep, now=utcnow,
    rng=None)``: ``clock``/``sleep``/``now`` are injectable for virtual time (see ``VirtualTime``).
    """

    # ------------------------------------------------------------------ subscription and controls

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: JobChanged) -> None:
        """Tell the subscribers about a row another part of this process just wrote (tags applied to a finished
        copy, :mod:`imstui.core.tagging`), as if the poller had: the next ledger look does not repeat it."""
        self._follower.own_write(event.record)
        self._emit(event)

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
        self._forced.clear()
        self._poke()
        self._emit_status(force=True)

    def stop(self) -> None:
        """Make :meth:`run` return (in-flight polls are cancelled; a GET is safe to abandon)."""
        self._stopping = True
        self._poke()

    def poll_now(self, job_id: str | None = None) -> PollNow:
        """Poll ``job_id`` (or every outstanding job) as soon as the budget allows: once each while paused too,
        and without waiting out an error-streak backoff. A gateway throttle still holds: ``not_before`` says
        until when (asking earlier would only spend more of the same limit)."""
        now = self._clock()
        if job_id is not None:
            if job_id not in self._schedule and not self.track(job_id):
                return PollNow(0)
            slots = [self._schedule.slots[job_id]]
        else:
            slots = list(self._schedule.slots.values())
        self._pacer.operator_asked(now)
        for slot in slots:
            if not slot.in_flight:
                self._schedule.at(slot, now)
                if self._paused:
                    self._forced.add(slot.job_id)
        self._poke()
        self._emit_status(force=True)
        until = self._pacer.throttle.until
        return PollNow(len(slots), self._wall(until) if until > now and slots else None)

    def track(self, job_id: str) -> bool:
        """Start following ``job_id`` now (it must be in the ledger); True if it is (or already was) followed."""
        if job_id in self._schedule:
            self._poke()
            return True
        try:
            record = self.ledger.get(job_id)
        except Exception as exc:
            log.warning("cannot read job %s from the ledger: %s", sanitize(job_id), describe(exc))
            return False
        if record is None or not self._wanted(record) or not is_outstanding(record):
            return False
        self._follower.remember(record)
        self._add_slot(record)
        self._poke()
        self._emit_status()
        return True

    def outstanding_ids(self) -> list[str]:
        return list(self._schedule.slots)

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
            for slot in self._schedule.slots.values():
                if slot.in_flight:  # cancelled mid-request: ask again first thing on the next run
                    slot.in_flight = False
                    self._schedule.at(slot, now)
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

        ``give_up_after=N``: raise the error once a watched job failed N status checks in a row (throttles do not
        count: they are waited out); ``give_up_on_fatal``: raise at once on an error that asking again will not fix
        (401/403, other 4xx), and once the ledger has refused writes for ``ledger_give_up_after`` seconds.
        Without them every error is ridden out with backoff (the console's behaviour)."""
        watch = Watch(set(job_ids) if job_ids is not None else None, set(), give_up_after, give_up_on_fatal)
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
                failure, self._give_up = self._give_up, None
                if failure is not None:
                    raise failure
        finally:
            self._watches.remove(watch)
        ids = watch.targets if watch.targets is not None else watch.seen
        records = [self.ledger.get(job_id) for job_id in sorted(ids)]
        return sorted((r for r in records if r is not None), key=lambda r: r.row_id)
