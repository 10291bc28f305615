"""The main screen's batch rows on the in-process simulator: a batch is one row with its aggregate progress in the
words ``imstui batch list`` uses, updated as its items progress; Enter opens its items; a failed item is retried
from there with exactly one new copy POST (never a succeeded or maybe-sent one); a stored batch is resumed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from imstui.core.batch import UNKNOWN, BatchSpec, BatchStore, SourceRef, prepare_plan
from imstui.core.batch.outcome import outcomes, progress_words
from imstui.sim import seed
from imstui.sim.state import SimState
from imstui.ui.batch_runner import BatchChanged, announce, running_batches, start_batch, store_plan
from imstui.ui.screens.batch_detail import UNKNOWN_ADVICE, BatchDetailScreen
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.job_detail import JobDetailScreen
from imstui.ui.widgets.batch_strip import MAX_ROWS, RECENT, BatchStrip, BatchView

from .fakes import demo_app, wait_until
from .screen_text import screen_text

GOOD = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID)
FAILS = seed.INTERNAL_FAIL_ID  # its copy FAILs by itself (IMG.0014, the error only in entities)


@pytest.fixture
def posts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source id of every copy POST the simulator receives (accepted or not)."""
    seen: list[str] = []
    real: Callable[..., str] = SimState.copy_image

    def copy_image(self: SimState, image_id: str, raw_body: bytes, project_id: str) -> str:
        seen.append(image_id)
        return real(self, image_id, raw_body, project_id)

    monkeypatch.setattr(SimState, "copy_image", copy_image)
    return seen


async def stored(pilot: Any, app: Any, ids: tuple[str, ...], *, start: bool = True) -> int:
    """A batch of ``ids`` planned and stored as the batch form does (and, with ``start``, being sent)."""
    await wait_until(pilot, lambda: app.session is not None)
    spec = BatchSpec(sources=tuple(SourceRef(i) for i in ids), name_template="{name}-b{n}")
    plan, reads = await prepare_plan(app.session.api, spec)
    assert len(plan.ready) == len(ids)
    batch_id = store_plan(app.screen, plan, name_template="{name}-b{n}")
    if start:
        assert start_batch(app.screen, batch_id, reads.images()) is not None
    return batch_id


def strip(app: Any) -> BatchStrip:
    return app.screen_stack[0].query_one(BatchStrip)


def row(app: Any, batch_id: int) -> str:
    """The row of ``batch_id`` as shown ("" when it is not shown)."""
    shown = strip(app)
    if not shown.display or batch_id not in shown.shown:
        return ""
    return str(shown.batch_list.get_option_at_index(shown.shown.index(batch_id)).prompt)


def cli_words(app: Any, batch_id: int) -> str:
    with BatchStore(app.session.ledger) as store:
        return progress_words(outcomes(store, app.session.ledger, batch_id))


async def open_items(pilot: Any, app: Any, batch_id: int) -> BatchDetailScreen:
    await pilot.press("b")
    shown = strip(app)
    await wait_until(pilot, lambda: app.focused is shown.batch_list)
    shown.batch_list.highlighted = shown.shown.index(batch_id)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, BatchDetailScreen))
    screen = app.screen
    assert isinstance(screen, BatchDetailScreen)
    return screen


async def test_no_batch_no_row_then_the_row_follows_its_items_to_success(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None and strip(app).is_mounted)
        assert not strip(app).display  # nothing to show: the strip takes no room

        painted: list[str] = []
        real_paint = BatchStrip._paint

        def paint(self: BatchStrip, rows: Any) -> None:
            painted.extend(str(r) for r in rows)
            real_paint(self, rows)

        BatchStrip._paint = paint  # type: ignore[method-assign]
        try:
            batch_id = await stored(pilot, app, GOOD)
            await wait_until(pilot, lambda: "2/2 done" in row(app, batch_id))
        finally:
            BatchStrip._paint = real_paint  # type: ignore[method-assign]
        text = row(app, batch_id)
        assert text.startswith(f"batch {batch_id}  {{name}}-b{{n}}  2/2 done")
        assert "failed" not in text and "running" not in text
        assert text.split("  ")[2] == cli_words(app, batch_id)  # the words of `imstui batch list`
        done = [int(r.split("  ")[2].split("/")[0]) for r in painted]
        assert len(done) >= 2 and done == sorted(done)  # counted up as the items progressed, never down
        assert any("running" in r or "submitting" in r or "to send" in r for r in painted)
        assert f"batch {batch_id}" in screen_text(app)
        assert sorted(posts) == sorted(GOOD)


async def test_a_failing_item_says_1_failed_its_items_open_and_only_it_is_retried_once(
    tmp_path: Path, posts: list[str]
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        batch_id = await stored(pilot, app, (GOOD[0], FAILS))
        await wait_until(pilot, lambda: "1/2 done, 1 failed" in row(app, batch_id) and not running_batches(app))
        assert "retryable" in row(app, batch_id)
        assert row(app, batch_id).split("  ")[2] == cli_words(app, batch_id)

        detail = await open_items(pilot, app, batch_id)
        table = detail.query_one("#batch-items", DataTable)
        assert table.row_count == 2
        text = screen_text(app)
        assert "✔ SUCCEEDED" in text and "✖ FAILED" in text
        assert "IMG.0014" in text and "1/2 done, 1 failed" in text
        table.move_cursor(row=1)  # the failed item: its code with a short explanation under the table
        await wait_until(pilot, lambda: "Item 2: IMG.0014: " in screen_text(app))

        # R on the succeeded item: never sent again.
        table.move_cursor(row=0)
        await pilot.press("R")
        await wait_until(pilot, lambda: any("not sent again: succeeded" in n.message for n in app._notifications))
        assert app.screen is detail and len(posts) == 2

        # Enter on an item with a job: its job detail.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        job = app.screen
        assert isinstance(job, JobDetailScreen) and job.record.job_id == detail.view.outcomes[0].item.job_id
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)

        # R on the failed item, confirmed: exactly one POST, for it.
        table.move_cursor(row=1)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Retry item 2?" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(posts) == 3 and not running_batches(app))
        assert sorted(posts[:2]) == sorted([GOOD[0], FAILS]) and posts[2] == FAILS  # never the succeeded one
        # It fails again by itself: the detail follows, and F (every failed item) asks first.
        await wait_until(pilot, lambda: "1/2 done, 1 failed" in row(app, batch_id) and app.screen is detail)
        await wait_until(pilot, lambda: detail.view.outcomes[1].item.job_id not in (None, ""))
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # Back: nothing sent
        await wait_until(pilot, lambda: app.screen is detail)
        assert len(posts) == 3
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "1 item(s) will be sent again" in screen_text(app)
        await pilot.press("y")  # every failed item: the one that failed, never the one that succeeded
        await wait_until(pilot, lambda: len(posts) == 4 and not running_batches(app))
        assert posts[3] == FAILS
        await wait_until(pilot, lambda: "1/2 done, 1 failed" in row(app, batch_id))


async def test_an_item_with_an_unknown_outcome_is_never_retried_and_a_stored_batch_resumes(
    tmp_path: Path, posts: list[str]
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        batch_id = await stored(pilot, app, GOOD, start=False)  # stored, then imstui stopped before sending
        with BatchStore(app.session.ledger) as store:  # item 1's POST was in flight: outcome unknown
            store.settle(batch_id, 1, UNKNOWN, reason="no answer within 30 s; the copy may have been accepted")
        announce(app, BatchChanged(batch_id, 1, UNKNOWN))
        await wait_until(pilot, lambda: "0/2 done, 1 to send, 1 outcome unknown" in row(app, batch_id))
        assert "resumable" in row(app, batch_id)

        detail = await open_items(pilot, app, batch_id)
        assert UNKNOWN_ADVICE in screen_text(app)
        detail.query_one("#batch-items", DataTable).move_cursor(row=0)
        await pilot.press("R")
        await wait_until(pilot, lambda: any(UNKNOWN_ADVICE in n.message for n in app._notifications))
        assert app.screen is detail and posts == []

        await pilot.press("s")  # resume: the item not sent yet, never the unknown one
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(posts) == 1 and not running_batches(app))
        assert posts == [GOOD[1]]
        await wait_until(pilot, lambda: "1/2 done, 1 outcome unknown" in row(app, batch_id))
        assert "resumable" not in row(app, batch_id)


async def test_nothing_changed_nothing_repainted(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        batch_id = await stored(pilot, app, GOOD[:1])
        await wait_until(pilot, lambda: "1/1 done" in row(app, batch_id) and not running_batches(app))
        shown = strip(app)
        await wait_until(pilot, lambda: not shown._awaited)
        before, heard = shown.repaints, shown.heard
        for _ in range(5):  # the batch said again as unchanged: read again, but the same words are not repainted
            announce(app, BatchChanged(batch_id))
        await wait_until(pilot, lambda: shown.heard == heard + 5)
        assert shown.repaints == before and "1/1 done" in row(app, batch_id)


async def test_at_most_three_rows_newest_first_then_how_many_more(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        ids = [await stored(pilot, app, GOOD[:1], start=False) for _ in range(MAX_ROWS + 1)]
        shown = strip(app)
        await wait_until(pilot, lambda: len(shown.shown) == MAX_ROWS and shown.older == 1)
        assert shown.shown == sorted(ids, reverse=True)[:MAX_ROWS]
        assert "+1 older: imstui batch list" in screen_text(app)
        assert all("0/1 done, 1 to send" in row(app, b) and "resumable" in row(app, b) for b in shown.shown)
        assert posts == []  # stored only: nothing is sent by showing them


def test_a_settled_batch_is_shown_for_a_day_an_unsettled_one_until_it_settles() -> None:
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    from imstui.core.batch import PENDING, SKIPPED, BatchRecord, ItemRecord
    from imstui.core.batch.outcome import ItemOutcome

    now = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
    batch = BatchRecord(1, now - timedelta(days=3), "p", "r", None, "{name}-x", None, None, None, 5, None)
    item = ItemRecord(
        batch_id=1, position=1, source_image_id="s", source_image_name=None, name="n", description=None,
        cmk_id=None, enterprise_project_id=None, tags=(), verdict="not_eligible", reason="no", state=SKIPPED,
        claim_mark=None, job_row_id=None, job_id=None, error_code=None, flow_waits=0, updated_at=now,
    )  # fmt: skip

    def view(state: str, age: timedelta) -> BatchView:
        return BatchView.of(batch, (ItemOutcome(replace(item, state=state, updated_at=now - age)),))

    assert view(SKIPPED, RECENT - timedelta(minutes=1)).worth_showing(now)
    assert not view(SKIPPED, RECENT + timedelta(minutes=1)).worth_showing(now)
    assert view(PENDING, timedelta(days=30)).worth_showing(now)  # not settled: shown however old


def test_the_main_screen_loads_no_batch_machinery_before_the_first_frame() -> None:
    """The batch rows import the core's batch modules only once a session connects (startup time)."""
    import subprocess
    import sys

    from imstui.core.batch import store
    from imstui.ui.widgets import batch_strip

    assert (batch_strip.PENDING, batch_strip.SENDING) == (store.PENDING, store.SENDING)
    code = "import sys, imstui.ui.screens.main; print([m for m in sys.modules if m.startswith('imstui.core.batch')])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


async def test_a_batch_left_unsent_by_an_earlier_run_is_resumable_at_start(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        batch_id = await stored(pilot, app, GOOD, start=False)
    again = demo_app(tmp_path)  # the same ledger: imstui started again
    async with again.run_test(size=(140, 34)) as pilot:
        await wait_until(pilot, lambda: again.session is not None and "resumable" in row(again, batch_id))
        assert "0/2 done, 2 to send" in row(again, batch_id) and posts == []


async def test_what_another_process_does_to_its_batch_shows_up(
    tmp_path: Path, posts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from imstui.ui.widgets import batch_strip

    monkeypatch.setattr(batch_strip, "REFRESH", 0.05)  # the look for another process's changes, often
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        spec = BatchSpec(sources=tuple(SourceRef(i) for i in GOOD), name_template="{name}-cli")
        plan, _ = await prepare_plan(app.session.api, spec)
        session = app.session
        with BatchStore(session.ledger) as store:  # `imstui copy ...` in another terminal: stored, nothing posted here
            batch_id = store.create(
                plan, profile=session.profile, region=session.region, project_id=None, name_template="{name}-cli",
                max_in_flight=5,
            )  # fmt: skip
        await wait_until(pilot, lambda: "0/2 done, 2 to send" in row(app, batch_id))
        with BatchStore(session.ledger) as store:  # it was killed mid-POST of item 2
            store.settle(batch_id, 2, UNKNOWN, reason="killed")
        await wait_until(pilot, lambda: "0/2 done, 1 to send, 1 outcome unknown" in row(app, batch_id))
        assert posts == []


async def test_a_hostile_template_is_shown_literally(tmp_path: Path, posts: list[str]) -> None:
    hostile = "[/bad] [@click=app.quit]x[/] [b]{name}\x1b[2J"
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        spec = BatchSpec(sources=(SourceRef(GOOD[0]),), name_template="{name}-h")
        plan, _ = await prepare_plan(app.session.api, spec)
        batch_id = store_plan(app.screen, plan, name_template=hostile)
        await wait_until(pilot, lambda: "0/1 done" in row(app, batch_id))
        assert "[/bad] [@click=app.quit]x[/] [b]{name}" in screen_text(app) and app.is_running
        await open_items(pilot, app, batch_id)
        assert "[/bad] [@click=app.quit]x[/] [b]{name}" in screen_text(app) and app.is_running


async def test_the_jobs_panel_lists_every_item_of_a_batch_once_its_jobs_settle(
    tmp_path: Path, posts: list[str]
) -> None:
    """A batch's copies arrive in the ledger together: each one gets its row in the jobs panel under the batch row
    (the panel once stayed at the row count of the first item's arrival, listing 1 job of 4)."""
    from imstui.ui.widgets.jobs_table import JobsPanel

    ids = (*GOOD, seed.CJK_ID, FAILS)
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        batch_id = await stored(pilot, app, ids)
        await wait_until(pilot, lambda: "3/4 done, 1 failed" in row(app, batch_id) and not running_batches(app))
        panel = app.screen_stack[0].query_one(JobsPanel)
        with BatchStore(app.session.ledger) as store:
            job_ids = {o.item.job_id for o in outcomes(store, app.session.ledger, batch_id)}
        assert len(job_ids) == 4 and None not in job_ids

        def listed() -> set[str | None]:
            rows = panel.table.paged_rows
            return {r.job_id for r in (rows.record_at(i) for i in range(len(rows))) if r is not None}

        await wait_until(pilot, lambda: listed() == job_ids)
        await pilot.pause()
        assert listed() == job_ids
        text = screen_text(app)
        assert text.count("✔ SUCCEEDED") == 3 and text.count("✖ FAILED") >= 1
