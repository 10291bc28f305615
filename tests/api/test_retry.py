"""Retry policy: bounded attempts and time, full jitter, Retry-After, and no retry for final errors."""

from __future__ import annotations

import pytest
from ims_fake_server import FakeSleep

from imstui.api.errors import ConnectError, HttpError, ImsServiceError, ThrottledError
from imstui.api.retry import RetryPolicy, call_with_retries, is_retryable


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_transient_errors_are_retried_with_exponential_ceilings() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(sleep=sleep, random=lambda: 1.0)
    attempt = Flaky(ConnectError("refused"), HttpError(503, "503", "busy"), HttpError(500, "500", "boom"))
    assert await call_with_retries(policy, attempt) == "ok"
    assert attempt.calls == 4 and sleep.calls == [0.5, 1.0, 2.0]


async def test_full_jitter_draws_between_zero_and_the_ceiling() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(sleep=sleep, random=lambda: 0.25)
    await call_with_retries(policy, Flaky(ConnectError("x"), ConnectError("y")))
    assert sleep.calls == [0.125, 0.25]


def test_backoff_is_capped_by_max_delay() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert policy.backoff(10) == 8.0


async def test_attempts_are_bounded() -> None:
    sleep = FakeSleep()
    attempt = Flaky(*[HttpError(503, "503", "busy") for _ in range(10)])
    with pytest.raises(HttpError):
        await call_with_retries(RetryPolicy(sleep=sleep), attempt)
    assert attempt.calls == 4 and len(sleep.calls) == 3


async def test_retry_after_is_honoured() -> None:
    sleep = FakeSleep()
    attempt = Flaky(ThrottledError(429, "APIGW.0308", "slow down", retry_after=4.0))
    await call_with_retries(RetryPolicy(sleep=sleep), attempt)
    assert sleep.calls == [4.0]


async def test_total_time_is_bounded_even_when_the_server_asks_for_longer() -> None:
    sleep = FakeSleep()
    attempt = Flaky(ThrottledError(429, "APIGW.0308", "slow down", retry_after=120.0))
    with pytest.raises(ThrottledError) as info:
        await call_with_retries(RetryPolicy(sleep=sleep, max_total=30.0), attempt)
    assert info.value.retry_after == 120.0 and sleep.calls == [] and attempt.calls == 1


async def test_elapsed_time_counts_against_the_budget() -> None:
    now = [0.0]
    sleep = FakeSleep()
    attempt = Flaky(HttpError(503, "503", "a"), HttpError(503, "503", "b"))

    async def slow_sleep(seconds: float) -> None:
        await sleep(seconds)
        now[0] += 29.5

    policy = RetryPolicy(sleep=slow_sleep, clock=lambda: now[0], random=lambda: 1.0, max_total=30.0)
    with pytest.raises(HttpError) as info:
        await call_with_retries(policy, attempt)
    assert info.value.message == "b" and len(sleep.calls) == 1


async def test_final_errors_are_not_retried() -> None:
    sleep = FakeSleep()
    attempt = Flaky(ImsServiceError(400, "IMG.0003", "bad name"))
    with pytest.raises(ImsServiceError):
        await call_with_retries(RetryPolicy(sleep=sleep), attempt)
    assert attempt.calls == 1 and sleep.calls == []


def test_what_counts_as_retryable() -> None:
    assert is_retryable(ConnectError("x"))
    assert is_retryable(HttpError(502, "502", "x"))
    assert is_retryable(ThrottledError(429, "APIGW.0308", "x"))
    assert not is_retryable(ImsServiceError(400, "IMG.0001", "x"))
    assert not is_retryable(ValueError("x"))


async def test_a_throttle_window_longer_than_the_budget_gives_up_at_once() -> None:
    from imstui.api.errors import ThrottleWindow

    sleep = FakeSleep()
    window = ThrottleWindow(seconds=300, limit=200, policy="user")
    attempt = Flaky(ThrottledError(429, "APIGW.0308", "over ratelimit", window=window))
    with pytest.raises(ThrottledError) as info:
        await call_with_retries(RetryPolicy(sleep=sleep, max_total=30.0), attempt)
    assert attempt.calls == 1 and sleep.calls == [] and info.value.window == window  # the caller pauses


async def test_a_short_throttle_window_is_waited_out_within_the_budget() -> None:
    from imstui.api.errors import ThrottleWindow

    sleep = FakeSleep()
    window = ThrottleWindow(seconds=1, limit=50, policy="api")
    attempt = Flaky(ThrottledError(429, "APIGW.0308", "over ratelimit", window=window))
    assert await call_with_retries(RetryPolicy(sleep=sleep, random=lambda: 0.0), attempt) == "ok"
    assert sleep.calls == [1.0]  # the window, not a near-zero jittered backoff
