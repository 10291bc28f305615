"""The jobs panel in a tiny host app, driven with Pilot: in-place updates, failures, hostile text, keys, copy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate

from imstui.api.catalogue import explain
from imstui.api.models import JobStatus
from imstui.core.ledger import JobRecord
from imstui.ui.record_actions import RecordActions
from imstui.ui.screens.job_detail import JobDetailScreen
from imstui.ui.widgets.jobs_table import JobsPanel, row_key_for

from .jobs_factory import NOW, failed, make_record, rendered_text, succeeded

HOSTILE_REASON = "disk [/bad] [@click=app.quit]x[/] [b]bold? \\[escaped]"
HOSTILE_NAME = "[b]name[/b] [@click=app.quit]q[/]"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Host(App[None]):
    def __init__(self, records: list[JobRecord], clock: Clock | None = None, **panel_options: Any) -> None:
        super().__init__()
        self.records = records
        self.clock = clock or Clock()
        self.panel_options = panel_options
        self.received: list[Any] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield JobsPanel(self.records, clock=self.clock, **self.panel_options)

    def on_mount(self) -> None:
        self.panel.table.focus()

    @property
    def panel(self) -> JobsPanel:
        return self.query_one(JobsPanel)

    def bell(self) -> None:
        self.bells += 1

    @on(JobsPanel.PollNowRequested)
    @on(JobsPanel.PauseToggled)
    @on(RecordActions.RetryRequested)
    @on(RecordActions.OpenImageRequested)
    def _record(self, message: Any) -> None:
        self.received.append(message)


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local time zone is UTC (then each time is printed once, in UTC)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def cell(panel: JobsPanel, record: JobRecord, column: str) -> str:
    return panel.table.get_cell(row_key_for(record), column).plain


# ----------------------------------------------------------------------------- in-place updates


async def test_updates_change_cells_in_place_and_keep_cursor_and_scroll() -> None:
    records = [make_record(i) for i in range(200)]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        table = panel.table
        assert table.row_count == 200
        for _ in range(4):
            await pilot.press("pagedown")
        await pilot.press("down", "down")
        await pilot.pause()
        cursor, scroll = table.cursor_row, table.scroll_y
        assert cursor > 50 and scroll > 0
        at = 199 - cursor  # newest first: row i shows records[199 - i]
        assert panel.selected_record == records[at]
        refills: list[int] = []
        original_show = table.show

        def counting_show(*a: Any, **k: Any) -> Any:
            refills.append(1)
            return original_show(*a, **k)

        table.show = counting_show  # type: ignore[method-assign]

        for record in records[::3]:
            panel.update_record(replace(record, progress=0.75, last_polled_at=NOW))
        panel.update_record(failed(records[at]))
        panel.update_record(succeeded(records[at - 1]))
        panel.update_record(succeeded(records[0]))
        await pilot.pause()

        assert (table.cursor_row, table.scroll_y, table.row_count) == (cursor, scroll, 200)
        assert refills == []
        assert cell(panel, records[3], "progress") == "75%"
        assert cell(panel, records[3], "polled") == "<1m ago"
        assert cell(panel, records[at], "status") == "✖ FAILED"
        assert cell(panel, records[at - 1], "status") == "✔ SUCCEEDED"
        assert panel.selected_record is not None and panel.selected_record.row_id == records[at].row_id


async def test_clock_ticks_rewrite_only_the_time_columns() -> None:
    clock = Clock()
    record = replace(make_record(1), submitted_at=NOW - timedelta(minutes=10))  # its age reads 10m for a minute
    app = Host([record], clock=clock)
    async with app.run_test(size=(170, 20)) as pilot:
        panel = app.panel
        assert cell(panel, record, "polled") == "<1m ago"
        repainted: list[int] = []
        original = panel.table.refresh_row

        def recording_refresh_row(index: int) -> None:
            repainted.append(index)
            original(index)

        panel.table.refresh_row = recording_refresh_row  # type: ignore[method-assign]
        await pilot.pause()  # the row is painted once
        clock.now = NOW + timedelta(seconds=40)
        panel.refresh_times()  # polled 45 s ago: its coarse text ("<1m ago") did not change, so it is not repainted
        assert repainted == []
        clock.now = NOW + timedelta(seconds=60)
        panel.refresh_times()
        assert cell(panel, record, "polled") == "1m ago"
        assert repainted == [0]  # only that row's line, once
        await pilot.pause()
        assert "1m ago" in rendered_text(panel.table)
        repainted.clear()
        panel.refresh_times()  # nothing changed since it was painted: nothing repainted
        assert repainted == []


async def test_a_submission_without_job_id_keeps_its_row_when_the_id_arrives() -> None:
    pending = make_record(5, job_id=None, state="submitting", status=None, last_polled_at=None)
    app = Host([make_record(1), pending])
    async with app.run_test(size=(170, 20)):
        panel = app.panel
        assert cell(panel, pending, "job") == "(no job id)"
        assert cell(panel, pending, "status") == "↑ SUBMITTING"
        attached = replace(pending, job_id="job-attached-5", state="submitted")
        panel.update_record(attached)
        assert panel.table.row_count == 2
        assert cell(panel, attached, "job") == "job-attached-5"
        assert panel.record_for_job("job-attached-5") == attached
        newcomer = make_record(9)
        panel.update_record(newcomer)
        assert panel.table.row_count == 3
        assert panel.table.get_row_index(row_key_for(newcomer)) == 0  # newest first


# ----------------------------------------------------------------------------- failures


async def test_failed_row_shows_code_reason_and_the_catalogues_next_step() -> None:
    bad = failed(make_record(2), code="IMG.0015", reason="private image quota exceeded")
    app = Host([make_record(1), bad, succeeded(make_record(3))])
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        assert cell(panel, bad, "status") == "✖ FAILED"
        assert cell(panel, bad, "error") == "IMG.0015"
        assert "red" in str(panel.table.get_cell(row_key_for(bad), "status").style)
        strip = panel.query_one("#jobs-strip")
        assert not strip.display  # the cursor is on a healthy row
        await pilot.press("down")
        await pilot.pause()
        assert strip.display
        info = explain("IMG.0015")
        assert info is not None
        shown = " ".join(rendered_text(strip).split())
        for expected in ("✖ FAILED", "IMG.0015", "private image quota exceeded", info.meaning, info.next_step):
            assert " ".join(expected.split()) in shown
        await pilot.press("down")
        await pilot.pause()
        assert not strip.display


async def test_hostile_job_text_is_shown_literally_and_the_app_survives() -> None:
    bad = failed(make_record(2, name=HOSTILE_NAME), code="[red]IMG.0015[/red]", reason=HOSTILE_REASON)
    odd = make_record(1, name="[/]", last_poll_error="[@click=app.quit]oops[/]")
    app = Host([bad, odd])
    async with app.run_test(size=(170, 40)) as pilot:
        panel = app.panel
        assert cell(panel, bad, "name") == HOSTILE_NAME
        assert cell(panel, bad, "error") == "[red]IMG.0015[/red]"
        strip_text = rendered_text(panel.query_one("#jobs-strip"))
        assert HOSTILE_REASON in strip_text and HOSTILE_NAME in strip_text
        assert HOSTILE_NAME[:22] in rendered_text(panel.table)  # the name column is 24 wide, cut with …
        await pilot.click("#jobs-strip")  # a parsed [@click] would quit the app here
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, JobDetailScreen)
        body = rendered_text(app.screen.query_one("#job-detail-body"))
        assert HOSTILE_REASON in body and HOSTILE_NAME in body and "[red]IMG.0015[/red]" in body
        await pilot.click("#job-detail-body")
        await pilot.press("escape", "down")
        await pilot.pause()
        assert "[@click=app.quit]oops[/]" in rendered_text(panel.query_one("#jobs-strip"))
        assert app.is_running and app.return_code is None


# ----------------------------------------------------------------------------- filter and failed-only


async def test_slash_filter_matches_name_and_ids_and_escape_clears_it() -> None:
    records = [make_record(1, name="web-gold"), make_record(2, name="db-base"), failed(make_record(3, name="Web-X"))]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        await pilot.press("slash")
        await pilot.press(*"WEB")
        await pilot.pause()
        assert panel.table.row_count == 2
        assert panel.filter_text == "WEB"
        await pilot.press("enter")  # back to the table, filter kept
        await pilot.pause()
        assert panel.table.has_focus and panel.table.row_count == 2
        await pilot.press("escape")
        await pilot.pause()
        assert panel.table.row_count == 3 and panel.filter_text == ""
        await pilot.press("slash", *(records[1].job_id or "")[-4:], "escape")
        await pilot.pause()
        assert panel.table.row_count == 3  # Esc in the box clears too
        await pilot.press("slash", *"failed", "enter")
        await pilot.pause()
        assert [r.row_id for r in panel.records if row_key_for(r) in panel.table.rows] == [3]


async def test_failed_only_toggle_and_updates_under_it() -> None:
    records = [
        make_record(1),
        failed(make_record(2)),
        make_record(3, state="outcome_unknown", job_id=None, status=None),
        succeeded(make_record(4)),
    ]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        await pilot.press("f")
        await pilot.pause()
        assert panel.failed_only and panel.table.row_count == 2
        assert "failed only" in rendered_text(panel.query_one("#jobs-status"))
        panel.update_record(failed(records[0]))  # a running job fails: it appears, in order (newest first)
        await pilot.pause()
        shown = [panel.table.get_cell_at(Coordinate(i, 6)).plain for i in range(panel.table.row_count)]
        assert shown == ["(no job id)", records[1].job_id, records[0].job_id]
        await pilot.press("f")
        await pilot.pause()
        assert panel.table.row_count == 4


# ----------------------------------------------------------------------------- details


async def test_detail_view_shows_every_field_explanation_poll_error_and_utc_times(utc_zone: None) -> None:
    record = replace(failed(make_record(4), code="IMG.0095", reason="kms key missing"), last_poll_error="HTTP 503")
    app = Host([record])
    async with app.run_test(size=(170, 50)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobDetailScreen)
        body = " ".join(rendered_text(screen.query_one("#job-detail-body")).split())
        info = explain("IMG.0095")
        assert info is not None
        for expected in (
            record.job_id or "(no job id)",
            record.source_image_id or "(no source)",
            "✖ FAILED",
            "kms key missing",
            info.next_step,
            "Last poll error: HTTP 503",
            "Submitted: 2024-05-01 11:30:04 UTC",  # TZ=UTC here: each time once, not "UTC (… UTC)"
            "Finished:",
            "Project id:",
            "Polls: 3",
        ):
            assert " ".join(expected.split()) in body, expected
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JobDetailScreen)


# ----------------------------------------------------------------------------- keys that post messages


async def test_keys_post_messages_for_the_app() -> None:
    done = succeeded(make_record(2), image_id="img-new-1")  # the newest: first row
    bad = failed(make_record(1))
    app = Host([done, bad])
    async with app.run_test(size=(170, 30)) as pilot:
        await pilot.press("r", "p", "o", "R")  # R on a successful job: refused with a notification
        await pilot.pause()
        await pilot.press("down", "R", "t")
        await pilot.pause()
        kinds = [type(m).__name__ for m in app.received]
        assert kinds == [
            "PollNowRequested",
            "PauseToggled",
            "OpenImageRequested",
            "RetryRequested",
            "RetryRequested",
        ]
        assert app.received[0].job_id is None
        assert app.received[2].image_id == "img-new-1"
        assert app.received[3].record == bad
        assert any("can be retried" in n.message for n in app._notifications)


# ----------------------------------------------------------------------------- clipboard


async def test_copy_keys_put_sanitised_text_on_the_clipboard_and_say_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,123,0")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sk-must-never-leak-0123")
    bad = failed(make_record(1, new_image_id="img-\x1b[31mnew"), code="IMG.0015", reason="quota\x1b]0;t\x07 hit")
    app = Host([bad])
    async with app.run_test(size=(170, 30)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == bad.job_id
        messages = [n.message for n in app._notifications]
        assert messages[-1].startswith("copied job id via OSC 52 (tmux passthrough)")
        assert "set -g set-clipboard on" in messages[-1]
        await pilot.press("i")
        await pilot.pause()
        assert app.clipboard == "img-new"
        await pilot.press("y")
        await pilot.pause()
        report = app.clipboard
        assert bad.job_id in report and "IMG.0015" in report and "quota hit" in report
        assert "UTC" in report and "imstui:" in report and "ap-southeast-1" in report
        assert "\x1b" not in report and "sk-must-never-leak-0123" not in report


async def test_clipboard_off_copies_nothing_and_says_so() -> None:
    record = make_record(1)
    app = Host([record], clipboard_mode="off")
    async with app.run_test(size=(170, 30)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == ""
        assert "clipboard is off" in [n.message for n in app._notifications][-1]


# ----------------------------------------------------------------------------- attention


async def test_bell_rings_when_a_job_ends_while_the_user_is_elsewhere() -> None:
    records = [make_record(i) for i in range(3)]
    app = Host(records)
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        assert panel.terminal_title == "imstui: 3 running"
        panel.update_record(succeeded(records[0]))  # user is looking at it: no bell
        await pilot.pause()
        assert app.bells == 0
        app.app_focus = False  # the terminal window lost focus
        panel.update_record(failed(records[1]))
        panel.update_record(replace(failed(records[1]), fail_reason="again"))  # already finished: no second bell
        await pilot.pause()
        assert app.bells == 1
        assert panel.terminal_title == "imstui: 1 running, 1 FAILED"
        app.app_focus = True
        panel.update_record(replace(records[2], progress=0.9))  # progress is not an ending
        assert app.bells == 1
        app.push_screen(JobDetailScreen(records[2]))  # another screen on top
        await pilot.pause()
        panel.update_record(replace(records[2], state="submitted", gone=True))
        assert app.bells == 2


async def test_bell_rings_for_a_row_scrolled_out_of_view() -> None:
    records = [make_record(i) for i in range(100)]
    app = Host(records)
    async with app.run_test(size=(170, 20)):
        panel = app.panel
        panel.update_record(succeeded(records[0]))  # the oldest: far below the visible rows
        assert app.bells == 1
        panel.update_record(succeeded(records[98]))  # on screen
        assert app.bells == 1


# ----------------------------------------------------------------------------- NO_COLOR


async def test_no_color_still_shows_status_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    records = [
        make_record(1),
        failed(make_record(2)),
        succeeded(make_record(3)),
        make_record(4, state="outcome_unknown", job_id=None, status=None),
        make_record(5, status=JobStatus.INIT),
        make_record(6, gone=True),
    ]
    app = Host(records)
    async with app.run_test(size=(170, 20)):
        assert app.no_color
        table_text = rendered_text(app.panel.table)
        for word in ("● RUNNING", "✖ FAILED", "✔ SUCCEEDED", "? OUTCOME UNKNOWN", "… STARTING", "⌛ GONE"):
            assert word in table_text


async def test_escape_without_a_filter_is_left_to_the_screen_and_an_open_detail_follows_updates() -> None:
    record = make_record(1)
    app = Host([record])
    app.bind("escape", "escape_seen")
    seen: list[int] = []
    app.action_escape_seen = lambda: seen.append(1)  # type: ignore[attr-defined]
    async with app.run_test(size=(170, 30)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert seen == [1]
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, JobDetailScreen)
        app.panel.update_record(failed(record, code="IMG.0060", reason="too many jobs"))
        await pilot.pause()
        assert "too many jobs" in rendered_text(detail.query_one("#job-detail-body"))


async def test_title_prefix_follows_the_profile() -> None:
    app = Host([make_record(1), failed(make_record(2))])
    async with app.run_test(size=(170, 30)):
        app.panel.set_title_prefix("imstui prod\x1b]0;x\x07")
        assert app.panel.terminal_title == "imstui prod: 1 running, 1 FAILED"


class EarlyHost(Host):
    """Feeds the panel before it is mounted, as an app may when the ledger is read during compose."""

    def compose(self) -> ComposeResult:
        panel = JobsPanel(clock=self.clock)
        panel.load(self.records)
        panel.update_record(failed(self.records[0]))
        yield panel


async def test_records_given_before_mount_are_shown_and_poller_status_is_readable() -> None:
    from imstui.core.poller import PollerStatus
    from imstui.core.wording import local_clock

    app = EarlyHost([make_record(1), make_record(2)])
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        assert panel.table.row_count == 2
        assert cell(panel, app.records[0], "status") == "✖ FAILED"
        status_line = panel.query_one("#jobs-status")
        panel.set_poller_status(PollerStatus(True, False, 1, NOW + timedelta(seconds=8), None))
        await pilot.pause()
        assert "1 running, 1 FAILED" in rendered_text(status_line)
        assert "next poll" not in rendered_text(status_line)  # the countdown is the status bar's (no repaint here)
        panel.set_poller_status(PollerStatus(True, False, 1, None, NOW + timedelta(seconds=30)))
        await pilot.pause()
        assert f"backing off until {local_clock(NOW + timedelta(seconds=30))}" in rendered_text(status_line)
        panel.set_poller_status(PollerStatus(True, True, 1, None, None))
        await pilot.pause()
        assert "paused (p resumes)" in rendered_text(status_line)


async def test_a_change_and_a_failed_poll_are_shown() -> None:
    from imstui.api.errors import ImstuiError
    from imstui.core.poller import PollFailed

    record = make_record(1)
    app = Host([record])
    async with app.run_test(size=(170, 30)) as pilot:
        panel = app.panel
        panel.update_record(succeeded(record), record)
        panel.poll_failed(PollFailed(record.job_id or "", ImstuiError("[b]gateway said no[/b]")))
        await pilot.pause()
        assert cell(panel, record, "status") == "✔ SUCCEEDED"
        assert "last poll error: [b]gateway said no[/b]" in rendered_text(panel.query_one("#jobs-status"))


async def test_detail_view_keys_act_like_the_panel_keys_and_warn_before_retrying_an_unknown_outcome() -> None:
    unknown = replace(make_record(1), state="outcome_unknown", job_id=None)
    app = Host([unknown])
    async with app.run_test(size=(170, 30)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, JobDetailScreen)
        await pilot.press("c", "o")  # no job id, no new image: both refused with the reason
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("has no job id" in m for m in messages) and any("no new image id yet" in m for m in messages)
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, JobDetailScreen)
        assert [type(m).__name__ for m in app.received] == ["RetryRequested"]
        assert any("first copy may exist" in n.message for n in app._notifications)
