"""Gateway throttling in virtual time (issue 13): the real gateway answers 429 APIGW.0308 without Retry-After and
states its window only in the message. Requests are counted at the fake server."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from imstui.api.error_parsing import error_from_response
from imstui.api.errors import ThrottledError
from imstui.api.models import JobStatus
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollerStatus, PollSettings
from imstui.core.wording import poller_sentence

REAL_MESSAGE = "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute"


def _gateway_429(message: str = REAL_MESSAGE, **headers: str) -> ThrottledError:
    """What the client raises for the real gateway's answer (parsed by the real error parser)."""
    body = {"error_msg": message, "error_code": "APIGW.0308", "request_id": "rid-429"}
    error = error_from_response(httpx.Response(429, json=body, headers=headers))
    assert isinstance(error, ThrottledError)
    return error


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = Ledger(tmp_path / "jobs.sqlite3")
    yield led
    led.close()


def _submit(ledger: Ledger, clock: Any, *job_ids: str) -> None:
    for job_id in job_ids:
        ledger.import_job(job_id, "default", "ap-southeast-1", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", at=clock.now())


def _poller(api: Any, ledger: Ledger, clock: Any, settings: PollSettings | None = None) -> Poller:
    return Poller(
        api, ledger, profile="default", settings=settings, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
    )


class ThrottlingServer:
    """Answers every job from ``script`` except during [start, start + window): the gateway's 429 then."""

    def __init__(self, jobkit: Any, clock: Any, start: float, window: float, finish: dict[str, float]) -> None:
        self.jobkit, self.clock, self.start, self.window, self.finish = jobkit, clock, start, window, finish

    def answer(self, job_id: str) -> Any:
        t = self.clock.monotonic()
        if self.start <= t < self.start + self.window:
            raise _gateway_429()
        return self.jobkit.job(job_id, "SUCCESS" if t >= self.finish[job_id] else "RUNNING", 0.5)


@pytest.mark.parametrize("starts_after", [0.0, 60.0], ids=["throttled-at-start", "throttled-mid-run"])
async def test_a_five_minute_window_with_50_jobs_costs_at_most_5_requests(
    jobkit: Any, ledger: Ledger, starts_after: float
) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    ids = [f"j{i:02d}" for i in range(50)]
    start = clock.monotonic() + starts_after
    server = ThrottlingServer(jobkit, clock, start, 300.0, {j: start + 100 + i for i, j in enumerate(ids)})
    for job_id in ids:
        api.script(job_id, lambda job_id=job_id: server.answer(job_id))
    _submit(ledger, clock, *ids)
    statuses: list[PollerStatus] = []
    poller = _poller(api, ledger, clock)  # default settings: those of jobs watch and the console
    poller.subscribe(lambda e: statuses.append(e) if isinstance(e, PollerStatus) else None)
    records = await asyncio.wait_for(poller.run_until_done(), timeout=60)
    during = [t for t, _ in api.calls if start <= t < start + 300]
    assert 1 <= len(during) <= 5
    assert len(records) == 50 and all(r.status is JobStatus.SUCCESS for r in records)
    shown = [s.throttle for s in statuses if s.throttle is not None]
    assert shown and shown[0].window is not None and shown[0].window.limit == 200
    assert shown[0].window.seconds == 300 and shown[0].window.policy == "user" and shown[0].retry_after is None
    assert shown[0].budget is not None and shown[0].budget < 1.0  # the budget dropped below the stated 0.67/s
    throttled = next(s for s in statuses if s.throttle is not None)
    assert throttled.throttle is not None
    during_it = throttled.throttle.until - timedelta(seconds=1)
    sentence = poller_sentence(throttled, during_it)  # what jobs watch prints and the status bar shows
    assert sentence.startswith("throttled by the API gateway (user policy: 200 requests / 5 min) \u2014 next poll ")


async def test_retry_after_is_honoured_when_the_gateway_sends_it(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    api.script("a", _gateway_429(**{"Retry-After": "42"}), jobkit.job("a", "SUCCESS"))
    _submit(ledger, clock, "a")
    await asyncio.wait_for(_poller(api, ledger, clock).run_until_done(), timeout=30)
    first, second = api.calls_for("a")
    assert 42 <= second - first <= 42 * 1.1 + 1  # as asked, not the 5-minute window of the message


async def test_without_a_window_the_pause_doubles_from_one_minute(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    bare = _gateway_429("The throttling threshold has been reached")
    assert bare.window is None and bare.retry_after is None
    api.script("a", bare, bare, bare, jobkit.job("a", "SUCCESS"))
    _submit(ledger, clock, "a")
    await asyncio.wait_for(_poller(api, ledger, clock, PollSettings(jitter=0)).run_until_done(), timeout=30)
    gaps = [b - a for a, b in itertools.pairwise(api.calls_for("a"))]
    assert [round(g) for g in gaps] == [60, 120, 240]


async def test_poll_now_during_a_throttle_says_when_it_will_poll(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    api.script("a", _gateway_429(), jobkit.job("a", "SUCCESS"))
    _submit(ledger, clock, "a")
    poller = _poller(api, ledger, clock)
    task = asyncio.create_task(poller.run())
    for _ in range(10_000):
        if poller.status().throttle is not None:
            break
        await asyncio.sleep(0)
    throttle = poller.status().throttle
    assert throttle is not None
    answer = poller.poll_now()
    assert answer.jobs == 1 and answer.not_before == throttle.until
    assert (throttle.until - clock.now()).total_seconds() == pytest.approx(300, abs=1)
    await asyncio.wait_for(poller.run_until_done(), timeout=30)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    assert len(api.calls) == 2 and api.calls[1][0] - api.calls[0][0] >= 300
