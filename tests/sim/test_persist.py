"""The demo simulator keeps its jobs across restarts (imstui.sim.persist): a demo job survives a restart as a real
one does, and its progress goes on with the clock."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from imstui.api.models import CopyRequest, JobStatus
from imstui.connect import demo_state_path, open_demo_session
from imstui.core.submit import submit_copy
from imstui.sim import seed
from imstui.sim.clock import ManualClock
from imstui.sim.demo import controlled_backend
from imstui.sim.persist import attach

BODY = json.dumps({"name": "kept-copy"}).encode()


def test_a_restarted_simulator_knows_the_job_and_it_finishes_on_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "state" / "demo-sim.json"
    clock = ManualClock(1_800_000_000.0)
    first = controlled_backend(start=clock.now())
    assert attach(first.state, path) == 0
    project = first.project_id
    job_id = first.state.copy_image(seed.ELIGIBLE_LINUX_ID, BODY, project)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.state.job_document(job_id, project)["status"] == "INIT"

    second = controlled_backend(start=first.manual_clock.now() + 10.0)  # a restart, 10 s later
    assert attach(second.state, path) == 1
    assert second.state.job_document(job_id, project)["status"] == "RUNNING"
    second.manual_clock.advance(30.0)
    second.state.settle()
    document = second.state.job_document(job_id, project)
    assert document["status"] == "SUCCESS"
    new_image = document["entities"]["image_id"]
    assert second.state.get_image(new_image, project) is not None  # the copy's image is there too


def test_a_damaged_state_file_is_set_aside_and_the_simulator_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "demo-sim.json"
    path.write_text("{not json")
    backend = controlled_backend()
    assert attach(backend.state, path) == 0
    assert backend.state.jobs == {}


async def test_a_demo_job_survives_a_restart_of_the_demo_session_and_finishes(tmp_path: Path) -> None:
    ledger_path = tmp_path / "jobs.sqlite3"
    speed = 400.0  # copies of ~15-40 s take 0.04-0.1 s
    async with open_demo_session(speed, ledger_path=ledger_path) as session:
        image = await session.api.get_image(seed.ELIGIBLE_LINUX_ID)
        result = await submit_copy(
            session.api, session.ledger, profile=session.profile, image=image, request=CopyRequest(name="demo-kept")
        )
        assert result.job_id is not None
    assert demo_state_path(ledger_path).exists()
    async with open_demo_session(speed, ledger_path=ledger_path) as again:
        [row] = again.ledger.list(again.scope)
        assert row.job_id == result.job_id
        [done] = await asyncio.wait_for(again.poller.run_until_done(), timeout=30)
        assert done.job_id == result.job_id and done.status is JobStatus.SUCCESS and not done.gone
