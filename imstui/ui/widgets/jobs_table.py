"""The jobs panel: every copy job of the active profile, updated in place as the poller reports.

The panel keeps the records (by row key, and by job id) and the filter; it composes the parts that show them: the
status line and the failure strip (:mod:`imstui.ui.widgets.jobs_status`), the table with its row diffing
(:mod:`imstui.ui.widgets.jobs_grid`), and the terminal title and bell (:mod:`imstui.ui.terminal`, the only module
that writes to the terminal directly).

Keys (none of them needs extended keyboard support, so all survive SSH and tmux): ``/`` filter (Esc clears),
``f`` failed-only, ``r`` poll now, ``p`` pause/resume polling, ``c`` copy job id, ``i`` copy new image id,
``y`` copy an incident summary, ``o`` open the new image in lookup, ``R``/``t`` retry a failed copy, ``enter``/``d``
job details, ``s`` sort by the next column, ``S`` flip the sort, ``h`` hide/show finished rows, ``j``/``k``/``g``/``G``
down/up/first/last row. Newest first by default; a column set that fits the width (see
:func:`~imstui.ui.widgets.jobs_grid.columns_for_width`).

The panel posts :class:`JobsPanel.PollNowRequested` and :class:`JobsPanel.PauseToggled`, and the per-job requests
of :class:`~imstui.ui.record_actions.RecordActions` (``RetryRequested``, ``OpenImageRequested``); the app decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import NoScreen
from textual.message import Message
from textual.widgets import Input

from imstui.api.catalogue import explain as catalogue_explain
from imstui.core.jobs import Phase, count_phases, is_finished, phase_of
from imstui.core.ledger import JobRecord
from imstui.core.ledger.window import merge_by_version
from imstui.core.wording import JobCounts
from imstui.ui import terminal
from imstui.ui.attention import TerminalAttention, user_is_elsewhere
from imstui.ui.clipboard import ClipboardMode, CopyResult, copy_text
from imstui.ui.record_actions import RecordActions, record_bindings
from imstui.ui.widgets.jobs_grid import COLUMNS, JobsTable, row_key_for, sort_value
from imstui.ui.widgets.jobs_status import FailureStrip, JobsStatusLine, StatusFacts
from imstui.ui.widgets.jobs_text import Explain, retry_links
from imstui.ui.widgets.jobs_view import JobsViewOptions, view_facts

if TYPE_CHECKING:
    from imstui.core.poller import PollerStatus, PollFailed

__all__ = ["COLUMNS", "JobsPanel", "row_key_for"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class JobsPanel(JobsViewOptions, RecordActions, Vertical):
    """The jobs table with its filter box, a poller status line and a failure strip for the selected row."""

    DEFAULT_CSS = """
    JobsPanel {
        height: 1fr;
    }
    JobsPanel > #jobs-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    JobsPanel > #jobs-filter {
        display: none;
        height: 3;
    }
    JobsPanel.-filtering > #jobs-filter {
        display: block;
    }
    JobsPanel > #jobs-table {
        height: 1fr;
    }
    JobsPanel > #jobs-strip {
        display: none;
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-top: solid $error;
    }
    JobsPanel.-strip > #jobs-strip {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "start_filter", "Filter", id="jobs.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear_filter"),
        Binding("f", "toggle_failed", "Failed", tooltip="Failed only (or all again)", id="jobs.failed_only"),
        Binding("r", "poll_now", "Poll", tooltip="Poll now (once, even while paused)", id="jobs.poll_now"),
        Binding("p", "toggle_pause", "Pause", tooltip="Pause or resume polling", id="jobs.pause"),
        Binding("d", "details", "Details", show=False, id="jobs.details"),
        Binding("s", "cycle_sort", "Sort", id="jobs.sort"),
        Binding("S", "flip_sort", "Flip sort", show=False, id="jobs.flip_sort"),
        Binding(
            "h", "toggle_finished", "Hide done", tooltip="Hide finished rows (or list them)", id="jobs.hide_finished"
        ),
        *record_bindings("jobs"),
    ]

    @dataclass
    class PollNowRequested(Message):
        """Poll now: ``job_id`` for one job, ``None`` for every outstanding job."""

        job_id: str | None = None

    @dataclass
    class PauseToggled(Message):
        """The user pressed ``p``: pause polling if it runs, resume it if paused."""

    def __init__(
        self,
        records: Iterable[JobRecord] = (),
        *,
        explain: Explain = catalogue_explain,
        clock: Callable[[], datetime] = _utcnow,
        clipboard_mode: ClipboardMode | None = None,
        title_prefix: str = "imstui",
        attention: bool = True,
        name: str | None = None,
        id: str | None = "jobs-panel",
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._explain = explain
        self._clock = clock
        self._clipboard_mode = clipboard_mode
        self._records: dict[str, JobRecord] = {}
        self._phases: dict[Phase, int] = count_phases(())  # the counts, kept as records change (never recounted)
        self._phase_by_key: dict[str, Phase] = {}
        self._haystacks: dict[str, str] = {}  # what the filter searches, per row key (built when first filtered)
        # The order of the last few views (filter, failed only, hide finished, sort) as (keys, key -> position):
        # f, h or Esc back to a view seen before is a lookup, not a sort of the whole history.
        self._views: dict[tuple[object, ...], tuple[list[str], dict[str, int]]] = {}
        self._job_index: dict[str, str] = {}
        self._filter = ""
        self._failed_only = False
        self._hide_finished = False
        self._sort = ("age", False)  # newest first
        self._poller_status: PollerStatus | None = None
        self._attention_enabled = attention
        self._title_prefix = title_prefix
        self._attention: TerminalAttention | None = None
        self._initial = list(records)
        self._last_poll_failure: tuple[str | None, str] | None = None
        self._ready = False  # columns exist: before that, load/update_record only remember the records

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        yield JobsStatusLine(self._clock)
        yield Input(placeholder="filter: name, job or image id, status, error code (Esc clears)", id="jobs-filter")
        yield JobsTable(self._clock)
        yield FailureStrip(self._explain)

    def on_mount(self) -> None:
        self.table.add_job_columns(self.app.size.width)
        self.table.set_sort(*self._sort)
        self._ready = True
        if self._attention_enabled:
            self._attention = terminal.attention_for(self.app, self._title_prefix)
        if self._initial:
            self.load(self._initial)
            self._initial = []
        else:
            self._refresh_status_line()
        self.set_interval(1.0, self.refresh_times, name="jobs-panel-clock")

    def on_resize(self) -> None:
        if self._ready:
            self.table.add_job_columns(self.size.width)  # rows are painted on demand: nothing to refill

    def on_unmount(self) -> None:
        self.restore_terminal_title()

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    # ------------------------------------------------------------------ public API

    @property
    def records(self) -> list[JobRecord]:
        """Every record the panel knows (shown or filtered out), oldest first."""
        return list(self._records.values())

    @property
    def selected_record(self) -> JobRecord | None:
        key = self.table.cursor_key
        return self._records.get(key) if key is not None else None

    def row_key_for_job(self, job_id: str) -> str | None:
        return self._job_index.get(job_id)

    def record_for_job(self, job_id: str) -> JobRecord | None:
        key = self._job_index.get(job_id)
        return self._records.get(key) if key is not None else None

    def load(self, records: Iterable[JobRecord]) -> None:
        """Show exactly ``records`` (initial fill or a profile switch) in the sort order (newest first unless the
        user chose another); the cursor stays on the same job when it is still there."""
        if not self._ready:
            self._initial = list(records)
            return
        keep = self.table.cursor_key
        ordered = sorted(records, key=lambda r: (r.submitted_at, str(r.row_id)))
        self._records = {row_key_for(r): r for r in ordered}
        self._phase_by_key = {key: phase_of(r) for key, r in self._records.items()}
        self._phases = count_phases(())
        for phase in self._phase_by_key.values():
            self._phases[phase] += 1
        self._haystacks = {}
        self._views.clear()
        self._job_index = {r.job_id: row_key_for(r) for r in ordered if r.job_id}
        self._rebuild(keep=keep)
        self._counts_changed()

    def load_history(self, records: Iterable[JobRecord], search: Mapping[str, str] | None = None) -> None:
        """Show the whole history after a first page (:func:`imstui.core.ledger.window.newest`): each row as the
        newer of the read and what the panel already shows (a poller change that arrived meanwhile stays).
        ``search``: each read row's :func:`search_text` by row key, worked out off the event loop."""
        known = list(self._records.values()) if self._ready else self._initial
        self.load(merge_by_version(records, known))
        if self._ready:
            self.call_after_refresh(self._warm_failed_view)
        if search:
            self._haystacks.update(search)
            for record in known:  # these may be newer than what ``search`` was made from
                self._haystacks.pop(row_key_for(record), None)

    def _warm_failed_view(self) -> None:
        """Work the failed-only order of the current filter out once the history is shown, so the first ``f``
        is a lookup (the order stays cached until a row's phase or ids change)."""
        if not self._failed_only:
            self._failed_only = True
            try:
                self._view_order()
            finally:
                self._failed_only = False

    def update_record(self, record: JobRecord, previous: JobRecord | None = None) -> None:
        """Apply a new version of a record (a ``JobChanged``, a new submission); a new ``row_id`` takes its place in
        the sort order.

        Only cells whose text changed are written. When the job has just finished and the user is elsewhere (see
        :func:`imstui.ui.attention.user_is_elsewhere`), the bell rings; the terminal title follows the counts.
        """
        if not self._ready:
            self._initial = [r for r in self._initial if r.row_id != record.row_id] + [record]
            return
        key = row_key_for(record)
        before = self._records.get(key, previous)
        failure = self._last_poll_failure
        if failure is not None and failure[0] == record.job_id and not record.last_poll_error:
            self._last_poll_failure = None
        old = self._records.get(key)
        if old is not None:
            self._phases[phase_of(old)] -= 1
        self._phase_by_key[key] = phase_of(record)
        self._phases[self._phase_by_key[key]] += 1
        if old is None or view_facts(old) != view_facts(record):
            self._views.clear()  # a row may move in or out of a view, or change place in one
        self._haystacks.pop(key, None)
        self._records[key] = record
        if record.job_id:
            self._job_index[record.job_id] = key
        table = self.table
        shown = table.has_row(key)
        wanted = self._matches(record)
        column = self._sort[0]
        in_place = shown and before is not None and sort_value(column, before) == sort_value(column, record)
        if wanted and in_place:
            table.put(key, record)
        elif wanted:
            self._rebuild(keep=table.cursor_key)
        elif shown:
            table.drop(key)
            self._refresh_strip()
        if key == table.cursor_key:
            self._refresh_strip()
        self._refresh_open_detail(record)
        ended = is_finished(record) and not (before is not None and is_finished(before))
        self._counts_changed()
        if ended and self._attention is not None and self._user_is_elsewhere(key):
            self._attention.ring()

    def set_poller_status(self, status: PollerStatus | None) -> None:
        """Show the poller's state (running, paused, outstanding, next poll, back-off) in the status line."""
        self._poller_status = status
        if self._ready:
            self._refresh_status_line()

    def poll_failed(self, event: PollFailed) -> None:
        """Show a failed status check in the status line (until that job's row has no poll error again)."""
        self._last_poll_failure = (event.job_id, str(event.error))
        if self._ready:
            self._refresh_status_line()

    def refresh_times(self) -> None:
        """Rewrite the age and "polled … ago" cells that changed (the 1 s timer calls this)."""
        self.table.refresh_times(self._records)
        self._refresh_status_line()

    def copy(self, text: str, what: str) -> CopyResult:
        """Copy ``text`` (sanitised) to the clipboard over OSC 52 and notify the user how it went."""
        result = copy_text(self.app, text, what, mode=self._clipboard_mode)
        self.notify(result.message, severity=result.severity, markup=False)
        return result

    def set_title_prefix(self, prefix: str) -> None:
        """Change the title's prefix (e.g. ``"imstui prod"`` after a profile switch) and rewrite the title."""
        self._title_prefix = prefix
        if self._attention is not None:
            self._attention.prefix = prefix
            self._attention.show_counts(self.counts)

    def restore_terminal_title(self) -> None:
        if self._attention is not None:
            self._attention.restore()

    @property
    def terminal_title(self) -> str | None:
        """The title last written to the terminal (``None`` before any)."""
        return self._attention.title if self._attention is not None else None

    @property
    def counts(self) -> JobCounts:
        return JobCounts.of_phases(self._phases)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Esc belongs to the panel only while a filter is shown; otherwise it goes on to the screen/app bindings.
        if action == "clear_filter":
            return bool(self._filter) or self.has_class("-filtering")
        return True

    def action_start_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one("#jobs-filter", Input)
        box.value = self._filter
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.value = ""
        self.remove_class("-filtering")
        self.set_filter("")
        self.table.focus()

    def follow(self, record: JobRecord) -> None:
        """Put the cursor on ``record``'s row (a job just submitted from this console), if it is shown."""
        if self._ready and self.table.select(row_key_for(record)):
            self._refresh_strip()

    def retry_links(self, record: JobRecord) -> tuple[str | None, list[str]]:
        """``(retry of, retried as)`` by job id, from the records the panel knows."""
        return retry_links(record, self._records.values())

    def action_poll_now(self) -> None:
        self.post_message(JobsPanel.PollNowRequested(None))

    def action_toggle_pause(self) -> None:
        self.post_message(JobsPanel.PauseToggled())

    def action_details(self) -> None:
        record = self.selected_record
        if record is None:
            return
        from imstui.ui.screens.job_detail import JobDetailScreen

        self.app.push_screen(
            JobDetailScreen(
                record,
                explain=self._explain,
                clock=self._clock,
                clipboard_mode=self._clipboard_mode,
                links=self.retry_links,
            )
        )

    # The per-job actions (c, i, y, o, R/t) come from RecordActions; these are its hooks.

    def action_record(self) -> JobRecord | None:
        return self.selected_record

    def copy_record_text(self, text: str, what: str) -> None:
        self.copy(text, what)

    def hand_over(self, message: Message) -> None:
        self.post_message(message)

    # ------------------------------------------------------------------ event handlers

    @on(Input.Changed, "#jobs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.set_filter(event.value)

    @on(Input.Submitted, "#jobs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self._filter:
            self.remove_class("-filtering")
        self.table.focus()

    @on(JobsTable.RowHighlighted, "#jobs-table")
    def _row_highlighted(self, event: JobsTable.RowHighlighted) -> None:
        self._refresh_strip()

    @on(JobsTable.RowSelected, "#jobs-table")
    def _row_selected(self, event: JobsTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    # ------------------------------------------------------------------ internals

    def _rebuild(self, keep: str | None) -> None:
        """Refill the table for a new filter or a new set of records, keeping the cursor on ``keep`` if shown.

        Used only when the *set* of visible rows changes; record updates never come here unless a filter is
        active and the update moves a row in or out of it.
        """
        cached = self._view_order()
        self.table.show_keys(cached[0], cached[1], self._records, keep=keep)
        self._refresh_strip()
        self._refresh_status_line()

    def _refresh_open_detail(self, record: JobRecord) -> None:
        from imstui.ui.screens.job_detail import JobDetailScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, JobDetailScreen) and screen.record.row_id == record.row_id:
                screen.show(record)
            elif isinstance(screen, JobDetailScreen) and record.retry_of == screen.record.row_id:
                screen.show(screen.record)  # a retry of the job shown got its job id

    def _refresh_strip(self) -> None:
        shown = self.query_one(FailureStrip).show(self.selected_record)
        self.set_class(shown, "-strip")

    def _refresh_status_line(self) -> None:
        failure = self._last_poll_failure
        facts = StatusFacts(
            counts=self.counts,
            poller=self._poller_status,
            shown=self.table.row_count if self.is_mounted else 0,
            total=len(self._records),
            filter_text=self._filter,
            failed_only=self._failed_only,
            hide_finished=self._hide_finished,
            poll_error=failure[1] if failure is not None else "",
        )
        self.query_one(JobsStatusLine).show(facts)

    def _counts_changed(self) -> None:
        self._refresh_status_line()
        if self._attention is not None:
            self._attention.show_counts(self.counts)

    def _user_is_elsewhere(self, key: str) -> bool:
        app = self.app
        try:
            on_screen = self.screen is app.screen and self.display and bool(self.region)
        except NoScreen:
            on_screen = False
        return user_is_elsewhere(
            app_focused=bool(app.app_focus), panel_on_active_screen=on_screen, row_visible=self.table.row_visible(key)
        )
