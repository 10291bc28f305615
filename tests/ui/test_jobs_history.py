"""A year of history: the jobs panel shows the newest screenful first (one indexed read), then the whole history
merged in without losing a change the poller reported meanwhile."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from textual.coordinate import Coordinate

from imstui.core.ledger import Ledger
from imstui.core.ledger.window import merge_by_version, newest

from .jobs_factory import NOW, failed, make_record, succeeded
from .test_jobs_panel import Host


def _ledger_with(path: Path, n: int) -> Ledger:
    ledger = Ledger(path)
    for i in range(n):
        row = ledger.record_intent(
            profile="default",
            region="ap-southeast-1",
            project_id="p",
            source_image_id=f"11111111-2222-3333-4444-{i:012d}",
            source_image_name=None,
            name=f"hist-{i:04d}",
            submitted_at=NOW - timedelta(days=365) + timedelta(hours=i),
        )
        ledger.attach_job_id(row, f"ff8080814dbd65d7014dbe{i:010d}")
    return ledger


def test_newest_reads_only_the_latest_rows_oldest_first(tmp_path: Path) -> None:
    with _ledger_with(tmp_path / "jobs.sqlite3", 30) as ledger:
        page = newest(ledger, None, limit=5)
    assert [r.name for r in page] == [f"hist-{i:04d}" for i in range(25, 30)]


def test_merge_keeps_the_newer_version_of_each_row_and_rows_the_read_missed() -> None:
    read = [make_record(1, version=3), make_record(2, version=3)]
    changed = replace(succeeded(make_record(2)), version=4)  # the poller's newer version of row 2
    stale = make_record(1, progress=0.1, version=2)  # older than the read
    new = make_record(3, version=5)  # submitted after the read
    merged = merge_by_version(read, [stale, changed, new])
    assert merged == [read[0], changed, new]
    assert merged[0].progress == read[0].progress


async def test_the_panel_shows_the_first_page_then_the_whole_history_keeping_the_cursor() -> None:
    history = [make_record(i, version=1) for i in range(1, 301)]
    first_page = history[-20:]
    app = Host(first_page)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        assert panel.table.row_count == 20
        await pilot.press("down", "down")
        selected = panel.selected_record
        assert selected is not None and selected.row_id == 298
        panel.update_record(replace(succeeded(history[-1]), version=2))  # the poller, before the history arrives
        panel.load_history(history)
        await pilot.pause()
        assert panel.table.row_count == 300 and len(panel.records) == 300
        assert panel.selected_record is not None and panel.selected_record.row_id == 298
        newest_row = panel.record_for_job(history[-1].job_id or "")
        assert newest_row is not None and newest_row.status is not None and newest_row.status.value == "SUCCESS"
        assert panel.counts.succeeded == 1 and panel.counts.running == 299


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
