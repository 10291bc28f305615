"""The jobs table: one row per ledger record, changed in place cell by cell.

Rows are keyed by the ledger ``row_id`` (``row-<id>``: stable from the moment a copy is submitted, before IMS returns
a job id). :meth:`JobsTable.put` writes only the cells whose text or style changed (``update_cell``), so the cursor
and the scroll position stay where the user left them; the table is refilled (:meth:`JobsTable.show`) only when the
set of visible rows changes. Every cell is a ``rich.text.Text`` built from sanitised strings: server text (names,
failure reasons) is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from imstui.api.sanitize import sanitize
from imstui.core.jobs import is_failed
from imstui.core.ledger import JobRecord
from imstui.core.wording import KIND_STYLES, format_age, format_ago, format_progress, look_of

__all__ = ["COLUMNS", "COLUMN_WIDTHS", "JobsTable", "row_key_for"]

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


def row_key_for(record: JobRecord) -> str:
    return f"row-{record.row_id}"


def _fingerprint(text: Text) -> tuple[object, ...]:
    return (text.plain, str(text.style), tuple((s.start, s.end, str(s.style)) for s in text.spans))


def _text(value: str | None, style: str = "") -> Text:
    return Text(sanitize(value or ""), style=style, no_wrap=True, overflow="ellipsis")


def time_cells(record: JobRecord, now: datetime) -> dict[str, Text]:
    """The cells that change with the clock alone: the age and "polled … ago"."""
    base = FAILED_ROW_STYLE if is_failed(record) else ""
    age = Text(format_age((now - record.submitted_at).total_seconds()), style=base, no_wrap=True)
    polled_text = format_ago(record.last_polled_at, now)
    if record.last_poll_error:
        polled = Text(f"{polled_text} ⚠ poll error", style="yellow", no_wrap=True)
    else:
        polled = Text(polled_text, style=base, no_wrap=True)
    return {"age": age, "polled": polled}


def row_cells(record: JobRecord, now: datetime) -> dict[str, Text]:
    """Every cell of ``record``'s row."""
    view = look_of(record)
    failed = is_failed(record)
    base = FAILED_ROW_STYLE if failed else ""
    cells = {
        "status": Text(view.label, style=KIND_STYLES.get(view.kind, ""), no_wrap=True),
        "progress": Text(format_progress(record.progress), style=base, justify="right", no_wrap=True),
        "name": _text(record.name, base),
        "job": _text(record.job_id, base) if record.job_id else Text("(no job id)", style="dim", no_wrap=True),
        "image": _text(record.new_image_id or "–", base),
        "error": _text(record.error_code or "", "bold red" if failed else "yellow"),
    }
    cells.update(time_cells(record, now))
    return cells


class JobsTable(DataTable[Text]):
    """The rows of the jobs panel. It shows what it is given; which records exist and which pass the filter is the
    panel's business."""

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = "jobs-table") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._clock = clock
        self._cells: dict[str, dict[str, Text]] = {}  # what each row shows now, by row key and column

    def add_job_columns(self) -> None:
        """Create the columns (once; the panel calls this when it mounts, before its first rows)."""
        if not self.columns:
            for key, label in COLUMNS:
                self.add_column(label, key=key, width=COLUMN_WIDTHS.get(key))

    @property
    def cursor_key(self) -> str | None:
        """The row key under the cursor (None on an empty table)."""
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except CellDoesNotExist:
            return None
        return str(key.value)

    def has_row(self, key: str) -> bool:
        return key in self.rows

    def show(self, rows: Iterable[tuple[str, JobRecord]], *, keep: str | None) -> None:
        """Refill the table with ``rows`` (in order), keeping the cursor on ``keep`` if it is still shown."""
        self.clear()
        self._cells = {}
        for key, record in rows:
            self._add(key, record)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def put(self, key: str, record: JobRecord) -> None:
        """Show ``record`` in its row: the changed cells only, or a new row at the end."""
        if key in self.rows:
            self._apply(key, row_cells(record, self._clock()))
        else:
            self._add(key, record)

    def drop(self, key: str) -> None:
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass
        self._cells.pop(key, None)

    def refresh_times(self, records: Mapping[str, JobRecord]) -> None:
        """Rewrite the age and "polled … ago" cells that changed (the panel's 1 s timer calls this)."""
        now = self._clock()
        for row in list(self.rows):
            key = str(row.value)
            record = records.get(key)
            if record is not None:
                self._apply(key, time_cells(record, now))

    def row_visible(self, key: str) -> bool:
        """Whether ``key``'s row is inside the visible part of the table (not scrolled away, not filtered out)."""
        if key not in self.rows:
            return False
        index = self.get_row_index(key)
        header = self.header_height if self.show_header else 0
        visible = max(0, self.scrollable_content_region.height - header)
        top = int(self.scroll_y)
        return top <= index < top + visible

    def _add(self, key: str, record: JobRecord) -> None:
        cells = row_cells(record, self._clock())
        self._cells[key] = dict(cells)
        self.add_row(*(cells[column] for column, _ in COLUMNS), key=key)

    def _apply(self, key: str, cells: dict[str, Text]) -> int:
        """Write the cells that differ from what the row shows; returns how many were written."""
        current = self._cells.setdefault(key, {})
        written = 0
        for column, text in cells.items():
            old = current.get(column)
            if old is not None and _fingerprint(old) == _fingerprint(text):
                continue
            current[column] = text
            self.update_cell(key, column, text, update_width=old is None or len(text.plain) > len(old.plain))
            written += 1
        return written
