"""The jobs panel: every copy job of the active profile, updated in place as the poller reports.

The panel reads its rows through a :class:`~imstui.core.ledger.view.JobsView`: over the ledger file
(:meth:`JobsPanel.use_ledger`, the console) or over given records (:meth:`JobsPanel.load`, kept in a private
in-memory database). It holds the view options, the per-phase counts (one byte per row, never recounted) and the
pages of the rows on screen, never the history. It composes the parts that show them: the status line and the
failure strip (:mod:`imstui.ui.widgets.jobs_status`), the table (:mod:`imstui.ui.widgets.jobs_grid`), and the
terminal title and bell (:mod:`imstui.ui.terminal`, the only module that writes to the terminal directly).

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import NoScreen
from textual.message import Message
from textual.widgets import Input

from imstui.api.catalogue import explain as catalogue_explain
from imstui.core.jobs import FINISHED, is_finished
from imstui.core.ledger import JobRecord, LedgerError
from imstui.core.ledger.scope import Scope
from imstui.core.ledger.view import JobsView, PhaseCounts
from imstui.core.wording import JobCounts
from imstui.ui import terminal
from imstui.ui.attention import TerminalAttention, user_is_elsewhere
from imstui.ui.record_actions import RecordActions, record_bindings
from imstui.ui.widgets.jobs_counts import LiveCounts, read_counts
from imstui.ui.widgets.jobs_grid import COLUMNS, JobsTable, row_key_for
from imstui.ui.widgets.jobs_rows import PAGE, PagedRows
from imstui.ui.widgets.jobs_status import FailureStrip, JobsStatusLine, StatusFacts
from imstui.ui.widgets.jobs_text import Explain, retry_links
from imstui.ui.widgets.jobs_view import JobsViewOptions

if TYPE_CHECKING:
    from imstui.core.poller import PollerStatus, PollFailed
    from imstui.ui.clipboard import ClipboardMode, CopyResult

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

    @dataclass
    class LedgerUnreadable(Message):
        """The ledger could not answer the panel's view (the first such error of the view; the read showed no
        rows)."""

        error: LedgerError

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
        self._ready = False  # the table exists: before that, changes only reach the view and the counts
        self._attention: TerminalAttention | None = None
        self._view = JobsView.in_memory(records)
        self._counts = LiveCounts(self._view.records())
        self._filter = ""
        self._failed_only = False
        self._hide_finished = False
        self._sort = ("age", False)  # newest first
        self._poller_status: PollerStatus | None = None
        self._attention_enabled = attention
        self._title_prefix = title_prefix
        self._last_poll_failure: tuple[str | None, str] | None = None
        self._provisional = False  # the table's row count waits for the counts (see _rebuild)
        self._filter_pending: str | None = None  # the filter text typed, not yet applied (see _filter_changed)

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
        self._rebuild(keep=None)
        self._counts_changed()
        self.set_interval(1.0, self.refresh_times, name="jobs-panel-clock")

    def on_resize(self) -> None:
        if self._ready:
            self.table.add_job_columns(self.size.width)  # rows are painted on demand: nothing to refill

    def on_unmount(self) -> None:
        self.restore_terminal_title()
        self._view.close()

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    # ------------------------------------------------------------------ public API

    @property
    def records(self) -> list[JobRecord]:
        """Every record of the view's scope (shown or filtered out), oldest first: a read of the whole history,
        for tests and small views; the panel itself never needs it."""
        return self._view.records()

    @property
    def selected_record(self) -> JobRecord | None:
        return self.table.cursor_record if self._ready else None

    def row_key_for_job(self, job_id: str) -> str | None:
        record = self._view.by_job(job_id)
        return row_key_for(record) if record is not None else None

    def record_for_job(self, job_id: str) -> JobRecord | None:
        return self._view.by_job(job_id)

    def load(self, records: Iterable[JobRecord]) -> None:
        """Show exactly ``records`` (held by the panel, not read from a ledger) in the sort order (newest first
        unless the user chose another); the cursor stays on the same job when it is still there."""
        view = JobsView.in_memory(records)
        self._switch(view, LiveCounts(view.records()))

    def use_ledger(self, path: Path, scope: str | Scope | None) -> None:
        """Show the rows of ``scope`` in the ledger file at ``path``: the first screenful at once (one indexed
        read), the per-phase counts read in a thread; then each change the poller reports (:meth:`update_record`)."""
        view = JobsView.open(path, scope)
        view.on_failure = self._ledger_unreadable
        self._switch(view, LiveCounts())

        def read_counts() -> None:  # once the first screenful is painted: the thread then does not delay it
            if view is self._view:
                self.run_worker(
                    lambda: self._read_counts(view, path, scope),
                    thread=True,
                    group="jobs-counts",
                    exclusive=True,
                    exit_on_error=False,
                )

        self.call_after_refresh(read_counts)

    def _ledger_unreadable(self, error: LedgerError) -> None:
        self.post_message(self.LedgerUnreadable(error))  # the app decides (a damaged file ends the session)

    def _switch(self, view: JobsView, counts: LiveCounts) -> None:
        keep = self.table.cursor_record if self._ready else None
        old, self._view, self._counts = self._view, view, counts
        old.close()
        if self._ready:
            self._rebuild(keep=keep)
        self._counts_changed()

    def _read_counts(self, view: JobsView, path: Path, scope: str | Scope | None) -> None:
        """In a thread: the counts of ``view``'s rows, handed to the event loop."""
        found = read_counts(path, scope)
        self.app.call_from_thread(self._counts_read, view, found)

    def _counts_read(self, view: JobsView, found: tuple[int, PhaseCounts] | None) -> None:
        if view is not self._view:
            return  # another ledger (or records) since
        if found is None:
            self._counts.unknown()  # the rows are still shown (and counted by SQL)
        else:
            self._counts.loaded(*found)
        if self._provisional and self._ready:
            self._rebuild(keep=self.table.cursor_record)
        self._counts_changed()

    def update_record(self, record: JobRecord, previous: JobRecord | None = None) -> None:
        """Apply a new version of a record (a ``JobChanged``, a new submission): its line is repainted when it is on
        screen and keeps its place; a row that moves (or a new one) refills the table from the view.

        When the job has just finished and the user is elsewhere (see
        :func:`imstui.ui.attention.user_is_elsewhere`), the bell rings; the terminal title follows the counts.
        """
        if self._view.memory:
            self._view.store([record])
        counted = self._counts.count(record, in_scope=self._view.in_scope(record))
        failure = self._last_poll_failure
        if failure is not None and failure[0] == record.job_id and not record.last_poll_error:
            self._last_poll_failure = None
        if not self._ready:
            self._counts_changed()
            return
        key = row_key_for(record)
        table = self.table
        rows = table.paged_rows
        before = rows.cached(record.row_id) or previous
        # A row the live counts had not counted (a batch's copies are written to the ledger together, then
        # reported one by one): the table's count is one short of the ledger until it is rebuilt.
        new = previous is None and counted is None and self._counts.ready and not self._counts.failed
        action = rows.change(record, previous, in_scope=self._view.in_scope(record), new=new)
        if action == "put":
            table.put(record)
        elif action == "rebuild":
            self._rebuild(keep=table.cursor_record)
        if key == table.cursor_key:
            self._refresh_strip()
        self._refresh_open_detail(record)
        was_finished = is_finished(before) if before is not None else counted is not None and counted in FINISHED
        ended = is_finished(record) and not was_finished
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
        self.table.refresh_times()
        self._refresh_status_line()

    def copy(self, text: str, what: str) -> CopyResult:
        """Copy ``text`` (sanitised) to the clipboard over OSC 52 and notify the user how it went."""
        from imstui.ui.clipboard import copy_text  # on the first copy, not with the first screen

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
        return JobCounts.of_phases(self._counts.counts.counts)

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
        if self._ready and self.spec.matches(record) and self.table.select(row_key_for(record)):
            self._refresh_strip()

    def retry_links(self, record: JobRecord) -> tuple[str | None, list[str]]:
        """``(retry of, retried as)`` by job id, from the rows linked to ``record`` (one query)."""
        return retry_links(record, self._view.retry_links(record))

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
        """Each keystroke only records the text; the filter runs once for the keystrokes queued meanwhile (a
        pending flag: the first one schedules the run, behind the others already waiting)."""
        event.stop()
        first = self._filter_pending is None
        self._filter_pending = event.value
        if first:
            self.call_later(self._apply_filter)

    def _apply_filter(self) -> None:
        text, self._filter_pending = self._filter_pending, None
        if text is not None:
            self.set_filter(text)

    @on(Input.Submitted, "#jobs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filter()
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

    def _rebuild(self, keep: JobRecord | None) -> None:
        """Refill the table for new view options or rows that moved, keeping the cursor on ``keep``'s job when the
        view still shows it: a count (the per-phase counts, or SQL for a text filter) and the pages painted."""
        spec = self.spec
        view = self._view
        self._provisional = False
        if spec.folded or self._counts.failed:
            count = view.count(spec)
        elif self._counts.ready:
            count = self._counts.counts.total(spec.phases())
        else:
            # The counts are being read (a ledger just opened): no scan before the first paint. A view that fits
            # on a page is counted by that page; a longer one shows its first page now, its count comes with the
            # counts (_counts_read).
            count = len(view.page(spec, 0, PAGE + 1))
            self._provisional = count > PAGE
        rows = PagedRows(view, spec, count)
        cursor = None
        fresh = view.get_row(keep.row_id) if keep is not None else None
        if fresh is not None and spec.matches(fresh):
            cursor = rows.index_of(fresh.row_id)
        self.table.show(rows, cursor=cursor)
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
            shown=self.table.row_count if self._ready else 0,
            total=self._counts.counts.total(),
            filter_text=self._filter,
            failed_only=self._failed_only,
            hide_finished=self._hide_finished,
            poll_error=failure[1] if failure is not None else "",
        )
        self.query_one(JobsStatusLine).show(facts)

    def _counts_changed(self) -> None:
        if not self._ready:
            return
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
