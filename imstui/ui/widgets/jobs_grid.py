"""The jobs table: one row per ledger record, changed in place cell by cell.

Rows are keyed by the ledger ``row_id`` (``row-<id>``: stable from the moment a copy is submitted, before IMS returns
a job id). :meth:`JobsTable.put` writes only the cells whose text or style changed (``update_cell``), so the cursor
and the scroll position stay where the user left them; the table is refilled (:meth:`JobsTable.show`) only when the
set of visible rows changes. Every cell is a ``rich.text.Text`` built from sanitised strings: server text (names,
failure reasons) is never parsed as markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey

from imstui.api.sanitize import sanitize
from imstui.core.jobs import is_failed
from imstui.core.ledger import JobRecord
from imstui.core.wording import KIND_STYLES, format_progress, look_of

__all__ = [
    "COLUMNS",
    "COLUMN_WIDTHS",
    "JobsTable",
    "coarse_age",
    "columns_for_width",
    "row_key_for",
    "sort_records",
    "sort_value",
]

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
HEADERS: dict[str, str] = dict(COLUMNS)
# Every column has a fixed width, so nothing shifts sideways as ages or progress change width (longer text is cut
# with an ellipsis; the detail view shows it in full). The widths fit the longest text each column can show: the
# longest status word, "100%", a coarse age, a UUID image id.
COLUMN_WIDTHS: dict[str, int] = {
    "status": 17,
    "progress": 8,
    "name": 24,
    "age": 6,
    "polled": 12,
    "error": 12,
    "job": 34,
    "image": 36,
}
# Which columns a narrow terminal keeps: the first ones of this list that fit, shown in COLUMNS order. At 80
# columns: status, error, name, age, progress; at 120 the new image id joins them; the rest on wider terminals.
COLUMN_PRIORITY: tuple[str, ...] = ("status", "error", "name", "age", "progress", "image", "polled", "job")
CELL_PADDING = 2  # DataTable's cell_padding on both sides of a cell
SCROLLBAR = 2


def columns_for_width(width: int) -> tuple[str, ...]:
    """The columns shown in a table ``width`` cells wide: by priority while they fit, in the table's order."""
    kept: set[str] = set()
    used = SCROLLBAR
    for key in COLUMN_PRIORITY:
        need = COLUMN_WIDTHS[key] + CELL_PADDING
        if used + need > width and kept:
            break
        kept.add(key)
        used += need
    return tuple(key for key, _ in COLUMNS if key in kept)


def sort_value(column: str, record: JobRecord) -> str | float | None:
    """What ``column`` sorts ``record`` by, ascending as the column reads (the age: youngest first)."""
    if column == "status":
        return look_of(record).word
    if column == "progress":
        return record.progress
    if column == "name":
        return (record.name or "").casefold() or None
    if column == "age":
        return -record.submitted_at.timestamp()
    if column == "polled":
        return -record.last_polled_at.timestamp() if record.last_polled_at is not None else None
    values = {"error": record.error_code, "job": record.job_id, "image": record.new_image_id}
    return values.get(column) or None


def sort_records(
    records: Iterable[tuple[str, JobRecord]], column: str, descending: bool
) -> list[tuple[str, JobRecord]]:
    """``records`` sorted by ``column`` (``descending`` flips it); rows without a value come last, ties newest
    first."""
    base = sorted(records, key=lambda kr: (kr[1].submitted_at, kr[1].row_id), reverse=True)
    present = [kr for kr in base if sort_value(column, kr[1]) is not None]
    missing = [kr for kr in base if sort_value(column, kr[1]) is None]
    present.sort(key=lambda kr: sort_value(column, kr[1]), reverse=descending)  # type: ignore[arg-type,return-value]
    return present + missing


def coarse_age(seconds: float) -> str:
    """An age that changes at most once a minute: ``<1m``, ``42m``, ``5h07m``, ``3d04h`` (the table's idle screen
    then stays still, see the module doc)."""
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    if total < 60:
        return "<1m"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def coarse_ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    return f"{coarse_age((now - then).total_seconds())} ago"


FAILED_ROW_STYLE = "red"


def row_key_for(record: JobRecord) -> str:
    return f"row-{record.row_id}"


def _fingerprint(text: Text) -> tuple[object, ...]:
    return (text.plain, str(text.style), tuple((s.start, s.end, str(s.style)) for s in text.spans))


def _text(value: str | None, style: str = "") -> Text:
    return Text(sanitize(value or ""), style=style, no_wrap=True, overflow="ellipsis")


def _error_cell(record: JobRecord, failed: bool) -> Text:
    if record.error_code:
        return _text(record.error_code, "bold red" if failed else "yellow")
    return Text("poll error" if record.last_poll_error else "", style="yellow", no_wrap=True)


def time_cells(record: JobRecord, now: datetime) -> dict[str, Text]:
    """The cells that change with the clock alone: the age and "polled … ago"."""
    base = FAILED_ROW_STYLE if is_failed(record) else ""
    age = Text(coarse_age((now - record.submitted_at).total_seconds()), style=base, no_wrap=True)
    polled_text = coarse_ago(record.last_polled_at, now)
    if record.last_poll_error:
        polled = Text(f"⚠ {polled_text}", style="yellow", no_wrap=True, overflow="ellipsis")
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
        "error": _error_cell(record, failed),
    }
    cells.update(time_cells(record, now))
    return cells


class JobsTable(DataTable[Text]):
    """The rows of the jobs panel. It shows what it is given; which records exist, which pass the filter and their
    order are the panel's business. ``j``/``k``/``g``/``G`` move like Down/Up/Home/End."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up"),
        Binding("g", "scroll_top", "First row", show=False, id="jobs.first"),
        Binding("G", "scroll_bottom", "Last row", show=False, id="jobs.last"),
    ]

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = "jobs-table") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._clock = clock
        self._cells: dict[str, dict[str, Text]] = {}  # what each row shows now, by row key and column
        self._shown_columns: tuple[str, ...] = ()
        self._sort: tuple[str, bool] = ("age", False)  # (column, descending)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._shown_columns

    def add_job_columns(self, width: int = 0) -> bool:
        """Create the columns that fit ``width`` (0: all); returns whether the set changed (then the rows must be
        filled again with :meth:`show`)."""
        wanted = columns_for_width(width) if width > 0 else tuple(key for key, _ in COLUMNS)
        if wanted == self._shown_columns and self.columns:
            return False
        self.clear(columns=True)
        self._cells = {}
        self._shown_columns = wanted
        for key in wanted:
            self.add_column(self._header(key), key=key, width=COLUMN_WIDTHS[key])
        return True

    def set_sort(self, column: str, descending: bool) -> None:
        """Show the sort indicator (``▲`` ascending, ``▼`` descending) in ``column``'s header."""
        self._sort = (column, descending)
        for key, col in self.columns.items():
            col.label = Text(self._header(str(key.value)))
        self._require_update_dimensions = True
        self.refresh()

    def _header(self, key: str) -> str:
        column, descending = self._sort
        return HEADERS[key] + ((" ▼" if descending else " ▲") if key == column else "")

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

    def select(self, key: str) -> bool:
        """Put the cursor on ``key``'s row (scrolled into view); False when the row is not shown."""
        if key not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False)
        return True

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

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: Text, *, update_width: bool = False
    ) -> None:
        """Textual's ``update_cell``, but repainting only the row it changed (Textual repaints the whole table: with
        jobs polled every few seconds that was most of the bytes the console sent to the terminal)."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        column = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        if row not in self._row_locations or column not in self._column_locations:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
        self._data[row][column] = value
        self._update_count += 1  # the line cache is keyed on this
        index = self._row_locations.get(row)
        if index is not None:
            self.refresh_row(index)

    def _add(self, key: str, record: JobRecord) -> None:
        cells = row_cells(record, self._clock())
        self._cells[key] = dict(cells)
        self.add_row(*(cells[column] for column in self._shown_columns), key=key)

    def _apply(self, key: str, cells: dict[str, Text]) -> int:
        """Write the cells that differ from what the row shows; returns how many were written."""
        current = self._cells.setdefault(key, {})
        written = 0
        for column, text in cells.items():
            if column not in self._shown_columns:
                continue
            old = current.get(column)
            if old is not None and _fingerprint(old) == _fingerprint(text):
                continue
            current[column] = text
            self.update_cell(key, column, text)  # fixed widths: never a relayout
            written += 1
        return written
