"""Bounded retries with exponential backoff and full jitter, for idempotent requests only (GETs).

The copy POST never goes through :func:`call_with_retries`. Sleeping, randomness and the clock are injectable so
tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from imstui.api.errors import ImstuiError, ThrottledError

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


def is_retryable(error: BaseException) -> bool:
    """Connection errors, timeouts, 5xx and 429 are worth another try; everything else is final."""
    return isinstance(error, ImstuiError) and bool(getattr(error, "retryable", False))


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` tries within ``max_total`` seconds.

    The n-th retry waits ``uniform(0, min(max_delay, base_delay * 2**(n-1)))`` ("full jitter"), or the server's
    ``Retry-After`` when it sent one, or the window of a throttle whose message states one: never earlier than
    asked. If the wait would overrun ``max_total`` the last error is raised at once instead (it still carries
    ``retry_after``/``window`` for the caller): a 5-minute throttle window costs one request, not four.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total: float = 30.0
    sleep: Sleep = field(default=asyncio.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def no_retries(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def backoff(self, retry_number: int) -> float:
        """The jittered wait before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** max(0, retry_number - 1)))
        return max(0.0, self.random() * ceiling)

    def delay_for(self, retry_number: int, error: BaseException) -> float:
        """The wait before retry ``retry_number``: the server's ``Retry-After``, else a throttle window the
        gateway's message states (``ThrottledError.window``: the real gateway sends no ``Retry-After``; waiting
        less than the window only spends more of the same limit), else the jittered backoff. A wait longer than
        ``max_total`` makes :func:`call_with_retries` give up at once, leaving the pause to the caller."""
        retry_after: object = getattr(error, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after >= 0:
            return float(retry_after)
        if isinstance(error, ThrottledError) and error.window is not None:
            return error.window.seconds
        return self.backoff(retry_number)


async def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
) -> T:
    """Run ``attempt`` until it succeeds, fails with a non-retryable error, or the policy's budget is spent."""
    started = policy.clock()
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except ImstuiError as error:
            if not is_retryable(error) or tries >= policy.max_attempts:
                raise
            delay = policy.delay_for(tries, error)
            if policy.clock() - started + delay > policy.max_total:
                raise
            await policy.sleep(delay)
