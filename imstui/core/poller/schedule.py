"""When each job is asked next (:class:`Schedule`: one :class:`Slot` per followed job, a heap of due times) and
how many requests may go out (:class:`TokenBucket`, whose rate drops after a throttle and recovers slowly)."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from imstui.api.errors import ThrottleWindow
from imstui.core.poller.policy import Trend, recovered_rate, throttled_rate
from imstui.core.poller.settings import PollSettings


@dataclass
class Slot:
    job_id: str
    due: float  # clock() time of the next poll
    interval: float  # current backoff step
    generation: int = 0
    errors: int = 0  # failed polls in a row (throttles not counted: they are nobody's fault)
    not_found: int = 0
    not_found_since: float | None = None  # clock() time of the first of the current run of "not found" answers
    polls: int = 0
    in_flight: bool = False
    sent_seq: int = 0  # dispatch number of the current/last request
    last_poll: float | None = None  # clock() time of our last answer
    trend: Trend | None = None


class Schedule:
    """The followed jobs and a heap of (due, seq, job id, generation); stale heap entries are skipped."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = 0

    def __contains__(self, job_id: object) -> bool:
        return job_id in self.slots

    def __len__(self) -> int:
        return len(self.slots)

    def get(self, job_id: str) -> Slot | None:
        return self.slots.get(job_id)

    def add(self, slot: Slot) -> None:
        self.slots[slot.job_id] = slot
        self.at(slot, slot.due)

    def drop(self, job_id: str) -> None:
        slot = self.slots.pop(job_id, None)
        if slot is not None:
            slot.generation += 1  # invalidates its heap entries

    def at(self, slot: Slot, due: float) -> None:
        """(Re)schedule ``slot`` for ``due`` (ignored for a job no longer followed)."""
        if self.slots.get(slot.job_id) is not slot:
            return
        slot.generation += 1
        slot.due = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, slot.job_id, slot.generation))

    def peek(self) -> Slot | None:
        """The job due first (not in flight), without removing it."""
        heap = self._heap
        while heap:
            _, _, job_id, generation = heap[0]
            slot = self.slots.get(job_id)
            if slot is None or slot.generation != generation or slot.in_flight:
                heapq.heappop(heap)
                continue
            return slot
        return None

    def next_due(self) -> float | None:
        return min((slot.due for slot in self.slots.values() if not slot.in_flight), default=None)


@dataclass
class ThrottleEpisode:
    """The gateway's throttling as the poller met it: no poll before ``until`` (clock time). ``streak``: throttles
    in a row the poller reacted to; a 429 for a request sent before the last reaction (dispatch number
    ``reacted_seq``) was already accounted for and does not lengthen the pause."""

    until: float = 0.0
    streak: int = 0
    reacted_seq: int = -1
    window: ThrottleWindow | None = None
    retry_after: float | None = None


class TokenBucket:
    """At most ``rate`` requests per second, ``burst`` deep (``rate`` None: no limit).

    Starts with one token (the first answer, a 429 maybe, comes back before a burst follows), then fills. After
    :meth:`throttled` the rate drops (see ``policy.throttled_rate``) and the burst shrinks to one; every
    ``throttle_recovery_interval`` after the pause without a throttle it grows back a step, up to the configured
    budget."""

    def __init__(self, settings: PollSettings) -> None:
        self._settings = settings
        self.configured = settings.rate_per_second
        self.rate: float | None = self.configured
        self._full_burst = float(max(1, settings.burst))
        self.burst = self._full_burst
        self.tokens = 1.0
        self.stamp: float | None = None
        self._next_recovery: float | None = None

    @property
    def reduced(self) -> bool:
        return self._next_recovery is not None

    def _unlimited(self) -> bool:
        return self.rate is None or self.rate <= 0 or math.isinf(self.rate)

    def take(self, now: float) -> float:
        """Take a token and return 0, or return how long to wait for one."""
        self._recover(now)
        if self._unlimited():
            return 0.0
        assert self.rate is not None
        if self.stamp is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0 - 1e-6:  # tolerance: float residue must not turn into a zero-length wait
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def throttled(self, now: float, window: ThrottleWindow | None, *, resume_at: float) -> None:
        """Lower the budget after a throttle; it recovers step by step from ``resume_at`` (the pause's end)."""
        current = None if self._unlimited() else self.rate
        self.rate = throttled_rate(current, window, self._settings)
        self.burst = 1.0
        self.tokens = min(self.tokens, 1.0)
        self.stamp = now if self.stamp is None else self.stamp
        self._next_recovery = max(now, resume_at) + self._settings.throttle_recovery_interval

    def _recover(self, now: float) -> None:
        settings = self._settings
        while self._next_recovery is not None and now >= self._next_recovery and self.rate is not None:
            self.rate = recovered_rate(self.rate, self.configured, settings)
            if self.rate is None or self.rate == self.configured:
                self.burst = self._full_burst
                self._next_recovery = None
            else:
                self.burst = min(self._full_burst, max(1.0, self.rate))
                self._next_recovery += settings.throttle_recovery_interval
