"""A year of history: the jobs panel reads the ledger a page at a time (the rows on screen, never the history),
counts phases once, and follows each change the poller reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from textual.coordinate import Coordinate

from imstui.api.models import Job, JobStatus
from imstui.core.ledger import Ledger, PollUpdate
from imstui.core.ledger.window import newest

from .fakes import wait_until
from .jobs_factory import NOW, failed, make_record, rendered_text
from .test_jobs_panel import Host


def _ledger_with(path: Path, n: int, *, profile: str = "default") -> Ledger:
    ledger = Ledger(path)
    for i in range(n):
        row = ledger.record_intent(
            profile=profile,
            region="ap-southeast-1",
            project_id="p",
            source_image_id=f"11111111-2222-3333-4444-{i:012d}",
            source_image_name=None,
            name=f"hist-{i:04d}",
            submitted_at=NOW - timedelta(days=365) + timedelta(hours=i),
        )
        ledger.attach_job_id(row, f"ff8080814dbd65d7014dbe{i:010d}")
    return ledger


def _finish(ledger: Ledger, i: int, status: JobStatus) -> None:
    job_id = f"ff8080814dbd65d7014dbe{i:010d}"
    job = Job(
        job_id=job_id, status=status, raw_status=status.value, progress=1.0 if status is JobStatus.SUCCESS else 0.3
    )
    ledger.apply_polls([PollUpdate(job_id=job_id, at=NOW, job=job)])


def test_newest_reads_only_the_latest_rows_oldest_first(tmp_path: Path) -> None:
    with _ledger_with(tmp_path / "jobs.sqlite3", 30) as ledger:
        page = newest(ledger, None, limit=5)
    assert [r.name for r in page] == [f"hist-{i:04d}" for i in range(25, 30)]


async def test_the_panel_over_a_ledger_pages_counts_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    ledger = _ledger_with(path, 450)
    for i in range(0, 450, 10):
        _finish(ledger, i, JobStatus.FAIL)
    app = Host([])
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        panel.use_ledger(path, "default")
        assert panel.table.get_cell_at(Coordinate(0, 2)).plain == "hist-0449"  # newest first, at once
        await wait_until(pilot, lambda: panel.counts.failed == 45)  # the counts (read in a thread) give the count
        assert panel.table.row_count == 450
        assert panel.counts.running == 405
        assert len(panel.table.paged_rows._pages) == 1  # only the page on screen was read
        await pilot.press("G")  # the last row: its page is read, the first one is kept
        assert panel.selected_record is not None and panel.selected_record.name == "hist-0000"
        await pilot.press("g", "down", "down")
        assert panel.selected_record is not None and panel.selected_record.name == "hist-0447"
        # The poller wrote the ledger, then reports: the row is shown as written, the counts follow.
        _finish(ledger, 447, JobStatus.SUCCESS)
        changed = ledger.get(f"ff8080814dbd65d7014dbe{447:010d}")
        assert changed is not None
        panel.update_record(changed)
        assert panel.table.get_cell_at(Coordinate(2, 0)).plain == "✔ SUCCEEDED"
        assert panel.counts.succeeded == 1 and panel.counts.running == 404
        await pilot.press("f")  # failed only: 45 rows, the cursor (not failed) goes to the top
        assert panel.table.row_count == 45 and panel.table.cursor_row == 0
        assert panel.selected_record is not None and panel.selected_record.name == "hist-0440"
        await pilot.press("f")  # all again, the cursor stays on the failed job it was on
        assert panel.table.row_count == 450
        assert panel.selected_record is not None and panel.selected_record.name == "hist-0440"
        await pilot.press("slash", *"hist-012", "enter")
        await wait_until(pilot, lambda: panel.table.row_count == 10)
        assert [panel.table.get_cell_at(Coordinate(i, 2)).plain for i in (0, 9)] == ["hist-0129", "hist-0120"]
        assert "10/450 shown" in rendered_text(panel.query_one("#jobs-status"))
        # A row submitted by another process (no previous version known) takes its place at the top.
        row = ledger.record_intent(
            profile="default",
            region="ap-southeast-1",
            project_id="p",
            source_image_id="src",
            source_image_name=None,
            name="hist-0120-new",
        )
        new = ledger.get_row(row)
        assert new is not None
        panel.update_record(new)
        assert panel.table.row_count == 11 and panel.counts.running == 405  # a submission counts as running
        assert panel.selected_record is not None and panel.selected_record.name == "hist-0129"  # the cursor stayed
    ledger.close()


async def test_the_filter_runs_once_for_keystrokes_queued_behind_it() -> None:
    records = [make_record(i, name=f"web-{i}") for i in range(1, 40)]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        runs: list[str] = []
        original = panel.set_filter

        def counting(text: str) -> None:
            runs.append(text)
            original(text)

        panel.set_filter = counting  # type: ignore[method-assign]
        await pilot.press("slash", *"web-3")
        await pilot.pause()
        assert panel.filter_text == "web-3" and panel.table.row_count == 11  # web-3, web-30..39
        assert len(runs) <= 5 and runs[-1] == "web-3"


async def test_a_view_seen_before_shows_rows_that_changed_since() -> None:
    records = [make_record(i) for i in range(1, 50)]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        await pilot.press("f")
        assert panel.table.row_count == 0  # nothing failed yet
        await pilot.press("f")
        assert panel.table.row_count == 49
        panel.update_record(failed(records[10]))
        await pilot.press("f")  # failed only again: the row that failed meanwhile is listed
        assert [panel.table.get_cell_at(Coordinate(0, 0)).plain] == ["✖ FAILED"]
        assert panel.table.row_count == 1
        await pilot.press("f")
        panel.update_record(replace(records[20], name="renamed-web"))
        panel.set_filter("renamed")
        assert panel.table.row_count == 1
        panel.set_filter("")
        panel.update_record(replace(records[20], name="copy-x"))
        panel.set_filter("renamed")  # the same filter text as before: the renamed row no longer matches
        assert panel.table.row_count == 0
