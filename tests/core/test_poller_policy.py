"""The poller's decisions as pure functions, without the loop: intervals, backoff, throttle pauses, budgets."""

from __future__ import annotations

import random

import pytest

from imstui.api.errors import (
    AuthenticationError,
    HttpError,
    ImsServiceError,
    JobNotFoundError,
    ProtocolError,
    RequestTimeoutError,
    ThrottledError,
    ThrottleWindow,
)
from imstui.core.poller import PollSettings, is_fatal
from imstui.core.poller.policy import (
    ErrorKind,
    classify,
    error_delay,
    grown_interval,
    jittered,
    progress_delay,
    recovered_rate,
    streak_pause,
    throttle_pause,
    throttled_rate,
)

S = PollSettings()
FIVE_MINUTES = ThrottleWindow(seconds=300, limit=200, policy="user")


def test_which_errors_are_fatal_and_how_each_is_treated() -> None:
    throttled = ThrottledError(429, "APIGW.0308", "slow down")
    denied = AuthenticationError(403, "APIGW.0302", "no")
    assert classify(throttled) is ErrorKind.THROTTLE and classify(HttpError(429, "429", "x")) is ErrorKind.THROTTLE
    assert classify(denied) is ErrorKind.AUTH
    assert classify(HttpError(503, "503", "busy")) is ErrorKind.TRANSIENT
    assert (
        classify(RequestTimeoutError("t")) is ErrorKind.TRANSIENT
        and classify(ProtocolError("p")) is ErrorKind.TRANSIENT
    )
    assert classify(ImsServiceError(400, "IMG.0023", "query failed")) is ErrorKind.OTHER
    assert is_fatal(denied) and is_fatal(ImsServiceError(400, "IMG.0001", "bad"))
    assert not is_fatal(throttled) and not is_fatal(HttpError(503, "503", "x")) and not is_fatal(JobNotFoundError("j"))


def test_intervals_grow_to_the_cap_and_errors_double_to_theirs() -> None:
    steps = [S.initial_interval]
    for _ in range(8):
        steps.append(grown_interval(steps[-1], S))
    assert steps[:4] == [3.0, 4.5, 6.75, 10.125] and steps[-1] == S.max_interval
    assert [error_delay(n, S) for n in (1, 2, 3, 10, 1000)] == [5.0, 10.0, 20.0, 120.0, 120.0]
    assert streak_pause(2, S) is None and streak_pause(3, S) == 2.0 and streak_pause(4, S) == 4.0
    assert streak_pause(10_000, S) == S.global_backoff_max


def test_progress_trend_polls_sooner_near_the_end_but_not_below_the_floor() -> None:
    delay, trend = progress_delay(30.0, None, 0.5, 100.0, S)
    assert delay == 30.0 and trend == (100.0, 0.5)
    delay, trend = progress_delay(30.0, trend, 0.9, 110.0, S)  # 4 %/s: done in 2.5 s
    assert delay == pytest.approx(3.0) and trend == (110.0, 0.9)
    assert progress_delay(30.0, (100.0, 0.5), 0.999, 101.0, S)[0] == S.min_interval
    assert progress_delay(30.0, (100.0, 0.5), None, 101.0, S) == (30.0, (100.0, 0.5))


def test_throttle_pause_retry_after_then_window_then_doubling_from_a_minute() -> None:
    assert throttle_pause(42.0, FIVE_MINUTES, 1, S) == 42.0  # Retry-After, when sent, is what the server asked
    assert [throttle_pause(None, None, n, S) for n in range(1, 7)] == [60, 120, 240, 480, 960, 960]
    assert [throttle_pause(None, FIVE_MINUTES, n, S) for n in (1, 2, 3, 4)] == [300, 300, 300, 480]
    assert throttle_pause(10**9, None, 1, S) == 3600  # never more than an hour on a server's word


def test_budget_drops_after_a_throttle_and_recovers_slowly() -> None:
    assert throttled_rate(10.0, FIVE_MINUTES, S) == pytest.approx(0.5 * 200 / 300)
    assert throttled_rate(10.0, None, S) == 5.0 and throttled_rate(None, None, S) == 1.0
    assert throttled_rate(0.01, FIVE_MINUTES, S) == S.throttle_min_rate  # never below the floor
    rate: float | None = throttled_rate(10.0, FIVE_MINUTES, S)
    steps = 0
    while rate is not None and rate < 10.0:
        rate = recovered_rate(rate, 10.0, S)
        steps += 1
    assert rate == 10.0 and steps == 9  # nine quiet minutes (x1.5 each) back to the configured 10/s
    assert recovered_rate(80.0, None, S) is None  # no budget configured: unlimited again


def test_jitter_stays_in_its_band() -> None:
    rng = random.Random(7)
    values = [jittered(10.0, 0.1, rng) for _ in range(500)]
    assert all(9.0 <= v <= 11.0 for v in values) and len(set(values)) > 400
    assert jittered(10.0, 0.0, rng) == 10.0


def test_token_bucket_starts_with_one_token_fills_and_drops_to_one_after_a_throttle() -> None:
    from imstui.core.poller.schedule import TokenBucket

    bucket = TokenBucket(PollSettings(rate_per_second=10.0, burst=10))
    assert bucket.take(0.0) == 0.0 and bucket.take(0.0) == pytest.approx(0.1)  # no burst before a first answer
    assert all(bucket.take(2.0) == 0.0 for _ in range(10)) and bucket.take(2.0) > 0  # full after a quiet second
    bucket.throttled(2.0, FIVE_MINUTES, resume_at=302.0)  # polls pause until 302
    assert bucket.rate == pytest.approx(1 / 3) and bucket.reduced
    assert bucket.take(302.0) == 0.0 and bucket.take(302.0) == pytest.approx(3.0)  # one at a time, 1 per 3 s
    bucket.take(302.0 + 60 * 8)
    assert bucket.reduced  # recovering slowly: still below the budget eight minutes after the pause
    bucket.take(302.0 + 60 * 9)  # nine quiet minutes after the pause: the configured budget again
    assert bucket.rate == 10.0 and not bucket.reduced


def test_an_unlimited_budget_gets_one_after_a_throttle_and_loses_it_again() -> None:
    from imstui.core.poller.schedule import TokenBucket

    bucket = TokenBucket(PollSettings(rate_per_second=None))
    assert all(bucket.take(0.0) == 0.0 for _ in range(100))
    bucket.throttled(0.0, None, resume_at=60.0)
    assert bucket.rate == 1.0 and bucket.take(1.0) == 0.0 and bucket.take(1.0) > 0
    bucket.take(60.0 * 20)
    assert bucket.rate is None and bucket.take(1300.0) == 0.0 and bucket.take(1300.0) == 0.0
