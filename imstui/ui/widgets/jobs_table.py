"""The jobs panel: every copy job of the active profile, updated in place as the poller reports.

Rows are keyed by the ledger ``row_id`` (stable from the moment a copy is submitted, before IMS returns a job id);
``row_key_for_job`` finds a row by job id. Updates change only the cells whose text changed (``update_cell``), so
the cursor and the scroll position stay where the user left them. Every cell is a ``rich.text.Text`` built from
sanitised strings: server text (names, failure reasons) is never parsed as markup.

Keys (none of them needs extended keyboard support, so all survive SSH and tmux): ``/`` filter (Esc clears),
``f`` failed-only, ``r`` poll now, ``p`` pause/resume polling, ``c`` copy job id, ``i`` copy new image id,
``y`` copy an incident summary, ``o`` open the new image in lookup, ``R``/``t`` retry a failed copy, ``enter``/``d``
job details.

The panel posts messages for the app: :class:`PollNowRequested`, :class:`PauseToggled`,
:class:`RetryCopyRequested` (alias :data:`RetryRequested`) and :class:`OpenImageRequested` (the last two are the
app-wide classes from :mod:`imstui.ui.messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.dom import NoScreen
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from imstui.api.catalogue import explain as catalogue_explain
from imstui.api.sanitize import sanitize
from imstui.core.jobs import is_failed, is_finished, needs_attention
from imstui.core.ledger import JobRecord
from imstui.core.wording import (
    KIND_STYLES,
    JobCounts,
    count_words,
    format_age,
    format_ago,
    format_progress,
    look_of,
    poller_sentence,
)
from imstui.ui.attention import TerminalAttention, user_is_elsewhere
from imstui.ui.clipboard import ClipboardMode, CopyResult, copy_text
from imstui.ui.messages import OpenImageRequested, RetryCopyRequested
from imstui.ui.poller_text import RESUME_HINT
from imstui.ui.record_actions import RecordActions, record_bindings
from imstui.ui.widgets.jobs_text import Explain, explanation_lines, record_matches

__all__ = [
    "COLUMNS",
    "JobsPanel",
    "OpenImageRequested",
    "PauseToggled",
    "PollNowRequested",
    "RetryCopyRequested",
    "RetryRequested",
    "row_key_for",
]

RetryRequested = RetryCopyRequested

# (column key, header). The key is what update_cell addresses.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("progress", "Progress"),
    ("name", "New image name"),
    ("age", "Age"),
    ("polled", "Polled"),
    ("error", "Error"),
    ("job", "Job id"),
    ("image", "New image id"),
)
# Columns with a fixed width (longer text is cut with an ellipsis; the detail view shows it in full). The short,
# most telling columns come first so an 80-column terminal shows status, progress, name, times and error code.
COLUMN_WIDTHS: dict[str, int] = {"name": 28, "error": 12}
FAILED_ROW_STYLE = "red"


@dataclass
class PollNowRequested(Message):
    """Poll now: ``job_id`` for one job, ``None`` for every outstanding job (the app calls ``poller.poll_now``)."""

    job_id: str | None = None


@dataclass
class PauseToggled(Message):
    """The user pressed ``p``: pause polling if it runs, resume it if paused."""


def row_key_for(record: JobRecord) -> str:
    return f"row-{record.row_id}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _fingerprint(text: Text) -> tuple[object, ...]:
    return (text.plain, str(text.style), tuple((s.start, s.end, str(s.style)) for s in text.spans))


class JobsPanel(RecordActions, Vertical):
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
        Binding("f", "toggle_failed", "Failed only", id="jobs.failed_only"),
        Binding("r", "poll_now", "Poll now", id="jobs.poll_now"),
        Binding("p", "toggle_pause", "Pause/resume", id="jobs.pause"),
        Binding("d", "details", "Details", id="jobs.details"),
        *record_bindings("jobs"),
    ]

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
        self._job_index: dict[str, str] = {}
        self._cells: dict[str, dict[str, Text]] = {}
        self._filter = ""
        self._failed_only = False
        self._poller_status: Any = None
        self._attention_enabled = attention
        self._title_prefix = title_prefix
        self._attention: TerminalAttention | None = None
        self._initial = list(records)
        self._last_poll_failure: tuple[str | None, str] | None = None
        self._status_line: str | None = None
        self._ready = False  # columns exist: before that, load/update_record only remember the records

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        yield Static(id="jobs-status", markup=False)
        yield Input(placeholder="filter: name, job or image id, status, error code (Esc clears)", id="jobs-filter")
        table: DataTable[Text] = DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="jobs-strip", markup=False)

    def on_mount(self) -> None:
        table = self.table
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=COLUMN_WIDTHS.get(key))
        self._ready = True
        if self._attention_enabled:
            self._attention = TerminalAttention(self._write_terminal, self.app.bell, self._title_prefix)
        if self._initial:
            self.load(self._initial)
            self._initial = []
        else:
            self._refresh_status_line()
        self.set_interval(1.0, self.refresh_times, name="jobs-panel-clock")

    def on_unmount(self) -> None:
        self.restore_terminal_title()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#jobs-table", DataTable)

    # ------------------------------------------------------------------ public API

    @property
    def records(self) -> list[JobRecord]:
        """Every record the panel knows (shown or filtered out), oldest first."""
        return list(self._records.values())

    @property
    def selected_record(self) -> JobRecord | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        except CellDoesNotExist:
            return None
        return self._records.get(str(key.value))

    def row_key_for_job(self, job_id: str) -> str | None:
        return self._job_index.get(job_id)

    def record_for_job(self, job_id: str) -> JobRecord | None:
        key = self._job_index.get(job_id)
        return self._records.get(key) if key is not None else None

    def load(self, records: Iterable[JobRecord]) -> None:
        """Show exactly ``records`` (initial fill or a profile switch), oldest first; the cursor stays on the same
        job when it is still there."""
        if not self._ready:
            self._initial = list(records)
            return
        selected = self.selected_record
        ordered = sorted(records, key=lambda r: (r.submitted_at, str(r.row_id)))
        self._records = {row_key_for(r): r for r in ordered}
        self._job_index = {r.job_id: row_key_for(r) for r in ordered if r.job_id}
        self._rebuild(keep=row_key_for(selected) if selected is not None else None)
        self._counts_changed()

    def update_record(self, record: JobRecord, previous: JobRecord | None = None) -> None:
        """Apply a new version of a record (``JobChanged``); a new ``row_id`` is appended.

        Only cells whose text changed are written. When the job has just finished and the user is elsewhere (see
        :func:`imstui.ui.attention.user_is_elsewhere`), the bell rings; the terminal title follows the counts.
        """
        if not self._ready:
            self._initial = [r for r in self._initial if r.row_id != record.row_id] + [record]
            return
        key = row_key_for(record)
        before = self._records.get(key, previous)
        if self._last_poll_failure is not None and self._last_poll_failure[0] == record.job_id:
            if not record.last_poll_error:
                self._last_poll_failure = None
        self._records[key] = record
        if record.job_id:
            self._job_index[record.job_id] = key
        table = self.table
        shown = key in table.rows
        wanted = self._matches(record)
        if shown and wanted:
            self._write_cells(key, record)
        elif wanted and not shown:
            if self._is_last(key):
                self._add_row(key, record)
            else:
                self._rebuild(keep=self._cursor_key())
        elif shown and not wanted:
            self._remove_row(key)
        if key == self._cursor_key():
            self._refresh_strip()
        self._refresh_open_detail(record)
        ended = is_finished(record) and not (before is not None and is_finished(before))
        self._counts_changed()
        if ended and self._attention is not None and self._user_is_elsewhere(key):
            self._attention.ring()

    def set_poller_status(self, status: Any) -> None:
        """Show the poller's state (``imstui.core.poller.PollerStatus``: running, paused, outstanding,
        next_poll_at, backoff_until) in the panel's status line."""
        self._poller_status = status
        if self._ready:
            self._refresh_status_line()

    def handle_poller_event(self, event: Any) -> None:
        """Dispatch a poller event by its shape: ``JobChanged(record, previous)`` -> :meth:`update_record`,
        ``PollerStatus`` -> :meth:`set_poller_status`, ``PollFailed(job_id, error)`` -> the status line."""
        kind = type(event).__name__
        if kind == "JobChanged":
            self.update_record(event.record, getattr(event, "previous", None))
        elif kind == "PollerStatus":
            self.set_poller_status(event)
        elif kind == "PollFailed":
            self._last_poll_failure = (getattr(event, "job_id", None), str(getattr(event, "error", "")))
            if self._ready:
                self._refresh_status_line()

    def refresh_times(self) -> None:
        """Rewrite the age and "polled … ago" cells that changed (the 1 s timer calls this)."""
        table = self.table
        now = self._clock()
        for key in list(table.rows):
            record = self._records.get(str(key.value))
            if record is None:
                continue
            cells = self._time_cells(record, now)
            self._apply_cells(str(key.value), cells)
        self._refresh_status_line()

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def failed_only(self) -> bool:
        return self._failed_only

    def set_filter(self, text: str) -> None:
        """Show only the rows matching ``text`` (case-insensitive on name, ids, status word, error code)."""
        if text == self._filter:
            return
        self._filter = text
        self._rebuild(keep=self._cursor_key())

    def set_failed_only(self, value: bool) -> None:
        """Show only rows needing attention: FAILED, REJECTED, UNKNOWN OUTCOME, GONE."""
        if value == self._failed_only:
            return
        self._failed_only = value
        self._rebuild(keep=self._cursor_key())

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
        return JobCounts.of(self._records.values())

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

    def action_toggle_failed(self) -> None:
        self.set_failed_only(not self._failed_only)

    def action_poll_now(self) -> None:
        self.post_message(PollNowRequested(None))

    def action_toggle_pause(self) -> None:
        self.post_message(PauseToggled())

    def action_details(self) -> None:
        record = self.selected_record
        if record is None:
            return
        from imstui.ui.screens.job_detail import JobDetailScreen

        self.app.push_screen(
            JobDetailScreen(record, explain=self._explain, clock=self._clock, clipboard_mode=self._clipboard_mode)
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

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._refresh_strip()

    @on(DataTable.RowSelected, "#jobs-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    # ------------------------------------------------------------------ internals

    def _matches(self, record: JobRecord) -> bool:
        if self._failed_only and not needs_attention(record):
            return False
        return record_matches(record, self._filter)

    def _cursor_key(self) -> str | None:
        record = self.selected_record
        return row_key_for(record) if record is not None else None

    def _is_last(self, key: str) -> bool:
        """Whether ``key`` sorts after every row already in the table (so appending keeps the order)."""
        keys = list(self._records)
        position = keys.index(key)
        rows = self.table.rows
        return not any(k in rows for k in keys[position + 1 :])

    def _cells_for(self, record: JobRecord, now: datetime) -> dict[str, Text]:
        view = look_of(record)
        failed = is_failed(record)
        base = FAILED_ROW_STYLE if failed else ""
        status_style = KIND_STYLES.get(view.kind, "")
        cells = {
            "status": Text(view.label, style=status_style, no_wrap=True),
            "progress": Text(format_progress(record.progress), style=base, justify="right", no_wrap=True),
            "name": _text(record.name, base),
            "job": _text(record.job_id, base) if record.job_id else Text("(no job id)", style="dim", no_wrap=True),
            "image": _text(record.new_image_id or "–", base),
            "error": _text(record.error_code or "", "bold red" if failed else "yellow"),
        }
        cells.update(self._time_cells(record, now))
        return cells

    def _time_cells(self, record: JobRecord, now: datetime) -> dict[str, Text]:
        failed = is_failed(record)
        base = FAILED_ROW_STYLE if failed else ""
        age = Text(format_age((now - record.submitted_at).total_seconds()), style=base, no_wrap=True)
        polled_text = format_ago(record.last_polled_at, now)
        if record.last_poll_error:
            polled = Text(f"{polled_text} ⚠ poll error", style="yellow", no_wrap=True)
        else:
            polled = Text(polled_text, style=base, no_wrap=True)
        return {"age": age, "polled": polled}

    def _apply_cells(self, key: str, cells: dict[str, Text]) -> int:
        """Write the cells that differ from what the row shows; returns how many were written."""
        current = self._cells.setdefault(key, {})
        written = 0
        table = self.table
        for column, text in cells.items():
            old = current.get(column)
            if old is not None and _fingerprint(old) == _fingerprint(text):
                continue
            current[column] = text
            table.update_cell(key, column, text, update_width=old is None or len(text.plain) > len(old.plain))
            written += 1
        return written

    def _write_cells(self, key: str, record: JobRecord) -> int:
        return self._apply_cells(key, self._cells_for(record, self._clock()))

    def _add_row(self, key: str, record: JobRecord) -> None:
        cells = self._cells_for(record, self._clock())
        self._cells[key] = dict(cells)
        self.table.add_row(*(cells[column] for column, _ in COLUMNS), key=key)

    def _remove_row(self, key: str) -> None:
        try:
            self.table.remove_row(key)
        except RowDoesNotExist:
            pass
        self._cells.pop(key, None)
        self._refresh_strip()

    def _rebuild(self, keep: str | None) -> None:
        """Refill the table for a new filter or a new set of records, keeping the cursor on ``keep`` if shown.

        Used only when the *set* of visible rows changes; record updates never come here unless a filter is
        active and the update moves a row in or out of it.
        """
        table = self.table
        table.clear()
        self._cells = {}
        for key, record in self._records.items():
            if self._matches(record):
                self._add_row(key, record)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._refresh_strip()
        self._refresh_status_line()

    def _refresh_open_detail(self, record: JobRecord) -> None:
        from imstui.ui.screens.job_detail import JobDetailScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, JobDetailScreen) and screen.record.row_id == record.row_id:
                screen.show(record)

    def _refresh_strip(self) -> None:
        strip = self.query_one("#jobs-strip", Static)
        record = self.selected_record
        lines = explanation_lines(record, self._explain) if record is not None else []
        if not lines or record is None:
            self.remove_class("-strip")
            strip.update("")
            return
        view = look_of(record)
        content = Text()
        content.append(view.label, style=KIND_STYLES.get(view.kind, "") or "bold")
        content.append("  ")
        content.append(record.name or "", style="bold")
        for label, value in lines:
            content.append("\n")
            content.append(f"{label}: ", style="bold")
            content.append(value)
        strip.update(content)
        self.add_class("-strip")

    def _refresh_status_line(self) -> None:
        parts = count_words(self.counts)
        line = ", ".join(parts) if parts else "no copy jobs yet for this profile"
        poller = self._poller_line()
        if poller:
            line += f"  ·  {poller}"
        shown = self.table.row_count if self.is_mounted else 0
        if self._filter or self._failed_only:
            how = []
            if self._filter:
                how.append(f'filter "{self._filter}"')
            if self._failed_only:
                how.append("failed only (f)")
            line += f"  ·  {shown}/{len(self._records)} shown: {', '.join(how)}"
        failure = self._last_poll_failure
        if failure is not None and failure[1]:
            line += f"  ·  last poll error: {failure[1]}"
        line = _one_line(line)
        if line != self._status_line:
            self._status_line = line
            self.query_one("#jobs-status", Static).update(Content(line))

    def _poller_line(self) -> str:
        status = self._poller_status
        if status is None:
            return ""
        return poller_sentence(status, self._clock(), resume_hint=RESUME_HINT)

    def _counts_changed(self) -> None:
        self._refresh_status_line()
        if self._attention is not None:
            self._attention.show_counts(self.counts)

    def _write_terminal(self, data: str) -> None:
        app = self.app
        driver = app._driver
        if driver is not None and not app.is_headless:
            driver.write(data)

    def _user_is_elsewhere(self, key: str) -> bool:
        app = self.app
        try:
            on_screen = self.screen is app.screen and self.display and bool(self.region)
        except NoScreen:
            on_screen = False
        return user_is_elsewhere(
            app_focused=bool(app.app_focus), panel_on_active_screen=on_screen, row_visible=self._row_visible(key)
        )

    def _row_visible(self, key: str) -> bool:
        table = self.table
        if key not in table.rows:
            return False
        index = table.get_row_index(key)
        header = table.header_height if table.show_header else 0
        visible = max(0, table.scrollable_content_region.height - header)
        top = int(table.scroll_y)
        return top <= index < top + visible


def _text(value: str | None, style: str = "") -> Text:
    return Text(sanitize(value or ""), style=style, no_wrap=True, overflow="ellipsis")


def _one_line(value: str) -> str:
    return sanitize(value)
