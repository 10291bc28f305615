"""``Poller.budget``: the poller's own token bucket, shared with other senders of the account (issue 14: a batch
submission paced by the same request budget as the poller). Virtual time: no wall-clock assertions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from imstui.api.error_parsing import error_from_response
from imstui.api.errors import ThrottledError
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings

PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ONE_PER_SECOND = PollSettings(first_delay=0, jitter=0.0, rate_per_second=1.0, burst=1)


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = Ledger(tmp_path / "jobs.sqlite3")
    yield led
    led.close()


def _poller(api: Any, ledger: Ledger, clock: Any, settings: PollSettings) -> Poller:
    return Poller(
        api, ledger, profile="default", settings=settings, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
    )


def _import(ledger: Ledger, clock: Any, *job_ids: str) -> None:
    for job_id in job_ids:
        ledger.import_job(job_id, "default", "ap-southeast-1", PROJECT, at=clock.now())


async def test_a_token_taken_by_another_sender_delays_the_pollers_next_check(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "SUCCESS"))
    _import(ledger, clock, "j1")
    poller = _poller(api, ledger, clock, ONE_PER_SECOND)
    start = clock.monotonic()
    assert poller.budget.try_take()  # the one token the bucket starts with
    assert not poller.budget.try_take()  # the budget is shared: nothing left for a second sender this second
    await asyncio.wait_for(poller.run_until_done(), timeout=30)
    # Without the token taken above the check would have gone at `start`; it waited for the refill instead.
    assert api.calls_for("j1") == [pytest.approx(start + 1.0)]


async def test_checks_of_the_poller_use_up_what_other_senders_may_take(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "SUCCESS"))
    _import(ledger, clock, "j1")
    poller = _poller(api, ledger, clock, ONE_PER_SECOND)
    await asyncio.wait_for(poller.run_until_done(), timeout=30)
    assert len(api.calls) == 1
    wait = poller.budget.take()
    assert wait == pytest.approx(1.0)  # the poller's check took the token: a submission waits for the next one
    before = clock.monotonic()
    await poller.budget.acquire()
    assert clock.monotonic() - before == pytest.approx(1.0)
    assert not poller.budget.try_take()  # acquire took the refilled token


async def test_without_a_rate_the_budget_always_grants(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    poller = _poller(jobkit.FakeApi(clock), ledger, clock, PollSettings(rate_per_second=None))
    assert poller.budget.rate is None
    assert all(poller.budget.try_take() for _ in range(1000))
    await poller.budget.acquire()
    assert clock.sleeps == []


async def test_a_throttle_met_by_the_poller_pauses_and_slows_every_sender(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    body = {"error_msg": "throttled", "error_code": "APIGW.0308", "request_id": "rid-429"}
    throttle = error_from_response(httpx.Response(429, json=body, headers={"Retry-After": "30"}))
    assert isinstance(throttle, ThrottledError)
    api.script("j1", throttle, jobkit.job("j1", "SUCCESS"))
    _import(ledger, clock, "j1")
    settings = PollSettings(first_delay=0, jitter=0.0, rate_per_second=10.0, burst=10)
    poller = _poller(api, ledger, clock, settings)
    seen: list[tuple[float, float | None]] = []

    def on_event(_: object) -> None:
        if not seen and poller.budget.throttled_for() > 0:
            seen.append((poller.budget.throttled_for(), poller.budget.rate))

    poller.subscribe(on_event)
    await asyncio.wait_for(poller.run_until_done(), timeout=30)
    [(paused_for, rate)] = seen
    assert paused_for == pytest.approx(30.0)  # Retry-After, for every sender drawing from the budget
    assert rate is not None and rate < 10.0  # the rate dropped after the throttle
