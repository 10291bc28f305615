"""A job seen alive is not marked GONE on the first "not found": only after several in a row over a minute."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from imstui.api.errors import JobNotFoundError
from imstui.api.models import JobStatus
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings

QUIET = PollSettings(jitter=0.0, rate_per_second=None)


def _poller(api: Any, ledger: Ledger, clock: Any) -> Poller:
    return Poller(
        api, ledger, profile="default", settings=QUIET, clock=clock.monotonic, sleep=clock.sleep, now=clock.now
    )


def _submit(ledger: Ledger, clock: Any, job_id: str) -> None:
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


async def test_a_job_seen_running_then_one_not_found_is_not_gone(jobkit: Any, tmp_path: Path) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    found = JobNotFoundError("j1")
    api.script(
        "j1", jobkit.job("j1", "RUNNING", 0.3), found, jobkit.job("j1", "RUNNING", 0.6), jobkit.job("j1", "SUCCESS")
    )
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        _submit(ledger, clock, "j1")
        [final] = await asyncio.wait_for(_poller(api, ledger, clock).run_until_done(), timeout=30)
    assert final.status is JobStatus.SUCCESS and not final.gone


async def test_a_run_of_not_found_shorter_than_a_minute_is_not_gone_a_longer_one_is(
    jobkit: Any, tmp_path: Path
) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    found = JobNotFoundError("j1")
    api.script("j1", jobkit.job("j1", "RUNNING", 0.3), found, found, found, jobkit.job("j1", "RUNNING", 0.5), found)
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        _submit(ledger, clock, "j1")
        [final] = await asyncio.wait_for(_poller(api, ledger, clock).run_until_done(), timeout=30)
    assert final.gone and final.progress == 0.5  # the three quick ones did not end it; the last run did
    times = [at for at, job_id in api.calls if job_id == "j1"]
    assert times[3] - times[1] < 60.0  # the first run of three "not found" was under a minute
    assert times[-1] - times[5] >= 60.0  # the second run lasted at least a minute before the job was called gone
