"""Job identity: a job belongs to the account (IMS endpoint + project, in a region) it was submitted to, not to the
profile name. Two consoles on one profile name but different endpoints each follow only their own jobs; a job
submitted with environment keys shows in the console of its account; old rows are kept under their profile."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from imstui.api.models import CopyRequest, JobStatus
from imstui.cli import main
from imstui.commands.jobs_list import record_to_dict
from imstui.core.account import DEMO_ENDPOINT, normalise_endpoint
from imstui.core.context import ConnectionSettings
from imstui.core.ledger import SCHEMA_VERSION, Ledger
from imstui.core.ledger.schema import MIGRATIONS, split_sql
from imstui.core.ledger.scope import REAL_ROWS, account_scope
from imstui.core.session import PollerTiming, Session, open_session
from imstui.core.submit import submit_copy
from imstui.sim import seed
from imstui.sim.demo import DemoBackend, controlled_backend

PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


class SimTime:
    """Virtual time for the poller, moving the simulator's ManualClock (as in test_poller_sim)."""

    def __init__(self, backend: DemoBackend) -> None:
        self.manual = backend.manual_clock

    def clock(self) -> float:
        return self.manual.now()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.manual.now(), timezone.utc)

    async def sleep(self, delay: float) -> None:
        target = self.manual.now() + max(0.0, delay)
        for _ in range(25):
            await asyncio.sleep(0)
        if target > self.manual.now():
            self.manual.advance(target - self.manual.now())


def _session(backend: DemoBackend, endpoint: str, ledger_path: Path, profile: str = "work") -> Session:
    settings = ConnectionSettings(
        region=backend.region,
        credentials=backend.credentials,
        project_id=backend.project_id,
        ims_endpoint=endpoint,
        iam_endpoint=endpoint,
        profile=profile,
    )
    time = SimTime(backend)
    timing = PollerTiming(clock=time.clock, sleep=time.sleep, now=time.now)
    return open_session(settings, ledger_path=ledger_path, transport=backend.transport, timing=timing)


async def _copy(session: Session, name: str, profile: str | None = None) -> str:
    image = await session.api.get_image(seed.ELIGIBLE_LINUX_ID)
    result = await submit_copy(
        session.api, session.ledger, profile=profile or session.profile, image=image, request=CopyRequest(name=name)
    )
    assert result.job_id is not None
    return result.job_id


def test_endpoints_are_normalised_to_scheme_host_and_port() -> None:
    assert normalise_endpoint("https://IMS.ap-southeast-1.myhuaweicloud.com/v2/") == (
        "https://ims.ap-southeast-1.myhuaweicloud.com:443"
    )
    assert normalise_endpoint("http://127.0.0.1") == DEMO_ENDPOINT
    assert normalise_endpoint("http://127.0.0.1:8001") == "http://127.0.0.1:8001"
    assert normalise_endpoint("") is None


async def test_two_consoles_on_one_profile_name_and_two_endpoints_never_mark_each_others_jobs_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite3"
    one, two = controlled_backend(seed=1), controlled_backend(seed=2)
    async with (
        _session(one, "http://127.0.0.1:8001", path) as first,
        _session(two, "http://127.0.0.1:8002", path) as second,
    ):
        job_one = await _copy(first, "copy-one")
        job_two = await _copy(second, "copy-two")
        assert [r.job_id for r in first.ledger.list(first.scope)] == [job_one]
        assert [r.job_id for r in second.ledger.list(second.scope)] == [job_two]
        done_one = await asyncio.wait_for(first.poller.run_until_done(), timeout=30)
        assert [r.job_id for r in done_one] == [job_one]  # the other endpoint's job was never asked about here
        done_two = await asyncio.wait_for(second.poller.run_until_done(), timeout=30)
        assert [r.job_id for r in done_two] == [job_two]
        for job_id in (job_one, job_two):
            record = first.ledger.get(job_id)
            assert record is not None and record.status is JobStatus.SUCCESS and not record.gone


async def test_a_job_submitted_with_environment_keys_shows_and_is_followed_in_the_console_of_its_account(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite3"
    backend = controlled_backend(seed=3)
    endpoint = "https://ims.example.test"
    async with _session(backend, endpoint, path, profile="env") as headless:
        job_id = await _copy(headless, "from-the-environment")
    async with _session(backend, endpoint, path, profile="work") as console:
        [shown] = console.ledger.list(console.scope)
        assert shown.job_id == job_id and shown.profile == "env"
        assert shown.endpoint == "https://ims.example.test:443"
        [done] = await asyncio.wait_for(console.poller.run_until_done(), timeout=30)
        assert done.job_id == job_id and done.status is JobStatus.SUCCESS
    async with _session(backend, "https://other.example.test", path, profile="work") as elsewhere:
        assert elsewhere.ledger.list(elsewhere.scope) == []


def _version_4_ledger(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version(version) VALUES (4)")
    for script in MIGRATIONS[:4]:
        for statement in split_sql(script):
            conn.execute(statement)
    for job_id, profile in (("old-work-job", "work"), ("old-demo-job", "demo")):
        conn.execute(
            "INSERT INTO jobs (job_id, profile, region, project_id, submitted_at, state) "
            "VALUES (?, ?, 'ap-southeast-1', ?, '2026-01-01T00:00:00+00:00', 'submitted')",
            (job_id, profile, PROJECT),
        )
    conn.commit()
    conn.close()


def test_rows_of_an_older_imstui_stay_under_their_profile_and_old_demo_rows_stay_apart(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _version_4_ledger(path)
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        work, demo = ledger.get("old-work-job"), ledger.get("old-demo-job")
        assert work is not None and work.endpoint is None  # from an older imstui: no endpoint known
        assert "older imstui" in record_to_dict(work)["account_note"]  # imstui jobs --json says so
        assert demo is not None and demo.endpoint == DEMO_ENDPOINT
        work_account = account_scope("https://ims.example.test", PROJECT, "work")
        assert [r.job_id for r in ledger.list(work_account)] == ["old-work-job"]
        assert ledger.list(account_scope("https://ims.example.test", PROJECT, "other")) == []
        assert [r.job_id for r in ledger.list(REAL_ROWS)] == ["old-work-job"]


def test_imstui_jobs_shows_demo_rows_only_with_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(tmp_path / "state"))
    with Ledger() as ledger:
        for job_id, profile, endpoint in (
            ("real-job-1", "work", "https://ims.example.test"),
            ("demo-job-1", "demo", "http://127.0.0.1"),
        ):
            row = ledger.record_intent(
                profile=profile,
                region="ap-southeast-1",
                project_id=PROJECT,
                source_image_id="src",
                source_image_name="base",
                name=f"copy-{job_id}",
                endpoint=endpoint,
            )
            ledger.attach_job_id(row, job_id)
    for argv in (["jobs"], ["jobs", "--all"]):
        assert main(argv) == 0
        shown = capsys.readouterr().out
        assert "real-job-1" in shown and "demo-job-1" not in shown
    assert main(["jobs", "--demo", "--all"]) == 0
    shown = capsys.readouterr().out
    assert "demo-job-1" in shown and "real-job-1" not in shown
