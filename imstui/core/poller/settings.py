"""The poller's knobs (:class:`PollSettings`) and :class:`VirtualTime`, the clock of a poller driven by a sleep
that does not really wait (tests, ``client_overrides(sleep=...)``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from imstui.core.ledger import utcnow


@dataclass(frozen=True)
class PollSettings:
    first_delay: float = 2.5  # seconds from submission to the first poll
    initial_interval: float = 3.0  # interval after the first poll
    backoff_factor: float = 1.5
    max_interval: float = 30.0
    min_interval: float = 1.0  # floor for the progress-based early poll
    jitter: float = 0.1  # +/- fraction applied to every delay
    max_concurrency: int = 8
    rate_per_second: float | None = 10.0  # None: no budget (benchmarks, the simulator) until a throttle
    burst: int = 10
    error_initial: float = 5.0  # per-job delay after a failed poll, doubling per consecutive failure
    error_max: float = 120.0
    # 429 without Retry-After and without a window in its message: pause every poll, 1, 2, 4... minutes
    # (Terraform's backoff); a stated window is waited out whole. Retry-After, when sent, is honoured as is.
    throttle_initial: float = 60.0
    throttle_max: float = 960.0
    # After a throttle the request budget drops to this share of the stated limit (limit / window), or halves when
    # none is stated, never below `throttle_min_rate`; it grows back by `throttle_recovery_factor` every
    # `throttle_recovery_interval` seconds without a throttle.
    throttle_rate_share: float = 0.5
    throttle_min_rate: float = 0.05
    throttle_recovery_interval: float = 60.0
    throttle_recovery_factor: float = 1.5
    global_backoff_initial: float = 2.0  # global pause after `error_streak_threshold` failures in a row
    global_backoff_max: float = 120.0
    error_streak_threshold: int = 3
    auth_backoff: float = 60.0  # 401/403: every poll would fail the same way
    ledger_check_interval: float = 1.0
    not_found_grace: int = 3  # "not found" answers tolerated for a job never seen yet before it is declared gone
    # A job seen alive is declared gone after this many "not found" answers in a row, over at least this long.
    gone_after_not_found: int = 3
    gone_after_seconds: float = 60.0
    stale_sweep_interval: float = 60.0
    # Ledger writes: answers that arrive while other checks are in flight are written together, in one transaction,
    # once `write_batch` are waiting or the oldest has waited `write_delay` seconds (or nothing is in flight).
    write_batch: int = 64
    write_delay: float = 0.05
    # A ledger that cannot be written (disk full, locked): warn at most every `ledger_warn_interval` seconds; a
    # run_until_done(give_up_on_fatal=True) gives up once writes have failed for `ledger_give_up_after` seconds.
    ledger_warn_interval: float = 60.0
    ledger_give_up_after: float = 300.0


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
