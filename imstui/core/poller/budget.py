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

A sender that meets a throttle reports it, so the rate drops for everyone drawing from the budget (the poller
reports its own 429s through its pacer)::

    seen = budget.reactions                        # when the request is sent
    budget.throttled(error, seen=seen, pause=p)   # its answer was a 429 (gateway) or IMG.0060 (IMS flow control)

It lowers the rate (``policy.throttled_rate``: a share of a stated limit, else half) and shrinks the burst to one;
the rate grows back a step every ``throttle_recovery_interval`` without a throttle after the pause, up to the
configured budget (:class:`~imstui.core.poller.schedule.TokenBucket`). A gateway 429 also pauses every request drawing
from it (the poller's status checks too) for ``pause`` and makes the poller's next check go alone; IMS flow control
(IMG.0060, a copy-only limit) lowers the rate but does not pause the status checks. The answer to a request sent
before the last reaction (``seen``: :attr:`RequestBudget.reactions` when it was sent) is already covered by it and
changes nothing, so N copies refused together lower the rate once, not N times; the poller's own reactions to a
429 count too (a POST sent before the poller reacted does not lower the rate again).

:meth:`RequestBudget.standalone` is a budget of its own for a sender without a poller (a batch submission with no
poller running): the same rules on its own bucket.

A budget with no rate (``rate_per_second=None``, the benchmarks and the simulator) always grants at once, until a
throttle gives it one (1 request/s, or a share of the stated limit), which then recovers to no limit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

from imstui.api.errors import ImstuiError
from imstui.api.sanitize import sanitize
from imstui.core.poller import policy
from imstui.core.poller.pacing import Pacer
from imstui.core.poller.policy import ErrorKind
from imstui.core.poller.settings import PollSettings

log = logging.getLogger("imstui.core.poller")

__all__ = ["RequestBudget"]


class RequestBudget:
    """A view of a poller's :class:`~imstui.core.poller.pacing.Pacer`: its token bucket and its throttle pause."""

    __slots__ = ("_clock", "_count", "_pacer", "_sleep")

    def __init__(self, pacer: Pacer, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        self._pacer = pacer
        self._clock = clock
        self._sleep = sleep
        self._count = 0  # throttles reported through :meth:`throttled` that lowered the budget

    @classmethod
    def standalone(
        cls, settings: PollSettings, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> RequestBudget:
        """A budget of its own (no poller draws from it): ``settings.rate_per_second`` / ``burst``."""
        return cls(Pacer(settings, random.Random()), clock, sleep)

    @property
    def reactions(self) -> tuple[int, int]:
        """A mark of the throttle reactions so far (this budget's and the poller's): take it when a request is
        sent, give it to :meth:`throttled` with the answer. It only changes when the budget reacts."""
        return (self._count, self._pacer.throttle.reacted_seq)

    @property
    def configured_rate(self) -> float | None:
        """The rate the budget returns to once recovered (``None``: no limit)."""
        return self._pacer.bucket.configured

    @property
    def reduced(self) -> bool:
        """True while a throttle's lowered rate has not fully recovered."""
        return self._pacer.bucket.reduced

    def throttled(self, error: ImstuiError, *, seen: tuple[int, int] | None = None, pause: float | None = None) -> bool:
        """A request that drew from this budget was refused with "slow down": a gateway throttle (429) or IMS
        flow control (IMG.0060, nothing created). Lower the rate for every sender (see the module docstring);
        a 429 also pauses them all for ``pause`` seconds (default: ``policy.throttle_pause``). ``seen``:
        :attr:`reactions` when the refused request was sent; one sent before the last reaction changes nothing.
        Returns True when the budget reacted."""
        now = self._clock()
        if seen is not None and seen != self.reactions:
            return False  # a reaction since the request was sent covers its answer
        pacer, settings = self._pacer, self._pacer.settings
        episode = pacer.throttle
        gateway = policy.classify(error) is ErrorKind.THROTTLE
        window = policy.window_of(error)
        if pause is None:
            pause = policy.throttle_pause(policy.retry_after_of(error), window, episode.streak + 1, settings)
        resume_at = now + max(0.0, pause)
        if gateway:  # the account's every request is refused for now: the status checks pause too
            episode.streak += 1
            episode.reacted_seq = pacer.sent  # the poller's checks already in flight: covered by this reaction
            episode.window = window
            episode.retry_after = policy.retry_after_of(error)
            episode.until = max(episode.until, resume_at)
            pacer.probe = True
        before = pacer.bucket.rate
        pacer.bucket.throttled(now, window, resume_at=resume_at)
        self._count += 1
        log.warning(
            "%s (%s): request budget %s -> %.2f/s",
            "throttled by the API gateway" if gateway else "IMS flow control",
            sanitize(str(error))[:200],
            "unlimited" if before is None else f"{before:.2f}/s",
            pacer.bucket.rate or 0.0,
        )
        return True

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
