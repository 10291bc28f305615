"""Tags on a copy: stored with the ledger row at submission, applied once the job succeeded (core.tagging), the
outcome recorded and retryable; never a second copy. Against the in-process simulator."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from imstui.api.models import CopyRequest, JobStatus
from imstui.api.tag_models import ImageTag
from imstui.core.context import ConnectionSettings
from imstui.core.ledger import SCHEMA_VERSION, DamagedRow, JobRecord, Ledger
from imstui.core.ledger.schema import MIGRATIONS, split_sql
from imstui.core.poller import JobChanged, Poller
from imstui.core.session import PollerTiming, Session, open_session
from imstui.core.submit import submit_copy
from imstui.sim import seed
from imstui.sim.demo import DemoBackend, controlled_backend

TAGS = (ImageTag("env", "prod"), ImageTag("team", "web"))


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


def _session(backend: DemoBackend, ledger_path: Path) -> Session:
    settings = ConnectionSettings(
        region=backend.region,
        credentials=backend.credentials,
        project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        profile="work",
    )
    time = SimTime(backend)
    timing = PollerTiming(clock=time.clock, sleep=time.sleep, now=time.now)
    return open_session(settings, ledger_path=ledger_path, transport=backend.transport, timing=timing)


async def _copy(session: Session, tags: tuple[ImageTag, ...] = TAGS, source: str = seed.ELIGIBLE_LINUX_ID) -> str:
    image = await session.api.get_image(source)
    result = await submit_copy(
        session.api, session.ledger, profile=session.profile, image=image, request=CopyRequest(name="c"), tags=tags
    )
    assert result.job_id is not None
    return result.job_id


def _server_tags(backend: DemoBackend, image_id: str | None) -> list[tuple[str, str]]:
    assert image_id
    return [(t["key"], t["value"]) for t in backend.state.tags.of(image_id)]


# ---------------------------------------------------------------------------------------------------- the ledger


def test_a_version_5_ledger_is_migrated_and_its_rows_asked_for_no_tags(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version(version) VALUES (5)")
    for script in MIGRATIONS[:5]:
        for statement in split_sql(script):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO jobs (job_id, profile, region, submitted_at, state, status, new_image_id) "
        "VALUES ('old-job', 'work', 'r', '2026-01-01T00:00:00+00:00', 'submitted', 'SUCCESS', 'img-1')"
    )
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 6
        old = ledger.get("old-job")
        assert old is not None and (old.tags, old.tags_state, old.tags_error, old.tags_at) == ((), None, None, None)
        assert ledger.tags_to_apply() == []  # an old row is never tagged
        row = ledger.record_intent(
            profile="work", region="r", project_id="p", source_image_id="s", source_image_name=None, name="n", tags=TAGS
        )
        new = ledger.get_row(row)
        assert new is not None and new.tags == TAGS and new.tags_state == "pending"


def test_a_tags_column_imstui_never_writes_makes_the_row_damaged_not_the_ledger(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        good = ledger.import_job("job-good", "work", "r", None)
        bad = ledger.import_job("job-bad", "work", "r", None)
        ledger._conn.execute("UPDATE jobs SET tags = '[[\"k\"]]' WHERE row_id = ?", (bad.row_id,))
        ledger._conn.execute("UPDATE jobs SET tags_state = 'maybe' WHERE row_id = ?", (good.row_id,))
        ledger.import_job("job-ok", "work", "r", None)
        assert [r.job_id for r in ledger.list()] == ["job-ok"]
        reasons = sorted(d.reason for d in ledger.damaged())
        assert all(isinstance(d, DamagedRow) for d in ledger.damaged())
        assert reasons == ["tags is not a list of [key, value] pairs", "tags_state 'maybe' is not one imstui writes"]


async def test_submit_stores_the_tags_pending_on_the_row_and_none_without(tmp_path: Path) -> None:
    backend = controlled_backend()
    async with _session(backend, tmp_path / "jobs.sqlite3") as session:
        tagged = session.ledger.get(await _copy(session))
        plain = session.ledger.get(await _copy(session, tags=()))
    assert tagged is not None and tagged.tags == TAGS and tagged.tags_state == "pending"
    assert plain is not None and plain.tags == () and plain.tags_state is None
    assert backend.state.tags.calls == 0  # nothing is tagged before the job succeeds


# ---------------------------------------------------------------------------------------------------- the tagger


async def test_tags_are_applied_once_after_success_and_published_to_the_pollers_subscribers(tmp_path: Path) -> None:
    backend = controlled_backend()
    seen: list[JobRecord] = []
    async with _session(backend, tmp_path / "jobs.sqlite3") as session:
        job_id = await _copy(session)
        session.poller.subscribe(lambda e: seen.append(e.record) if isinstance(e, JobChanged) else None)
        [done] = await asyncio.wait_for(session.poller.run_until_done([job_id]), timeout=30)
        assert done.status is JobStatus.SUCCESS
        await session.tagger.drain()
        record = session.ledger.get(job_id)
    assert record is not None and record.tags_state == "applied" and record.tags_at is not None
    assert record.tags_error is None
    assert _server_tags(backend, record.new_image_id) == [("env", "prod"), ("team", "web")]
    assert backend.state.tags.calls == 1  # tagged exactly once
    assert backend.state.copies_created == 1
    assert any(r.tags_state == "applied" for r in seen)  # the fronts saw it (console, jobs watch lines)
    from imstui.api.catalogue import explain
    from imstui.core.report import incident_summary

    assert "tags applied (2): env=prod, team=web" in incident_summary(record, explain)  # the report y copies


async def test_a_refused_tag_set_is_failed_with_its_code_and_the_copy_is_not_repeated(tmp_path: Path) -> None:
    backend = controlled_backend()
    bad = (ImageTag("a=b", "x"),)  # past imstui's own check (stored directly): the server refuses '='
    async with _session(backend, tmp_path / "jobs.sqlite3") as session:
        job_id = await _copy(session, tags=bad)
        await asyncio.wait_for(session.poller.run_until_done([job_id]), timeout=30)
        await session.tagger.drain()
        failed = session.ledger.get(job_id)
        assert failed is not None and failed.tags_state == "failed"
        assert (failed.tags_error or "").startswith("IMG.0001 ") and "invalid character" in (failed.tags_error or "")
        assert failed.status is JobStatus.SUCCESS  # the copy itself is fine
        # a retry applies the tags again, never the copy
        again = await session.tagger.retry(failed.row_id)
        assert again is not None and again.tags_state == "failed"
    assert backend.state.copies_created == 1 and backend.state.tags.calls == 0


async def test_too_many_tags_on_the_new_image_fail_locally_then_a_retry_applies_them(tmp_path: Path) -> None:
    backend = controlled_backend()
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as ledger:
        async with _session(backend, path) as first:
            job_id = await _copy(first)
            # a poller without a tagger (an older imstui, or a process that died before tagging)
            plain = Poller(first.api, ledger, profile="work", **_timing(backend))
            [done] = await asyncio.wait_for(plain.run_until_done([job_id]), timeout=30)
    assert done.status is JobStatus.SUCCESS and done.tags_state == "pending" and done.new_image_id
    full = b'{"action":"create","tags":[' + b",".join(b'{"key":"k%d","value":""}' % n for n in range(10)) + b"]}"
    backend.state.tags.apply(done.new_image_id, full)
    calls = backend.state.tags.calls
    async with _session(backend, path) as second:  # the next start tags what was left pending
        [tried] = await second.tagger.tag_pending()
        assert tried.tags_state == "failed" and (tried.tags_error or "").startswith("tags.count ")
        assert "12 tags" in (tried.tags_error or "")
        backend.state.tags.apply(done.new_image_id, b'{"action":"delete","tags":[{"key":"k0"},{"key":"k1"}]}')
        retried = await second.tagger.retry(tried.row_id)
    assert retried is not None and retried.tags_state == "applied" and retried.tags_error is None
    assert ("env", "prod") in _server_tags(backend, done.new_image_id)
    assert backend.state.tags.calls == calls + 2  # the delete above, then the retry's one create
    assert backend.state.copies_created == 1


async def test_rows_left_pending_are_tagged_when_the_next_poller_starts(tmp_path: Path) -> None:
    backend = controlled_backend()
    path = tmp_path / "jobs.sqlite3"
    async with _session(backend, path) as first:
        job_id = await _copy(first)
    with Ledger(path) as ledger:  # the job finishes while the process that submitted it is gone
        async with _client(backend) as client:
            plain = Poller(client, ledger, profile="work", **_timing(backend))
            await asyncio.wait_for(plain.run_until_done([job_id]), timeout=30)
    assert backend.state.tags.calls == 0
    async with _session(backend, path) as console:
        applied = asyncio.Event()
        console.poller.subscribe(
            lambda e: applied.set() if isinstance(e, JobChanged) and e.record.tags_state == "applied" else None
        )
        run = asyncio.ensure_future(console.poller.run())  # nothing outstanding: only the tagger has work
        await asyncio.wait_for(applied.wait(), timeout=30)
        console.poller.stop()
        await run
        record = console.ledger.get(job_id)
    assert record is not None and _server_tags(backend, record.new_image_id) == [("env", "prod"), ("team", "web")]
    assert backend.state.tags.calls == 1 and backend.state.copies_created == 1


def _timing(backend: DemoBackend) -> dict[str, Any]:
    time = SimTime(backend)
    return {"clock": time.clock, "sleep": time.sleep, "now": time.now}


def _client(backend: DemoBackend) -> Any:
    from imstui.api.client import ImsClient

    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )
