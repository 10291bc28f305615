"""The poller's request budget as an object other senders can draw from (:class:`RequestBudget`).

IMS's API gateway counts every request of an account against one limit, so a batch submission running next to the
poller must not add its own budget on top: ``Poller.budget`` is the very token bucket the poller's status checks
take from (``PollSettings.rate_per_second`` / ``burst``), on the poller's clock, including what a throttle did to
it (a gateway 429 met by the poller lowers the rate for everyone drawing from it, and pauses the poller until
:meth:`RequestBudget.throttled_for` is 0).

Use, from the same event loop as the poller::

    budget = poller.budget
    await budget.acquire()          # waits for a token (and for a throttle pause to end), then takes it
    if budget.try_take(): ...       # a token now, or False without waiting
    wait = budget.take()            # 0.0: taken; > 0: seconds until one may be (nothing taken), like TokenBucket.take

A budget with no rate (``rate_per_second=None``, the benchmarks and the simulator) always grants at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from imstui.core.poller.pacing import Pacer

__all__ = ["RequestBudget"]


class RequestBudget:
    """A view of a poller's :class:`~imstui.core.poller.pacing.Pacer`: its token bucket and its throttle pause."""

    __slots__ = ("_clock", "_pacer", "_sleep")

    def __init__(self, pacer: Pacer, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        self._pacer = pacer
        self._clock = clock
        self._sleep = sleep

    @property
    def rate(self) -> float | None:
        """Requests per second allowed now (``None``: no limit); lower than configured after a throttle."""
        return self._pacer.bucket.rate

    def take(self, now: float | None = None) -> float:
        """Take a token and return 0.0, or return the seconds until one may be taken (nothing is taken then).
        ``now`` is a time of the poller's clock (default: now)."""
        return self._pacer.bucket.take(self._clock() if now is None else now)

    def try_take(self) -> bool:
        """Take a token if one is there now; never waits."""
        return self.take() <= 0.0

    def throttled_for(self) -> float:
        """Seconds until the pause after a gateway throttle ends (0.0: no throttle pause)."""
        return max(0.0, self._pacer.throttle.until - self._clock())

    async def acquire(self) -> None:
        """Wait until the throttle pause (if any) is over and a token is there, then take it."""
        while True:
            hold = self.throttled_for()
            if hold > 0:
                await self._sleep(hold)
                continue
            wait = self.take()
            if wait <= 0:
                return
            await self._sleep(wait)
