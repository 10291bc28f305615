"""The jobs panel's order, sort, hiding, movement keys and layout, as a user sees them (issue 11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from textual.coordinate import Coordinate

from imstui.core.ledger import JobRecord
from imstui.ui.palette import ImstuiCommands
from imstui.ui.screens.job_detail import JobDetailScreen
from imstui.ui.widgets.jobs_table import JobsPanel

from .fakes import FakeApi, fake_app, wait_until
from .jobs_factory import failed, make_record, rendered_text, succeeded
from .screen_text import screen_text
from .test_jobs_panel import Host
from .test_wiring import submit


def shown_rows(panel: JobsPanel) -> list[int]:
    return [int(key.removeprefix("row-")) for key in panel.table.row_keys]


def header(panel: JobsPanel) -> str:
    return rendered_text(panel.table).splitlines()[0]


async def test_newest_first_and_s_cycles_the_sort_column_with_an_indicator_and_S_flips_it() -> None:
    records = [make_record(1, name="bravo"), make_record(2, name="charlie"), make_record(3, name="alpha")]
    app = Host(records)
    async with app.run_test(size=(170, 20)) as pilot:
        panel = app.panel
        assert shown_rows(panel) == [3, 2, 1]  # newest first
        assert "Age ▲" in header(panel)
        await pilot.press("s")
        await pilot.pause()
        assert "Polled ▲" in header(panel) and "Age ▲" not in header(panel)
        for _ in range(5):  # error, job, image, status, progress, then the name
            await pilot.press("s")
        await pilot.press("s")
        await pilot.pause()
        assert panel.sort == ("name", False) and "New image name ▲" in header(panel)
        assert shown_rows(panel) == [3, 1, 2]  # alpha, bravo, charlie
        await pilot.press("S")
        await pilot.pause()
        assert "New image name ▼" in header(panel)
        assert shown_rows(panel) == [2, 1, 3]
        await pilot.press("s")  # the age again: every shown column took its turn
        await pilot.pause()
        assert panel.sort == ("age", False) and shown_rows(panel) == [3, 2, 1]


async def test_a_status_change_moves_the_row_when_sorted_by_status() -> None:
    records = [make_record(1), make_record(2)]
    app = Host(records)
    async with app.run_test(size=(170, 20)) as pilot:
        panel = app.panel
        panel.set_sort("status")
        await pilot.pause()
        assert shown_rows(panel) == [2, 1]  # both RUNNING: newest first
        panel.update_record(failed(records[1]))  # FAILED sorts before RUNNING
        panel.update_record(succeeded(records[0]))
        await pilot.pause()
        assert shown_rows(panel) == [2, 1]
        assert [panel.table.get_cell_at(Coordinate(i, 0)).plain for i in range(2)] == ["✖ FAILED", "✔ SUCCEEDED"]


async def test_j_k_g_G_move_like_down_up_home_end() -> None:
    app = Host([make_record(i) for i in range(1, 6)])
    async with app.run_test(size=(170, 20)) as pilot:
        table = app.panel.table
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 4
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_h_hides_finished_rows_and_lists_them_again() -> None:
    running = make_record(1)
    records = [running, succeeded(make_record(2)), failed(make_record(3))]
    app = Host(records)
    async with app.run_test(size=(170, 20)) as pilot:
        panel = app.panel
        await pilot.press("h")
        await pilot.pause()
        assert shown_rows(panel) == [1]
        assert "1/3 shown: finished hidden (h)" in rendered_text(panel.query_one("#jobs-status"))
        panel.update_record(succeeded(running))  # it finishes while hidden: it leaves the list
        await pilot.pause()
        assert shown_rows(panel) == []
        await pilot.press("h")
        await pilot.pause()
        assert shown_rows(panel) == [3, 2, 1]


async def test_80_columns_keep_status_error_name_age_and_progress_120_the_whole_new_image_id() -> None:
    poll_trouble = make_record(1, last_poll_error="HTTP 503 from the gateway")
    bad = failed(make_record(2), code="IMG.0015")
    app = Host([poll_trouble, bad])
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        assert panel.table.shown_columns == ("status", "progress", "name", "age", "error")
        text = rendered_text(panel.table)
        assert "Error" in header(panel) and "IMG.0015" in text and "poll error" in text
        assert all(len(line.rstrip()) <= 80 for line in text.splitlines())
        await pilot.resize_terminal(120, 34)
        await wait_until(pilot, lambda: "image" in panel.table.shown_columns)
        assert "New image id" in header(panel)
        assert panel.table.shown_columns == ("status", "progress", "name", "age", "error", "image")  # type: ignore[comparison-overlap]


async def test_ages_keep_their_width_so_columns_do_not_shift() -> None:
    young = make_record(1)
    app = Host([young])
    async with app.run_test(size=(170, 20)):
        panel = app.panel
        before = header(panel).index("Error")
        for age in (5, 600, 4000, 90_000):  # "<1m", "10m", "1h06m", "1d01h": the header stays put
            panel.update_record(replace(young, submitted_at=young.submitted_at - timedelta(seconds=age)))
            panel.refresh_times()
            assert header(panel).index("Error") == before


async def test_retries_name_each_other_by_job_id_never_a_row_number() -> None:
    original = failed(make_record(7))
    retry = make_record(8, retry_of=7)
    app = Host([original, retry])
    async with app.run_test(size=(170, 40)) as pilot:
        await pilot.press("enter")  # the retry (newest first)
        await pilot.pause()
        assert isinstance(app.screen, JobDetailScreen)
        body = " ".join(rendered_text(app.screen.query_one("#job-detail-body")).split())
        assert f"Retry of: {original.job_id}" in body and "Retry of: 7" not in body
        assert "Status: RUNNING" in body and "Ledger state" not in body
        await pilot.press("escape", "down", "enter")
        await pilot.pause()
        body = " ".join(rendered_text(app.screen.query_one("#job-detail-body")).split())
        assert f"Retried as: {retry.job_id}" in body and "Status: FAILED" in body


async def test_the_cursor_follows_a_job_just_submitted_and_r_says_what_it_polled(tmp_path: Path) -> None:
    api = FakeApi()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await submit(pilot, app, "first")
        await submit(pilot, app, "second")
        panel = app.screen.query_one(JobsPanel)
        await wait_until(pilot, lambda: panel.table.row_count == 2)
        selected = panel.selected_record
        assert selected is not None and selected.name == "second" and panel.table.cursor_row == 0
        panel.table.focus()
        await pilot.press("j")  # to the older job; a new one brings the cursor back to the top
        await submit(pilot, app, "third")
        await wait_until(pilot, lambda: panel.table.row_count == 3)
        selected = panel.selected_record
        assert selected is not None and selected.name == "third"
        panel.table.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: app.session.poller.paused)
        await pilot.press("r")
        await wait_until(pilot, lambda: any("Polling 3 jobs now" in n.message for n in app._notifications))
        assert "polling stays paused" in " ".join(n.message for n in app._notifications)


async def test_the_footer_fits_80_columns_and_advertises_only_keys_that_work(tmp_path: Path) -> None:
    app = fake_app(tmp_path, FakeApi())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        footer = screen_text(app).splitlines()[-1]
        for item in ("/ Filter", "f Failed", "r Poll", "p Pause", "s Sort", "h Hide done", "q Quit", "palette"):
            assert item in footer, item
        assert "k Credentials" not in screen_text(app)


def test_the_palette_covers_every_action_the_main_screen_advertises() -> None:
    actions = {action for _, action, _ in ImstuiCommands.COMMANDS}
    wanted = {
        "jobs('start_filter')",
        "jobs('toggle_failed')",
        "jobs('details')",
        "jobs('retry')",
        "poll_now",
        "toggle_pause",
        "jobs('toggle_finished')",
        "jobs('cycle_sort')",
        "jobs('flip_sort')",
        "lookup",
        "credentials",
        "help",
        "quit",
    }
    assert wanted <= actions


async def test_a_palette_entry_runs_the_panel_action(tmp_path: Path) -> None:
    app = fake_app(tmp_path, FakeApi())
    records: list[JobRecord] = []
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        panel = app.screen.query_one(JobsPanel)
        panel.load(records)
        await app.run_action("jobs('toggle_finished')")
        assert panel.hide_finished
        await app.run_action("jobs('cycle_sort')")
        assert panel.sort[0] != "age"


def test_r_says_how_many_jobs_it_polls_or_until_when_the_gateway_holds_them() -> None:
    from datetime import datetime, timezone

    from imstui.core.wording import local_clock
    from imstui.ui.widgets.jobs_status import poll_now_text

    until = datetime(2026, 3, 1, 14, 5, 10, tzinfo=timezone.utc)
    assert poll_now_text(3, None, paused=False) == "Polling 3 jobs now."
    assert poll_now_text(1, None, paused=True) == "Polling 1 job now (once: polling stays paused)."
    assert poll_now_text(3, until, paused=False) == f"Polling 3 jobs: throttled until {local_clock(until)}."
    assert poll_now_text(0, None, paused=True) == "Nothing to poll: no unfinished jobs."


async def test_a_changed_cell_repaints_its_row_not_the_whole_table() -> None:
    records = [make_record(i) for i in range(1, 20)]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        table = panel.table
        await pilot.pause()
        full: list[tuple[object, ...]] = []
        rows: list[int] = []
        original_refresh, original_row = table.refresh, table.refresh_row
        table.refresh = lambda *a, **k: (full.append(a), original_refresh(*a, **k))[1]  # type: ignore[method-assign]
        table.refresh_row = lambda i: (rows.append(i), original_row(i))[1]  # type: ignore[method-assign,assignment]
        panel.update_record(replace(records[15], progress=0.5))
        assert rows == [3]  # newest first: row-16 is the fourth row
        assert full and all(len(regions) == 1 and regions[0].height == 1 for regions in full)  # type: ignore[attr-defined]
        await pilot.pause()
        assert "50%" in rendered_text(table).splitlines()[4]
