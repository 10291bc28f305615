"""The poller's decisions as pure functions (no loop, no clock, no I/O): how long until a job is asked again,
how an error is treated, how long a throttle pauses every poll, how the request budget adapts.

Unit-tested on their own (tests/core/test_poller_policy.py); the loop only applies what they return.
"""

from __future__ import annotations

import math
import random
from enum import Enum

from imstui.api.errors import (
    ApiError,
    AuthenticationError,
    ImstuiError,
    ProtocolError,
    ThrottledError,
    ThrottleWindow,
    TransportError,
)
from imstui.core.poller.settings import PollSettings

MAX_PAUSE = 3600.0  # no server-given pause is followed beyond an hour


class ErrorKind(Enum):
    THROTTLE = "throttle"  # 429: every poll of the endpoint pauses
    AUTH = "auth"  # 401/403: every poll would fail the same way
    TRANSIENT = "transient"  # 5xx, timeouts, resets, garbled answers: counts towards the global error streak
    OTHER = "other"  # anything else: this job backs off on its own


def classify(error: ImstuiError) -> ErrorKind:
    if isinstance(error, ThrottledError) or (isinstance(error, ApiError) and error.status == 429):
        return ErrorKind.THROTTLE
    if isinstance(error, AuthenticationError):
        return ErrorKind.AUTH
    if isinstance(error, (TransportError, ProtocolError)) or (isinstance(error, ApiError) and error.retryable):
        return ErrorKind.TRANSIENT
    return ErrorKind.OTHER


def is_fatal(error: ImstuiError) -> bool:
    """An answer that will not change by asking again: bad credentials or permissions, a refused request."""
    if isinstance(error, AuthenticationError):
        return True
    if isinstance(error, ApiError) and not isinstance(error, ThrottledError):
        return 400 <= error.status < 500 and error.status not in (404, 408, 409, 425, 429)
    return False


def retry_after_of(error: ImstuiError) -> float | None:
    """The server's ``Retry-After`` (seconds, > 0) carried by ``error``, if any."""
    value = error.retry_after if isinstance(error, ApiError) else None
    return value if value is not None and value > 0 and math.isfinite(value) else None


def window_of(error: ImstuiError) -> ThrottleWindow | None:
    return error.window if isinstance(error, ThrottledError) else None


def grown_interval(interval: float, settings: PollSettings) -> float:
    """The interval after a good answer: ``backoff_factor`` times longer, within [initial, max]."""
    return min(settings.max_interval, max(settings.initial_interval, interval * settings.backoff_factor))


Trend = tuple[float, float]  # (clock time, progress) of the last progress sample


def progress_delay(
    delay: float, trend: Trend | None, progress: float | None, now: float, settings: PollSettings
) -> tuple[float, Trend | None]:
    """Poll sooner than ``delay`` when the progress trend says the job finishes earlier (never below
    ``min_interval``); returns the delay and the trend to keep."""
    if progress is None:
        return delay, trend
    if trend is not None and progress > trend[1] and now > trend[0]:
        speed = (progress - trend[1]) / (now - trend[0])
        eta = (1.0 - progress) / speed
        delay = min(delay, max(settings.min_interval, eta + 0.5))
    if trend is None or progress != trend[1]:
        trend = (now, progress)
    return delay, trend


def error_delay(errors: int, settings: PollSettings) -> float:
    """This job's delay after its ``errors``-th failed poll in a row: doubling from ``error_initial``."""
    return min(settings.error_max, settings.error_initial * 2.0 ** min(max(0, errors - 1), 32))


def streak_pause(streak: int, settings: PollSettings) -> float | None:
    """The global pause after ``streak`` transient failures in a row (None below the threshold)."""
    if streak < settings.error_streak_threshold:
        return None
    steps = streak - settings.error_streak_threshold
    return min(settings.global_backoff_max, settings.global_backoff_initial * 2.0 ** min(steps, 16))


def throttle_pause(
    retry_after: float | None, window: ThrottleWindow | None, streak: int, settings: PollSettings
) -> float:
    """How long every poll pauses after the ``streak``-th throttle in a row.

    ``Retry-After`` is honoured as sent. Without it, the pause doubles from ``throttle_initial`` (1, 2, 4...
    minutes) up to ``throttle_max``, and is never shorter than a window the message states (asking before the
    window can have passed only spends more of the same limit)."""
    if retry_after is not None and retry_after > 0:
        return min(retry_after, MAX_PAUSE)
    pause = min(settings.throttle_max, settings.throttle_initial * 2.0 ** min(max(0, streak - 1), 16))
    if window is not None:
        pause = max(pause, window.seconds)
    return min(pause, MAX_PAUSE)


def throttled_rate(current: float | None, window: ThrottleWindow | None, settings: PollSettings) -> float:
    """The request budget (requests per second) after a throttle: a share of the stated limit, or half the
    current budget (1/s when there was none), never more than before and never below ``throttle_min_rate``."""
    if window is not None and window.limit is not None:
        rate = settings.throttle_rate_share * window.limit / window.seconds
    elif current is not None:
        rate = current / 2
    else:
        rate = 1.0
    if current is not None:
        rate = min(rate, current)
    return max(settings.throttle_min_rate, rate)


def recovered_rate(current: float, configured: float | None, settings: PollSettings) -> float | None:
    """One recovery step of a lowered budget: ``throttle_recovery_factor`` times more, up to the configured
    budget (``None``, unlimited, once it passes 100 requests per second)."""
    rate = current * settings.throttle_recovery_factor
    if configured is not None:
        return min(rate, configured)
    return None if rate >= 100.0 else rate


def jittered(delay: float, jitter: float, rng: random.Random) -> float:
    if jitter <= 0 or delay <= 0:
        return delay
    return delay * rng.uniform(1 - jitter, 1 + jitter)
