"""The in-flight limit is used, not just respected: with many jobs due and a service that takes its time, the poller
keeps ``max_concurrency`` status checks outstanding at every moment (issue 15: with 20 ms of service latency the
poller reached 56 % of what its limit allows). No timing: the fake service holds every request until the test
answers it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from imstui.api.errors import ThrottledError
from imstui.api.models import Job
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings

REGION = "ap-southeast-1"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
# Every job always due (intervals 0), no request budget: only the in-flight limit holds the poller back.
EAGER = PollSettings(
    first_delay=0, initial_interval=0, max_interval=0, min_interval=0, jitter=0, rate_per_second=None, max_concurrency=4
)


class HeldService:
    """An ``ImsApi`` whose status checks wait until the test answers them (the service's latency, under the test's
    control). ``lowest_seen``: the fewest checks outstanding any other task saw while jobs were waiting to be asked."""

    def __init__(self, jobkit: Any) -> None:
        self.jobkit = jobkit
        self.waiting: dict[str, asyncio.Future[Job]] = {}
        self.asked: list[str] = []
        self.most = 0

    @property
    def region(self) -> str:
        return REGION

    @property
    def project_id(self) -> str:
        return PROJECT

    async def ensure_project_id(self) -> str:
        return PROJECT

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        assert job_id not in self.waiting, "a job asked again before its answer came"
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self.waiting[job_id] = future
        self.asked.append(job_id)
        self.most = max(self.most, len(self.waiting))
        try:
            return await future
        finally:
            self.waiting.pop(job_id, None)

    def answer(self, job_id: str, status: str = "RUNNING", error: BaseException | None = None) -> None:
        future = self.waiting[job_id]
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(self.jobkit.job(job_id, status, 0.5))

    async def aclose(self) -> None:
        return None


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = Ledger(tmp_path / "jobs.sqlite3")
    yield led
    led.close()


def _jobs(ledger: Ledger, clock: Any, count: int) -> list[str]:
    ids = [f"{i:032x}" for i in range(1, count + 1)]
    for job_id in ids:
        ledger.import_job(job_id, "default", REGION, PROJECT, at=clock.now())
    return ids


def _poller(api: Any, ledger: Ledger, clock: Any, settings: PollSettings = EAGER) -> Poller:
    return Poller(
        api, ledger, profile="default", settings=settings, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
    )


async def _until(condition: Any) -> None:
    for _ in range(100_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def _turns(count: int = 200) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_n_jobs_due_limit_l_puts_l_checks_outstanding_at_once(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = HeldService(jobkit)
    ids = _jobs(ledger, clock, 12)
    poller = _poller(api, ledger, clock)
    task = asyncio.create_task(poller.run())
    rounds: list[list[str]] = []
    try:
        for round_number in range(1, 4):
            await _until(lambda: len(api.waiting) == 4)
            await _turns()  # nothing more goes out while the four are outstanding
            assert len(api.waiting) == 4 and len(api.asked) == 4 * round_number
            held = list(api.waiting)
            rounds.append(held)
            for job_id in held:  # the four answers come together, as with one latency for all
                api.answer(job_id)
            await _until(lambda held=held: not set(held) & set(api.waiting))
    finally:
        poller.stop()
        await task
    assert [len(r) for r in rounds] == [4, 4, 4]
    assert sorted(job_id for r in rounds for job_id in r) == ids  # each due job asked once, 4 at a time
    assert api.most == 4


async def test_an_answer_frees_its_place_for_the_next_job_before_anything_else_runs(
    jobkit: Any, ledger: Ledger
) -> None:
    """The place is taken again in the step that read the answer: no other task ever sees fewer than the limit
    outstanding while jobs wait to be asked (before, the place stood empty until the loop came round)."""
    clock = jobkit.FakeClock()
    api = HeldService(jobkit)
    ids = _jobs(ledger, clock, 20)
    poller = _poller(api, ledger, clock)
    task = asyncio.create_task(poller.run())
    seen: list[int] = []
    try:
        await _until(lambda: len(api.waiting) == 4)
        while len(api.asked) < len(ids):
            answered = len(api.asked)
            api.answer(next(iter(api.waiting)))  # one answer at a time
            while len(api.asked) == answered:
                await asyncio.sleep(0)
                seen.append(len(api.waiting))
    finally:
        poller.stop()
        await task
    assert seen and min(seen) == 4 and api.most == 4


async def test_the_limit_holds_when_answers_come_one_after_another(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    api = HeldService(jobkit)
    _jobs(ledger, clock, 30)
    poller = _poller(api, ledger, clock, PollSettings(**{**EAGER.__dict__, "max_concurrency": 3}))
    task = asyncio.create_task(poller.run())
    try:
        for _ in range(40):  # more answers than jobs: answered jobs are asked again once written
            await _until(lambda: len(api.waiting) == 3)
            job_id = next(iter(api.waiting))
            api.answer(job_id)
            await _until(lambda job_id=job_id: job_id not in api.waiting)
        await _until(lambda: len(api.waiting) == 3)
        await _turns()
        assert len(api.waiting) == 3
    finally:
        poller.stop()
        await task
    assert api.most == 3 and poller.checks >= 40


class StoppedClock:
    """Time that does not move: a sleep never ends, so the poller acts only on what it is told (answers)."""

    def __init__(self, jobkit: Any) -> None:
        self._inner = jobkit.FakeClock()

    def monotonic(self) -> float:
        return float(self._inner.monotonic())

    def now(self) -> Any:
        return self._inner.now()

    async def sleep(self, delay: float) -> None:
        await asyncio.get_running_loop().create_future()


async def test_a_throttle_answer_holds_every_other_check_from_the_moment_it_is_read(
    jobkit: Any, ledger: Ledger
) -> None:
    """While other checks are still outstanding, a 429 stops the poller from sending more at once: its pause holds
    from the step that read it (not after the batched write, ``write_delay`` later), so the answers of the checks
    sent before it do not send new ones either."""
    clock = StoppedClock(jobkit)
    api = HeldService(jobkit)
    _jobs(ledger, clock, 10)
    poller = _poller(api, ledger, clock)
    task = asyncio.create_task(poller.run())
    try:
        await _until(lambda: len(api.waiting) == 4)
        first, *others = list(api.waiting)
        api.answer(first, error=ThrottledError(429, "APIGW.0308", "The throttling threshold has been reached"))
        await _until(lambda: first not in api.waiting)
        assert poller.status().throttle is not None
        for job_id in others:
            api.answer(job_id)
        await _until(lambda: not api.waiting)
        await _turns()
        assert len(api.asked) == 4  # nothing sent into the throttle
    finally:
        poller.stop()
        await task
