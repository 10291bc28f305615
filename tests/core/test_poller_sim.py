"""The poller against the real simulator: faults, Retry-After, purged jobs, and kill -9 of `imstui jobs watch`."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from imstui.api.client import ImsClient
from imstui.api.errors import ImstuiError, ThrottledError
from imstui.api.models import CopyRequest, JobStatus
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollFailed, PollSettings
from imstui.core.submit import submit_copy
from imstui.sim import seed
from imstui.sim.clock import ManualClock
from imstui.sim.config import SimConfig
from imstui.sim.demo import DemoBackend, controlled_backend
from imstui.sim.faults import FaultConfig
from imstui.sim.harness import RecordingApi
from imstui.sim.server import run_in_thread

ROOT = Path(__file__).resolve().parents[2]
JOB_FAULTS = "job.5xx=0.15,job.429=0.1,job.retry_after=3,job.malformed=0.05,job.truncated=0.05,job.drop=0.05"
SOURCES = [seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, seed.INTERNAL_FAIL_ID]


class SimTime:
    """Virtual time shared by the poller and the simulator's ManualClock."""

    def __init__(self, backend: DemoBackend) -> None:
        self.manual = backend.manual_clock

    def clock(self) -> float:
        return self.manual.now()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.manual.now(), timezone.utc)

    async def sleep(self, delay: float) -> None:
        target = self.manual.now() + max(0.0, delay)
        for _ in range(25):  # let in-flight work finish first; a wake-up cancels this sleep
            await asyncio.sleep(0)
        now = self.manual.now()
        if target > now:
            self.manual.advance(target - now)


def _client(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


async def _submit_many(client: Any, ledger: Ledger, count: int, profile: str = "sim") -> list[str]:
    job_ids = []
    for i in range(count):
        image = await client.get_image(SOURCES[i % len(SOURCES)])
        result = await submit_copy(client, ledger, profile=profile, image=image, request=CopyRequest(name=f"c-{i}"))
        assert result.job_id is not None
        job_ids.append(result.job_id)
    return job_ids


def _truth(backend_state: Any, job_id: str) -> JobStatus:
    return JobStatus.SUCCESS if backend_state.jobs[job_id].succeeds else JobStatus.FAIL


async def test_converges_through_every_fault_and_respects_retry_after(tmp_path: Path) -> None:
    backend = controlled_backend(
        faults=JOB_FAULTS, seed=11, max_running_jobs=1000, private_image_quota=1000, purge_after=10_000
    )
    time = SimTime(backend)
    failures: list[PollFailed] = []
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        async with _client(backend) as client:
            job_ids = await _submit_many(client, ledger, 12)
            api = RecordingApi(client, clock=time.clock)
            settings = PollSettings(max_concurrency=4, rate_per_second=20)
            poller = Poller(
                api, ledger, profile="sim", settings=settings, clock=time.clock, sleep=time.sleep, now=time.now
            )
            poller.subscribe(lambda e: failures.append(e) if isinstance(e, PollFailed) else None)
            records = await asyncio.wait_for(poller.run_until_done(), timeout=120)
        assert sorted(str(r.job_id) for r in records) == sorted(job_ids)  # no job id lost
        for record in records:
            assert record.job_id is not None
            assert record.status is _truth(backend.state, record.job_id), record
            assert not record.gone and record.last_poll_error is None
    kinds = {type(f.error).__name__ for f in failures}
    assert failures and {"ThrottledError"} <= kinds and len(kinds) >= 3  # the faults did happen
    assert all(isinstance(f.error, ImstuiError) for f in failures)
    throttles = [(at, exc) for at, _, exc in api.calls if isinstance(exc, ThrottledError)]
    assert throttles
    for at, exc in throttles:
        assert exc.retry_after is not None and exc.retry_after == pytest.approx(3.0)
        quiet = [t for t, _, _ in api.calls if at < t < at + exc.retry_after - 1e-6]
        assert quiet == [], f"polled during Retry-After after a 429 at {at}"


async def test_the_gateway_budget_met_as_captured_costs_a_handful_of_rejected_polls(tmp_path: Path) -> None:
    """The simulator's evidence-following throttle: a budget per AK, 429 APIGW.0308 without Retry-After, the window
    only in the message. 50 copies use 100 of 150 requests per 5 minutes; polling the 50 jobs meets the limit."""
    backend = controlled_backend(
        faults="rate=150,window=300", seed=5, max_running_jobs=1000, private_image_quota=1000, purge_after=100_000
    )
    time = SimTime(backend)
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        async with _client(backend) as client:
            job_ids = await _submit_many(client, ledger, 50)
            api = RecordingApi(client, clock=time.clock)
            poller = Poller(api, ledger, profile="sim", clock=time.clock, sleep=time.sleep, now=time.now)
            records = await asyncio.wait_for(poller.run_until_done(), timeout=120)
    assert sorted(str(r.job_id) for r in records) == sorted(job_ids)
    assert all(r.job_id is not None and r.status is _truth(backend.state, r.job_id) for r in records)
    rejected = [exc for _, _, exc in api.calls if isinstance(exc, ThrottledError)]
    assert 1 <= len(rejected) <= 5, f"{len(rejected)} polls rejected of {len(api.calls)}"
    window = rejected[0].window
    assert rejected[0].retry_after is None and window is not None and (window.limit, window.seconds) == (150, 300)


async def test_a_job_purged_while_nobody_watched_is_marked_gone_with_its_last_state(tmp_path: Path) -> None:
    backend = controlled_backend(seed=2, purge_after=30)
    time = SimTime(backend)
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        async with _client(backend) as client:
            [job_id] = await _submit_many(client, ledger, 1)
            backend.manual_clock.advance(10)  # INIT 2 s, RUNNING 20 s: running now
            first = Poller(client, ledger, profile="sim", clock=time.clock, sleep=time.sleep, now=time.now)
            task = asyncio.create_task(first.run())
            for _ in range(10_000):
                record = ledger.get(job_id)
                if record is not None and record.status is not None:
                    break
                await asyncio.sleep(0)
            first.stop()
            await task
            seen = ledger.get(job_id)
            assert seen is not None and seen.status is JobStatus.RUNNING
            backend.manual_clock.advance(600)  # finished and purged while imstui was closed
            second = Poller(client, ledger, profile="sim", clock=time.clock, sleep=time.sleep, now=time.now)
            [final] = await asyncio.wait_for(second.run_until_done(), timeout=60)
    assert final.gone and final.status is JobStatus.RUNNING and final.progress == seen.progress
    assert ledger_is_ok(tmp_path / "jobs.sqlite3")


def records_now(state_dir: Path) -> list[Any]:
    with Ledger(state_dir / "jobs.sqlite3") as ledger:
        return ledger.list()


def ledger_is_ok(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until ``condition()`` holds (checked every 20 ms); fails if ``proc`` exits first or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the watcher exited ({proc.returncode}) before the condition held")
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold within the time limit")
        time.sleep(0.02)


@pytest.mark.e2e
def test_kill_9_of_jobs_watch_loses_nothing_and_ends_right(tmp_path: Path) -> None:
    config = SimConfig(
        seed=5,
        init_seconds=(0.2, 0.5),
        run_seconds=(1.0, 4.0),
        faults=FaultConfig.parse("job.5xx=0.1,job.429=0.05,job.retry_after=0.5,job.malformed=0.03,job.drop=0.03"),
        max_running_jobs=100,
        private_image_quota=1000,
        # Jobs move only when the test says so: each watcher is killed while every job is still running, whatever
        # the machine's speed (on real time a slow start-up let jobs end before the first kill).
        clock=ManualClock(time.time()),
    )
    state_dir = tmp_path / "state"
    with run_in_thread(config) as sim:
        env = {
            **os.environ,
            "IMSTUI_STATE_DIR": str(state_dir),
            "HUAWEICLOUD_SDK_AK": config.ak,
            "HUAWEICLOUD_SDK_SK": config.sk.reveal(),
            "HUAWEICLOUD_SDK_REGION": config.region,
            "HUAWEICLOUD_SDK_PROJECT_ID": config.project_id,
            "IMSTUI_IMS_ENDPOINT": sim.url,
            "HUAWEICLOUD_SDK_IAM_ENDPOINT": sim.url,
            "PYTHONPATH": str(ROOT),
        }

        async def submit() -> list[str]:
            client = ImsClient(
                credentials=config.credentials(),
                region=config.region,
                project_id=config.project_id,
                ims_endpoint=sim.url,
                iam_endpoint=sim.url,
            )
            async with client:
                with Ledger(state_dir / "jobs.sqlite3") as ledger:
                    return await _submit_many(client, ledger, 8, profile="env")

        job_ids = asyncio.run(submit())
        clock = config.clock
        assert isinstance(clock, ManualClock)
        watch = [sys.executable, "-m", "imstui", "jobs", "watch"]
        killed = 0
        for round_ in range(3):  # kill -9 mid-run, repeatedly: each time right after the watcher wrote a poll
            before = sum(r.poll_count for r in records_now(state_dir))
            proc = subprocess.Popen(watch, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                wait_for(lambda floor=before: sum(r.poll_count for r in records_now(state_dir)) > floor, proc)  # type: ignore[misc]
            finally:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            killed += 1
            with Ledger(state_dir / "jobs.sqlite3") as ledger:
                assert sorted(r.job_id for r in ledger.list() if r.job_id) == sorted(job_ids)
            clock.advance(0.4 * (round_ + 1))  # some jobs move on between watchers; none can finish yet (>= 1.2 s)
        assert killed == 3
        polled = sum(r.poll_count for r in records_now(state_dir))
        clock.advance(30)  # past every job's end (<= 4.5 s), long before the purge (600 s)
        # The killed watchers may already have seen some jobs end: the final watch follows the rest.
        still_out = {r.job_id for r in records_now(state_dir) if r.job_id and not r.is_terminal}
        final = subprocess.run(watch, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        with Ledger(state_dir / "jobs.sqlite3") as ledger:
            records = {r.job_id: r for r in ledger.list()}
        truth = {job_id: _truth(sim.state, job_id) for job_id in job_ids}
    assert polled > 0  # the killed watchers had been polling
    assert sorted(map(str, records)) == sorted(job_ids)
    assert {job_id: r.status for job_id, r in records.items()} == truth
    assert all(not r.gone for r in records.values())
    expected_code = 0 if all(truth[j] is JobStatus.SUCCESS for j in still_out) else 1
    assert final.returncode == expected_code, (still_out, final.stdout, final.stderr)
    for job_id in still_out:
        assert job_id in final.stdout
    assert ledger_is_ok(state_dir / "jobs.sqlite3")
