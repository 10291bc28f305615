"""Bounded reads over a long history: streamed selections, the open-rows index, and a poller that starts by reading
only the jobs it has to follow (rows counted, never timed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from imstui.api.models import Job
from imstui.core import jobs
from imstui.core.jobs import OPEN_SQL, ListFilter, Phase
from imstui.core.ledger import JobRecord, Ledger, pages, store
from imstui.core.ledger.schema import MIGRATIONS
from imstui.core.poller import Poller, PollSettings

REGION = "ap-southeast-1"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        yield led


def _job(job_id: str, status: str) -> Job:
    return Job.from_api({"job_id": job_id, "status": status, "entities": {}, "job_type": "copyImage"})


def add(ledger: Ledger, n: int, *, status: str | None, age: timedelta, profile: str = "default") -> str:
    """One submitted row (``status`` None: no answer yet) submitted ``age`` before NOW; returns its job id."""
    row = ledger.record_intent(
        profile=profile,
        region=REGION,
        project_id=PROJECT,
        source_image_id="src",
        source_image_name="base",
        name=f"copy-{n}",
        submitted_at=NOW - age,
    )
    job_id = f"{n:032x}"
    ledger.attach_job_id(row, job_id)
    if status is not None:
        ledger.update_from_job(job_id, _job(job_id, status), NOW - age)
    return job_id


def history(ledger: Ledger, finished: int, open_ids: int) -> list[str]:
    """``finished`` succeeded/failed rows spread over a year, then ``open_ids`` running ones; the open job ids."""
    for n in range(finished):
        add(ledger, n, status="FAIL" if n % 10 == 0 else "SUCCESS", age=timedelta(days=365 * (finished - n) / finished))
    return [add(ledger, finished + n, status="RUNNING", age=timedelta(days=200 - n)) for n in range(open_ids)]


def test_open_sql_is_the_partial_index_condition_and_the_outstanding_query_uses_it(ledger: Ledger) -> None:
    # The shipped index was built on this exact text: if OPEN_SQL ever changed, listings would silently scan.
    assert f"WHERE {OPEN_SQL};" in " ".join(MIGRATIONS[3].split())
    plan = ledger._read(f"EXPLAIN QUERY PLAN SELECT row_id FROM {pages._OPEN_ROWS} WHERE {pages._OUTSTANDING}")
    assert any("jobs_open_rows" in str(step[-1]) for step in plan)


def test_streamed_selections_are_exactly_the_ledger_lists(ledger: Ledger) -> None:
    history(ledger, 40, 3)
    add(ledger, 900, status="INIT", age=timedelta(days=1), profile="other")
    gone = add(ledger, 901, status=None, age=timedelta(days=2))
    ledger.mark_gone(gone, NOW)
    row = ledger.record_intent(
        profile="default", region=REGION, project_id=None, source_image_id="s", source_image_name=None, name="r"
    )
    ledger.mark_rejected(row, "IMG.0001", "no")
    filters: tuple[ListFilter, ...] = ("all", "failed", "running", "outstanding")
    for only in filters:
        for profile in (None, "default", "other"):
            streamed = list(pages.stream(ledger, profile, only=only))
            assert streamed == ledger.list(profile, only=only)
            assert streamed or profile == "other"
            assert pages.count(ledger, profile, only=only) == len(streamed)
    assert [r.job_id for r in pages.outstanding(ledger, "other")] == [f"{900:032x}"]
    since = list(pages.stream(ledger, None, since=NOW - timedelta(days=3)))
    assert {r.name for r in since if isinstance(r, JobRecord)} == {"copy-900", "copy-901", "r"}


def test_default_view_is_in_flight_plus_recent_attention_plus_the_latest(ledger: Ledger) -> None:
    for n in range(30):
        add(ledger, n, status="SUCCESS", age=timedelta(days=100 - n))
    add(ledger, 100, status="FAIL", age=timedelta(days=30))  # needs attention, but not recent: hidden
    add(ledger, 101, status="RUNNING", age=timedelta(days=90))  # outstanding: always shown
    add(ledger, 102, status="FAIL", age=timedelta(days=2))  # recent attention
    for n in range(5):
        add(ledger, 200 + n, status="SUCCESS", age=timedelta(hours=n + 1))
    view, rows = pages.default_view(ledger, None, now=NOW, recent=timedelta(days=7), latest=6)
    names = [r.name for r in rows if isinstance(r, JobRecord)]
    # in flight (90 days old), recent attention, and the latest 6 by submission (five hours and the failure)
    assert names == ["copy-101", "copy-102", "copy-200", "copy-201", "copy-202", "copy-203", "copy-204"]
    assert view.recent_since == NOW - timedelta(days=7)
    _, scoped = pages.default_view(ledger, "nobody", now=NOW)
    assert list(scoped) == []


def test_the_pollers_start_reads_only_the_outstanding_rows(
    ledger: Ledger, jobkit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_ids = history(ledger, 600, 4)
    parsed: list[object] = []

    def counting(row: Any) -> Any:
        parsed.append(row)
        return real(row)

    real = store.parse_row  # type: ignore[attr-defined]  # the name store calls, replaced below
    monkeypatch.setattr(store, "parse_row", counting)
    monkeypatch.setattr(pages, "parse_row", counting)
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    poller = Poller(api, ledger, profile="default", settings=PollSettings(jitter=0.0), clock=clock.monotonic)
    poller._sync_ledger(force=True)
    assert sorted(poller.outstanding_ids()) == sorted(open_ids)
    assert len(parsed) == 4  # not 604: the finished history stayed on disk
    assert sorted(r.job_id or "" for r in poller._follower.cache.values()) == sorted(open_ids)


async def test_finished_jobs_leave_the_pollers_memory(ledger: Ledger, jobkit: Any) -> None:
    clock = jobkit.FakeClock()
    api = jobkit.FakeApi(clock)
    ids = [add(ledger, n, status=None, age=timedelta(0)) for n in range(3)]
    for job_id in ids:
        api.script(job_id, jobkit.job(job_id, "RUNNING", 0.5), jobkit.job(job_id, "SUCCESS"))
    poller = Poller(
        api,
        ledger,
        profile="default",
        settings=PollSettings(jitter=0.0, rate_per_second=None),
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=clock.now,
    )
    records = await asyncio.wait_for(poller.run_until_done(), timeout=30)
    assert [jobs.phase_of(r) for r in records] == [Phase.SUCCEEDED] * 3
    assert poller._follower.cache == {}
