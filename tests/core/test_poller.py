"""The poller against a scripted fake API in virtual time (no wall-clock assertions)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from imstui.api.errors import (
    HttpError,
    ImstuiError,
    JobNotFoundError,
    ProtocolError,
    RequestTimeoutError,
    ThrottledError,
    TransportError,
)
from imstui.api.models import JobStatus
from imstui.core.ledger import Ledger
from imstui.core.poller import JobChanged, Poller, PollerStatus, PollFailed, PollSettings

QUIET = PollSettings(jitter=0.0, rate_per_second=None)


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = Ledger(tmp_path / "jobs.sqlite3")
    yield led
    led.close()


@pytest.fixture
def clock(jobkit: Any) -> Any:
    return jobkit.FakeClock()


def _submit(ledger: Ledger, clock: Any, job_id: str, *, profile: str = "default", region: str | None = None) -> int:
    row = ledger.record_intent(
        profile=profile,
        region=region or "ap-southeast-1",
        project_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        source_image_id="src",
        source_image_name="base",
        name=f"copy-{job_id}",
        submitted_at=clock.now(),
    )
    ledger.attach_job_id(row, job_id)
    return row


def _poller(api: Any, ledger: Ledger, clock: Any, settings: PollSettings = QUIET, **kw: Any) -> Poller:
    return Poller(
        api, ledger, profile="default", settings=settings, clock=clock.monotonic, sleep=clock.sleep, now=clock.now, **kw
    )


async def _until(condition: Any) -> None:
    for _ in range(100_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def _never() -> Any:
    raise AssertionError("row vanished")


async def _run(poller: Poller, *job_ids: str) -> list[Any]:
    return await asyncio.wait_for(poller.run_until_done(list(job_ids) or None), timeout=30)


async def test_follows_a_job_to_success_and_stops_polling_it(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "INIT"), jobkit.job("j1", "RUNNING", 0.5), jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    events: list[Any] = []
    poller = _poller(api, ledger, clock)
    poller.subscribe(events.append)
    [final] = await _run(poller)
    assert final.status is JobStatus.SUCCESS and final.new_image_id == "new-j1" and final.poll_count == 3
    assert len(api.calls) == 3  # not polled again once terminal
    assert api.retry_flags == [False, False, False]  # the poller does its own backoff
    changes = [e for e in events if isinstance(e, JobChanged)]
    assert [c.record.status for c in changes] == [JobStatus.INIT, JobStatus.RUNNING, JobStatus.SUCCESS]
    assert changes[-1].previous is not None and changes[-1].previous.status is JobStatus.RUNNING
    statuses = [e for e in events if isinstance(e, PollerStatus)]
    assert statuses[0].running and statuses[-1].outstanding == 0 and not statuses[-1].running


async def test_first_poll_soon_then_backing_off_to_the_cap(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", *([jobkit.job("j1", "RUNNING")] * 9), jobkit.job("j1", "SUCCESS"))
    start = clock.monotonic()
    _submit(ledger, clock, "j1")
    settings = PollSettings(first_delay=2.5, initial_interval=3, backoff_factor=1.5, max_interval=10, jitter=0)
    await _run(_poller(api, ledger, clock, settings))
    times = api.calls_for("j1")
    assert times[0] - start == pytest.approx(2.5)
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    assert gaps == [3.0, 4.5, 6.75, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]


async def test_poll_sooner_when_progress_says_the_job_is_nearly_done(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    start = clock.monotonic()

    def answer() -> Any:  # a job that takes 100 s at a steady pace
        elapsed = clock.monotonic() - start
        return jobkit.job("j1", "SUCCESS") if elapsed >= 100 else jobkit.job("j1", "RUNNING", elapsed / 100)

    api.script("j1", answer)
    _submit(ledger, clock, "j1")
    settings = PollSettings(first_delay=3, initial_interval=3, backoff_factor=2, max_interval=60, jitter=0)
    await _run(_poller(api, ledger, clock, settings))
    # Plain doubling polls at 3, 6, 12, 24, 48, 96, 156 s (56 s late); the trend aims at the finish.
    assert api.calls_for("j1")[-1] - start - 100 < 2


async def test_retry_after_pauses_every_poll_until_it_expires(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    throttled = ThrottledError(429, "APIGW.0308", "throttled", "req-1", retry_after=7.0)
    api.script("a", throttled, jobkit.job("a", "RUNNING"), jobkit.job("a", "SUCCESS"))
    api.script("b", jobkit.job("b", "RUNNING"), jobkit.job("b", "RUNNING"), jobkit.job("b", "SUCCESS"))
    _submit(ledger, clock, "a")
    _submit(ledger, clock, "b")
    failures: list[PollFailed] = []
    poller = _poller(api, ledger, clock, PollSettings(jitter=0, rate_per_second=None, max_concurrency=1))
    poller.subscribe(lambda e: failures.append(e) if isinstance(e, PollFailed) else None)
    records = await _run(poller)
    assert {r.job_id: r.status for r in records} == {"a": JobStatus.SUCCESS, "b": JobStatus.SUCCESS}
    throttled_at = api.calls_for("a")[0]
    later = [t for t, _ in api.calls if t > throttled_at]
    assert later and min(later) >= throttled_at + 7.0  # nobody polled during the Retry-After
    assert [f.error.code for f in failures if isinstance(f.error, ThrottledError)] == ["APIGW.0308"]


async def test_429_without_retry_after_backs_off_exponentially(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    t = ThrottledError(429, "APIGW.0308", "throttled")
    api.script("a", t, t, t, jobkit.job("a", "SUCCESS"))
    _submit(ledger, clock, "a")
    settings = PollSettings(jitter=0, rate_per_second=None, throttle_initial=5, error_initial=1)
    await _run(_poller(api, ledger, clock, settings))
    times = api.calls_for("a")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 5 and gaps[1] >= 10 and gaps[2] >= 20


async def test_faults_never_stop_the_poller_and_keep_the_last_good_status(
    jobkit: Any, ledger: Ledger, clock: Any
) -> None:
    api = jobkit.FakeApi(clock)
    faults: list[Any] = [
        HttpError(503, "503", "<html>busy</html>"),
        RequestTimeoutError("timed out"),
        TransportError("connection reset by peer"),
        ProtocolError("the job answer is not JSON"),
        RuntimeError("a bug below the poller"),
    ]
    api.script("j1", jobkit.job("j1", "RUNNING", 0.4), *faults, jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    seen: list[Any] = []
    poller = _poller(api, ledger, clock)

    def snoop(event: Any) -> None:
        if isinstance(event, PollFailed):
            record = ledger.get("j1")
            seen.append((event.error, record.status if record else None, record.last_poll_error if record else None))

    poller.subscribe(snoop)
    [final] = await _run(poller)
    assert final.status is JobStatus.SUCCESS and final.last_poll_error is None
    assert len(seen) == 5
    assert all(status is JobStatus.RUNNING for _, status, _ in seen)  # last good status kept while erroring
    assert all(isinstance(error, ImstuiError) for error, _, _ in seen)
    assert "RuntimeError" in str(seen[-1][0]) and seen[0][2] == str(faults[0])


async def test_error_streak_backs_off_globally(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    boom = HttpError(500, "500", "oops")
    api.script("j1", boom, boom, boom, boom, boom, jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    settings = PollSettings(
        jitter=0,
        rate_per_second=None,
        error_initial=0.5,
        error_max=0.5,
        error_streak_threshold=3,
        global_backoff_initial=4,
    )
    await _run(_poller(api, ledger, clock, settings))
    times = api.calls_for("j1")
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    assert gaps[:2] == [0.5, 0.5]  # per-job backoff only
    assert gaps[2] >= 4 and gaps[3] >= 8 and gaps[4] >= 16  # then the whole poller backs off, doubling


async def test_not_found_marks_gone_keeps_last_state_and_stops(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "RUNNING", 0.6), JobNotFoundError("j1"))
    _submit(ledger, clock, "j1")
    [final] = await _run(_poller(api, ledger, clock))
    assert final.gone and final.status is JobStatus.RUNNING and final.progress == pytest.approx(0.6)
    # Seen RUNNING: gone only after 3+ "not found" in a row spanning at least a minute, then never asked again.
    not_found = api.calls[1:]
    assert len(not_found) >= 3 and not_found[-1][0] - not_found[0][0] >= 60.0
    assert ledger.outstanding() == []


async def test_concurrency_cap_and_rate_budget(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.delay_turns = 5
    for i in range(30):
        api.script(f"j{i}", jobkit.job(f"j{i}", "SUCCESS"))
        _submit(ledger, clock, f"j{i}")
    settings = PollSettings(jitter=0, max_concurrency=3, rate_per_second=5, burst=2)
    records = await _run(_poller(api, ledger, clock, settings))
    assert len(records) == 30 and all(r.status is JobStatus.SUCCESS for r in records)
    assert api.max_in_flight <= 3
    times = sorted(t for t, _ in api.calls)
    for start in times:  # no 1-second window holds more than rate + burst requests
        assert sum(1 for t in times if start <= t < start + 1.0) <= 7


async def test_jobs_of_other_profiles_and_regions_are_left_alone(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("mine", jobkit.job("mine", "SUCCESS"))
    _submit(ledger, clock, "mine")
    _submit(ledger, clock, "other-profile", profile="other")
    _submit(ledger, clock, "other-region", region="eu-west-101")
    records = await _run(_poller(api, ledger, clock))
    assert [r.job_id for r in records] == ["mine"]
    assert {j for _, j in api.calls} == {"mine"}
    other = ledger.get("other-profile")
    assert other is not None and other.is_outstanding and not other.gone


async def test_notices_jobs_written_by_another_process(jobkit: Any, ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    api = jobkit.FakeApi(clock)
    api.script("late", jobkit.job("late", "RUNNING"), jobkit.job("late", "SUCCESS"))
    poller = _poller(api, ledger, clock)
    task = asyncio.create_task(poller.run())
    for _ in range(20):
        await asyncio.sleep(0)
    with Ledger(ledger.path) as other:  # another connection, as another process would have
        other.import_job("late", "default", "ap-southeast-1", None)
    done = await asyncio.wait_for(poller.run_until_done(["late"]), timeout=30)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    assert [r.status for r in done] == [JobStatus.SUCCESS]


async def test_notices_rows_another_process_writes_between_its_own_poll_writes(
    jobkit: Any, ledger: Ledger, clock: Any
) -> None:
    api = jobkit.FakeApi(clock)
    api.script("busy", jobkit.job("busy", "RUNNING", 0.1))  # answered again and again: one write per answer
    api.script("late", jobkit.job("late", "SUCCESS"))
    _submit(ledger, clock, "busy")
    changed: list[str | None] = []
    poller = _poller(api, ledger, clock, PollSettings(jitter=0, rate_per_second=None, max_interval=3))
    poller.subscribe(lambda event: changed.append(event.record.job_id) if isinstance(event, JobChanged) else None)
    task = asyncio.create_task(poller.run())
    await _until(lambda: (ledger.get("busy") or _never()).poll_count >= 3)
    with Ledger(ledger.path) as other:  # another process tracks a job while this one keeps writing its polls
        other.import_job("late", "default", "ap-southeast-1", None)
    await _until(lambda: (ledger.get("busy") or _never()).poll_count >= 6)
    await _until(lambda: (ledger.get("late") or _never()).status is JobStatus.SUCCESS)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    assert "late" in changed and ("late" in {j for _, j in api.calls})


async def test_pause_resume_and_poll_now(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "RUNNING"), jobkit.job("j1", "RUNNING"), jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    settings = PollSettings(jitter=0, rate_per_second=None, initial_interval=30, max_interval=30)
    poller = _poller(api, ledger, clock, settings)
    poller.pause()
    task = asyncio.create_task(poller.run())
    for _ in range(200):
        await asyncio.sleep(0)
    assert api.calls == [] and poller.status().paused  # time passes, nothing is sent while paused
    poller.resume()
    await _until(lambda: (ledger.get("j1") or _never()).poll_count >= 1)  # answered (in-flight polls aren't re-sent)
    first = api.calls[0][0]
    poller.poll_now("j1")
    await _until(lambda: len(api.calls) >= 2)
    assert api.calls[1][0] - first < 30  # asked again without waiting for the 30 s interval
    done = await asyncio.wait_for(poller.run_until_done(), timeout=30)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    assert [r.status for r in done] == [JobStatus.SUCCESS]


async def test_detection_latency_is_within_interval_plus_one_second(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    finish_at = clock.monotonic() + 47.3

    def answer() -> Any:
        return jobkit.job("j1", "SUCCESS" if clock.monotonic() >= finish_at else "RUNNING")

    api.script("j1", answer)
    _submit(ledger, clock, "j1")
    poller = _poller(api, ledger, clock, PollSettings())  # default settings, jitter included
    [final] = await _run(poller)
    last_gap = api.calls_for("j1")[-1] - api.calls_for("j1")[-2]
    latency = (final.terminal_at - clock.epoch).total_seconds() + 1000.0 - finish_at
    assert 0 <= latency <= last_gap + 1.0
    assert last_gap <= PollSettings().max_interval * (1 + PollSettings().jitter)


async def test_a_failing_subscriber_does_not_stop_polling(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    poller = _poller(api, ledger, clock)

    def broken(event: Any) -> None:
        raise ValueError("subscriber bug")

    poller.subscribe(broken)
    seen: list[Any] = []
    unsubscribe = poller.subscribe(seen.append)
    [final] = await _run(poller)
    assert final.status is JobStatus.SUCCESS and seen
    unsubscribe()
    count = len(seen)
    poller._emit_status(force=True)
    assert len(seen) == count


async def test_restart_resumes_outstanding_jobs_from_the_ledger(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", jobkit.job("j1", "RUNNING", 0.2), jobkit.job("j1", "RUNNING", 0.3), jobkit.job("j1", "SUCCESS"))
    _submit(ledger, clock, "j1")
    first = _poller(api, ledger, clock)
    task = asyncio.create_task(first.run())
    await _until(lambda: bool(api.calls))
    first.stop()
    await asyncio.wait_for(task, timeout=30)
    mid = ledger.get("j1")
    assert mid is not None and mid.is_outstanding
    second = _poller(api, ledger, clock)  # a new process would build a new poller on the same file
    [final] = await _run(second)
    assert final.status is JobStatus.SUCCESS


async def test_a_new_job_not_visible_yet_is_retried_before_being_declared_gone(
    jobkit: Any, ledger: Ledger, clock: Any
) -> None:
    api = jobkit.FakeApi(clock)
    api.script("j1", JobNotFoundError("j1"), JobNotFoundError("j1"), jobkit.job("j1", "SUCCESS"))
    api.script("never", JobNotFoundError("never"))
    _submit(ledger, clock, "j1")
    _submit(ledger, clock, "never")
    failures: list[PollFailed] = []
    poller = _poller(api, ledger, clock, PollSettings(jitter=0, rate_per_second=None, not_found_grace=3))
    poller.subscribe(lambda e: failures.append(e) if isinstance(e, PollFailed) else None)
    records = {r.job_id: r for r in await _run(poller)}
    assert records["j1"].status is JobStatus.SUCCESS and not records["j1"].gone
    assert records["never"].gone and len(api.calls_for("never")) == 4  # 3 tolerated, the 4th is final
    assert all(f.not_visible_yet and f.retry_in is not None and f.retry_in > 0 for f in failures)


async def test_run_until_done_can_give_up_on_a_fatal_or_persistent_error(
    jobkit: Any, ledger: Ledger, clock: Any
) -> None:
    from imstui.api.errors import AuthenticationError

    api = jobkit.FakeApi(clock)
    denied = AuthenticationError(403, "APIGW.0302", "not authorized", "rid-1")
    api.script("j1", denied)
    _submit(ledger, clock, "j1")
    with pytest.raises(AuthenticationError):
        await asyncio.wait_for(_poller(api, ledger, clock).run_until_done(give_up_on_fatal=True), timeout=30)
    assert len(api.calls) == 1
    busy = HttpError(503, "503", "busy")
    api.script("j1", busy)
    with pytest.raises(HttpError):
        await asyncio.wait_for(_poller(api, ledger, clock).run_until_done(["j1"], give_up_after=4), timeout=30)
    assert len(api.calls) == 1 + 4
    record = ledger.get("j1")
    assert record is not None and record.is_outstanding and "busy" in (record.last_poll_error or "")


async def test_answers_are_written_together_and_a_hanging_check_does_not_hold_them_back(
    jobkit: Any, ledger: Ledger, clock: Any
) -> None:
    release = asyncio.Event()

    class OneHangs(jobkit.FakeApi):  # type: ignore[misc,name-defined]
        async def get_job(self, job_id: str, *, retry: bool = True) -> Any:
            if job_id == "slow":
                await release.wait()
            else:  # the answers arrive one loop turn apart
                for _ in range(int(job_id[1:]) + 1):
                    await asyncio.sleep(0)
            return await super().get_job(job_id, retry=retry)

    api = OneHangs(clock)
    fast = [f"f{i}" for i in range(10)]
    for job_id in [*fast, "slow"]:
        api.script(job_id, jobkit.job(job_id, "SUCCESS"))
        _submit(ledger, clock, job_id)
    poller = _poller(api, ledger, clock, PollSettings(jitter=0, rate_per_second=None, max_concurrency=16))
    before = ledger.data_version()
    task = asyncio.create_task(poller.run())
    await _until(lambda: all((ledger.get(j) or _never()).is_terminal for j in fast))
    assert not (ledger.get("slow") or _never()).is_terminal  # still hanging, yet the others are on disk
    assert ledger.data_version() - before == 1  # ten answers, one transaction
    release.set()
    await asyncio.wait_for(poller.run_until_done(["slow"]), timeout=30)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    assert (ledger.get("slow") or _never()).succeeded


async def test_jitter_spreads_jobs_submitted_together(jobkit: Any, ledger: Ledger, clock: Any) -> None:
    api = jobkit.FakeApi(clock)
    ids = [f"j{i}" for i in range(12)]
    for job_id in ids:
        api.script(job_id, jobkit.job(job_id, "RUNNING"))
        _submit(ledger, clock, job_id)
    settings = PollSettings(jitter=0.2, rate_per_second=None, max_concurrency=32)
    poller = _poller(api, ledger, clock, settings)
    task = asyncio.create_task(poller.run())
    await _until(lambda: all(len(api.calls_for(j)) >= 3 for j in ids))
    poller.stop()
    await asyncio.wait_for(task, timeout=30)
    third = sorted(api.calls_for(j)[2] for j in ids)
    assert len(set(third)) > len(ids) // 2  # not one burst: the jobs drifted apart
    gaps = [api.calls_for(j)[2] - api.calls_for(j)[1] for j in ids]
    base = settings.initial_interval * settings.backoff_factor
    assert all(base * 0.8 - 1e-6 <= g <= base * 1.2 + 1e-6 for g in gaps)  # within the +/-20 % jitter band
