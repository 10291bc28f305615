"""The poller survives anything one job, one ledger write or one subscriber throws (issue 10): the failure is
recorded against that job, every other job keeps being polled, and polling works again once the fault heals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from imstui.api.models import JobStatus
from imstui.core.ledger import Ledger, LedgerUnwritableError, PollResults, PollUpdate
from imstui.core.poller import JobChanged, LedgerWriteError, Poller, PollerStatus, PollFailed, PollSettings

QUIET = PollSettings(jitter=0.0, rate_per_second=None, initial_interval=5, max_interval=5, error_initial=1)


class FaultyLedger(Ledger):
    """A real ledger whose poll writes can be made to fail: for some jobs (their data), or all of them (the disk)."""

    bad_jobs: set[str]
    disk_full: bool

    def apply_polls(self, updates: Iterable[PollUpdate]) -> PollResults:
        batch = list(updates)
        if self.disk_full:
            raise LedgerUnwritableError(self.path, "the disk is full (database or disk is full)")
        for update in batch:
            if update.job_id in self.bad_jobs and update.job is not None:
                "\ud800".encode()  # what a lone surrogate in an answer did to the sqlite write
        return super().apply_polls(batch)


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = FaultyLedger(tmp_path / "jobs.sqlite3")
    led.bad_jobs, led.disk_full = set(), False
    yield led
    led.close()


def _submit(ledger: Ledger, clock: Any, *job_ids: str) -> None:
    for job_id in job_ids:
        row = ledger.record_intent(
            profile="default",
            region="ap-southeast-1",
            project_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            source_image_id="src",
            source_image_name="base",
            name=f"copy-{job_id}",
            submitted_at=clock.now(),
        )
        ledger.attach_job_id(row, job_id)


def _poller(jobkit: Any, ledger: Ledger, clock: Any, settings: PollSettings = QUIET) -> tuple[Any, Poller]:
    api = jobkit.FakeApi(clock)
    poller = Poller(
        api, ledger, profile="default", settings=settings, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
    )
    return api, poller


async def _until(condition: Any) -> None:
    for _ in range(200_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def _status(ledger: Ledger, job_id: str) -> JobStatus | None:
    record = ledger.get(job_id)
    assert record is not None
    return record.status


async def _heal_and_finish(api: Any, jobkit: Any, ledger: Ledger, poller: Poller, task: Any, job_id: str) -> None:
    """The fault is gone: `r` (poll_now) gets the job to its end, and the poller is still polling."""
    api.script(job_id, jobkit.job(job_id, "SUCCESS"))
    answer = poller.poll_now(job_id)
    assert answer.jobs == 1 and answer.not_before is None
    await _until(lambda: _status(ledger, job_id) is JobStatus.SUCCESS)
    poller.stop()
    await asyncio.wait_for(task, timeout=30)


async def test_an_answer_that_cannot_be_parsed_fails_only_its_job(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    _submit(ledger, clock, "a", "bad", "c")
    api, poller = _poller(jobkit, ledger, clock)
    for job_id in ("a", "c"):
        api.script(job_id, jobkit.job(job_id, "RUNNING", 0.5), jobkit.job(job_id, "SUCCESS"))

    def unparsable() -> Any:
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    api.script("bad", unparsable)
    failures: list[PollFailed] = []
    poller.subscribe(lambda e: failures.append(e) if isinstance(e, PollFailed) else None)
    task = asyncio.create_task(poller.run())
    await _until(lambda: _status(ledger, "a") is JobStatus.SUCCESS and _status(ledger, "c") is JobStatus.SUCCESS)
    await _until(lambda: len(api.calls_for("bad")) >= 3)  # still asked again and again, with backoff
    assert {f.job_id for f in failures} == {"bad"} and "UnicodeEncodeError" in str(failures[0].error)
    bad = ledger.get("bad")
    assert bad is not None and "UnicodeEncodeError" in (bad.last_poll_error or "")
    await _heal_and_finish(api, jobkit, ledger, poller, task, "bad")


async def test_an_answer_the_ledger_refuses_is_recorded_as_an_error_and_the_batch_is_still_written(
    jobkit: Any, ledger: FaultyLedger
) -> None:
    clock = jobkit.FakeClock()
    ids = ["a", "bad", "c", "d"]
    _submit(ledger, clock, *ids)
    ledger.bad_jobs = {"bad"}
    api, poller = _poller(jobkit, ledger, clock)
    for job_id in ids:
        api.script(job_id, jobkit.job(job_id, "SUCCESS"))
    failures: list[PollFailed] = []
    poller.subscribe(lambda e: failures.append(e) if isinstance(e, PollFailed) else None)
    task = asyncio.create_task(poller.run())
    await _until(lambda: all(_status(ledger, j) is JobStatus.SUCCESS for j in ("a", "c", "d")))
    await _until(lambda: len(api.calls_for("bad")) >= 2)
    bad = ledger.get("bad")
    assert bad is not None and bad.is_outstanding and "could not be recorded" in (bad.last_poll_error or "")
    assert failures and all(f.job_id == "bad" and f.retry_in is not None for f in failures)
    ledger.bad_jobs = set()
    await _heal_and_finish(api, jobkit, ledger, poller, task, "bad")


async def test_a_subscriber_that_raises_on_every_event_stops_nothing(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    _submit(ledger, clock, "a", "b")
    api, poller = _poller(jobkit, ledger, clock)
    api.script("a", jobkit.job("a", "RUNNING", 0.2), jobkit.job("a", "SUCCESS"))
    api.script("b", jobkit.job("b", "RUNNING", 0.2), jobkit.job("b", "RUNNING", 0.4))

    def broken(event: Any) -> None:
        raise RuntimeError(f"subscriber bug on {type(event).__name__}")

    poller.subscribe(broken)
    seen: list[Any] = []
    poller.subscribe(seen.append)
    task = asyncio.create_task(poller.run())
    await _until(lambda: _status(ledger, "a") is JobStatus.SUCCESS)
    assert any(isinstance(e, JobChanged) and e.record.job_id == "a" for e in seen)
    await _heal_and_finish(api, jobkit, ledger, poller, task, "b")


async def test_a_full_disk_warns_rarely_keeps_polling_and_a_watch_stops_with_one_clear_error(
    jobkit: Any, ledger: FaultyLedger, caplog: pytest.LogCaptureFixture
) -> None:
    clock = jobkit.FakeClock()
    _submit(ledger, clock, "a", "b")
    ledger.disk_full = True
    settings = PollSettings(jitter=0.0, rate_per_second=None, ledger_warn_interval=60, ledger_give_up_after=600)
    api, poller = _poller(jobkit, ledger, clock, settings)
    api.script("a", jobkit.job("a", "RUNNING"))
    api.script("b", jobkit.job("b", "RUNNING"))
    statuses: list[PollerStatus] = []
    poller.subscribe(lambda e: statuses.append(e) if isinstance(e, PollerStatus) else None)
    start = clock.monotonic()
    with caplog.at_level(logging.WARNING, logger="imstui.core.poller"):
        with pytest.raises(LedgerWriteError) as info:
            await asyncio.wait_for(poller.run_until_done(give_up_on_fatal=True), timeout=30)
    elapsed = clock.monotonic() - start
    assert 600 <= elapsed <= 900 and "disk is full" in str(info.value) and "jobs watch" in str(info.value)
    assert len(api.calls) <= 2 * 20  # the retries back off (5 s doubling to 120 s), no tight loop
    warnings = [r for r in caplog.records if "cannot write poll results" in r.getMessage()]
    assert 1 <= len(warnings) <= elapsed / 60 + 1  # at most one a minute, not one per poll
    assert any(s.ledger_error and "disk is full" in s.ledger_error for s in statuses)
    ledger.disk_full = False  # the console rides it out: once space is back, the answers are written again
    api.script("a", jobkit.job("a", "SUCCESS"))
    api.script("b", jobkit.job("b", "SUCCESS"))
    records = await asyncio.wait_for(poller.run_until_done(), timeout=30)
    assert [r.status for r in records] == [JobStatus.SUCCESS, JobStatus.SUCCESS]
    assert poller.status().ledger_error is None


async def test_poll_now_while_paused_polls_once_and_stays_paused(jobkit: Any, ledger: Ledger) -> None:
    clock = jobkit.FakeClock()
    _submit(ledger, clock, "a")
    api, poller = _poller(jobkit, ledger, clock)
    api.script("a", jobkit.job("a", "RUNNING", 0.3))
    poller.pause()
    task = asyncio.create_task(poller.run())
    for _ in range(300):
        await asyncio.sleep(0)
    assert api.calls == []
    answer = poller.poll_now()
    assert answer.jobs == 1 and answer.not_before is None
    await _until(lambda: (ledger.get("a") or pytest.fail("row vanished")).poll_count == 1)
    for _ in range(300):
        await asyncio.sleep(0)
    assert len(api.calls) == 1 and poller.status().paused  # once, then paused as before
    poller.stop()
    await asyncio.wait_for(task, timeout=30)


class _Body(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


async def test_a_lone_surrogate_in_a_job_answer_over_the_wire_wedges_nothing(jobkit: Any, ledger: Ledger) -> None:
    """Issue 10's wedge, end to end: the real client parses a hostile answer, the poller stores it, both jobs end."""
    from imstui.api.client import ImsClient
    from imstui.api.credentials import Credentials
    from imstui.api.secret import Secret

    clock = jobkit.FakeClock()
    answers = {
        "bad": b'{"job_id": "bad", "status": "FAIL", "fail_reason": "disk \\ud800 broke", "entities": {}}',
        "good": b'{"job_id": "good", "status": "SUCCESS", "entities": {"image_id": "new-good"}}',
    }

    def handle(request: httpx.Request) -> httpx.Response:
        body = answers[request.url.path.rsplit("/", 1)[-1]]
        return httpx.Response(200, headers={"Content-Type": "application/json"}, stream=_Body(body))

    _submit(ledger, clock, "bad", "good")
    client = ImsClient(
        credentials=Credentials("TESTAK0123456789", Secret("test-secret-0123456789")),
        region="ap-southeast-1",
        project_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        ims_endpoint="http://127.0.0.1:9",
        iam_endpoint="http://127.0.0.1:9",
        transport=httpx.MockTransport(handle),
    )
    async with client:
        poller = Poller(
            client, ledger, profile="default", settings=QUIET, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
        )
        records = {r.job_id: r for r in await asyncio.wait_for(poller.run_until_done(), timeout=30)}
    assert records["good"].status is JobStatus.SUCCESS
    assert records["bad"].status is JobStatus.FAIL and "disk" in (records["bad"].fail_reason or "")
    (records["bad"].fail_reason or "").encode("utf-8")  # stored as valid text, whatever the server sent
