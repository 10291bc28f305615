"""The jobs panel's counts over a ledger: read once, then moved by each change; a change that arrived while they were
read is counted once, whether or not the read already saw it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from imstui.api.models import Job, JobStatus
from imstui.core.ledger import Ledger, PollUpdate
from imstui.ui.widgets.jobs_counts import LiveCounts, read_counts

from .jobs_factory import NOW


def _submitted(ledger: Ledger, n: int) -> list[str]:
    ids = []
    for i in range(n):
        row = ledger.record_intent(
            profile="default", region="r", project_id="p", source_image_id="s", source_image_name=None, name=f"c{i}"
        )
        ledger.attach_job_id(row, f"{i:032x}")
        ids.append(f"{i:032x}")
    return ids


def _finish(ledger: Ledger, job_id: str, status: JobStatus) -> None:
    job = Job(job_id=job_id, status=status, raw_status=status.value, progress=1.0)
    ledger.apply_polls([PollUpdate(job_id=job_id, at=NOW, job=job)])


def test_changes_during_the_read_are_counted_once(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        ids = _submitted(ledger, 4)
        live = LiveCounts()
        _finish(ledger, ids[0], JobStatus.SUCCESS)  # written before the read: the read sees it
        seen = ledger.get(ids[0])
        found = read_counts(ledger.path, "default")
        _finish(ledger, ids[1], JobStatus.FAIL)  # written after the read
        late = ledger.get(ids[1])
        assert seen is not None and late is not None and found is not None
        assert live.count(seen, in_scope=True) is None  # not known yet: kept
        assert live.count(late, in_scope=True) is None
        live.loaded(*found)
        counts = live.counts.counts
        assert [counts[p] for p in (seen.phase, late.phase)] == [1, 1]
        assert live.counts.total() == 4
        again = replace(late, progress=0.5)  # the same phase told again: nothing moves
        assert live.count(again, in_scope=True) == late.phase and live.counts.total() == 4
        assert live.count(again, in_scope=False) == late.phase  # left the scope: out of the counts
        assert live.counts.total() == 3


def test_an_unreadable_ledger_leaves_the_counts_unknown(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "jobs.sqlite3"
    assert read_counts(missing, "default") is None
