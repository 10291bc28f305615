"""The jobs table: a line-API widget (Textual's ``ScrollView`` + ``render_line``) that paints only the rows on screen.

It holds the shown rows as an ordered list of row keys (``row-<ledger row_id>``: stable from the moment a copy is
submitted, before IMS returns a job id) and their records; a row's cells are built (:func:`row_cells`) when its line
is painted, never for rows scrolled away, so 100,000 rows cost a list and a dict, not 100,000 widgets' worth of
cells. :meth:`JobsTable.put` repaints one line; :meth:`JobsTable.show` swaps the list (a new filter or sort) and
keeps the cursor on the same job. Ages and "polled … ago" are computed at paint time in coarse units; the clock tick
(:meth:`JobsTable.refresh_times`) repaints a visible line only when its coarse text changed, so an unchanged screen
causes no repaint. Every cell is a ``rich.text.Text`` built from sanitised strings: server text is never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imstui.core.ledger import JobRecord
from imstui.ui.widgets.jobs_cells import (
    COLUMN_WIDTHS,
    COLUMNS,
    HEADERS,
    coarse_age,
    columns_for_width,
    row_cells,
    row_key_for,
    sort_records,
    sort_value,
    time_cells,
)

__all__ = [
    "COLUMNS",
    "COLUMN_WIDTHS",
    "HEADERS",
    "JobsTable",
    "coarse_age",
    "columns_for_width",
    "row_key_for",
    "sort_records",
    "sort_value",
]

PAD = 1  # blank cells on each side of a column's text


def _cell_text(text: Text, width: int) -> Text:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells, with the column padding around it."""
    cell = text.copy()
    cell.truncate(width, overflow="ellipsis")
    room = width - cell.cell_len
    if room > 0:
        if text.justify == "right":
            cell = Text(" " * room) + cell
        else:
            cell.pad_right(room)
    return Text(" " * PAD) + cell + Text(" " * PAD)


class _RowCursorKeys(ScrollView):
    """The keys every list has (a DataTable's): arrows, page up/down, Home/End move the cursor, Enter selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
        Binding("enter", "select_cursor", "Select", show=False),
    ]


class JobsTable(_RowCursorKeys, can_focus=True):
    """The rows of the jobs panel. It shows what it is given; which records exist, which pass the filter and their
    order are the panel's business. ``j``/``k``/``g``/``G`` move like Down/Up/Home/End; Enter selects."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"jobs-table--header", "jobs-table--cursor", "jobs-table--even-row"}

    DEFAULT_CSS = """
    JobsTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .jobs-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .jobs-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .jobs-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .jobs-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .jobs-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up"),
        Binding("g", "scroll_top", "First row", show=False, id="jobs.first"),
        Binding("G", "scroll_bottom", "Last row", show=False, id="jobs.last"),
    ]

    @dataclass
    class RowHighlighted(Message):
        """The cursor moved to the row ``key``."""

        table: JobsTable
        key: str | None

        @property
        def control(self) -> JobsTable:
            return self.table

    @dataclass
    class RowSelected(Message):
        """Enter (or a click on the highlighted row) on the row ``key``."""

        table: JobsTable
        key: str

        @property
        def control(self) -> JobsTable:
            return self.table

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = "jobs-table") -> None:
        super().__init__(id=id)
        self._clock = clock
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._records: dict[str, JobRecord] = {}
        self._shared = False  # the three above belong to the caller (show_keys): copy before changing them
        self._cursor = 0
        self._painted: dict[str, tuple[str, ...]] = {}  # the clock-driven texts each row showed when last painted
        self._shown_columns: tuple[str, ...] = ()
        self._sort: tuple[str, bool] = ("age", False)  # (column, descending)

    # ------------------------------------------------------------------ what is shown

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._shown_columns

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def rows(self) -> Mapping[str, int]:
        """The shown row keys (``key in table.rows``) with their index."""
        return self._index

    @property
    def row_keys(self) -> list[str]:
        """The shown row keys, top to bottom."""
        return list(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The row key under the cursor (None on an empty table)."""
        return self._keys[self._cursor] if self._keys else None

    def has_row(self, key: str) -> bool:
        return key in self._index

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def get_cell(self, key: str, column: str) -> Text:
        """What row ``key`` shows (or would show) in ``column`` now."""
        return row_cells(self._records[key], self._clock())[column]

    def get_cell_at(self, coordinate: Coordinate) -> Text:
        return self.get_cell(self._keys[coordinate.row], self._shown_columns[coordinate.column])

    def add_job_columns(self, width: int = 0) -> bool:
        """Show the columns that fit ``width`` (0: all); returns whether the set changed."""
        wanted = columns_for_width(width) if width > 0 else tuple(key for key, _ in COLUMNS)
        if wanted == self._shown_columns:
            return False
        self._shown_columns = wanted
        self._painted.clear()
        self._resize_virtual()
        self.refresh()
        return True

    def set_sort(self, column: str, descending: bool) -> None:
        """Show the sort indicator (``▲`` ascending, ``▼`` descending) in ``column``'s header."""
        self._sort = (column, descending)
        self.refresh(Region(0, 0, self.size.width, 1))

    def _header(self, key: str) -> str:
        column, descending = self._sort
        return HEADERS[key] + ((" ▼" if descending else " ▲") if key == column else "")

    # ------------------------------------------------------------------ changing the rows

    def show(self, rows: Iterable[tuple[str, JobRecord]], *, keep: str | None) -> None:
        """Show ``rows`` (in order), keeping the cursor on ``keep`` if it is still shown (else on the first row)."""
        keys: list[str] = []
        records: dict[str, JobRecord] = {}
        for key, record in rows:
            keys.append(key)
            records[key] = record
        self.show_keys(keys, {key: i for i, key in enumerate(keys)}, records, keep=keep)

    def show_keys(
        self, keys: list[str], index: dict[str, int], records: Mapping[str, JobRecord], *, keep: str | None
    ) -> None:
        """:meth:`show` for a caller that already has the order (``keys``, ``index``: key -> position) and the
        records by key; the table reads them, never changes them (it copies before a :meth:`put` or :meth:`drop`
        changes the order), so the caller may keep them for the next time the same view is asked for."""
        before = self._window()
        self._keys = keys
        self._index = index
        self._records = records  # type: ignore[assignment]
        self._shared = True
        self._cursor = self._index.get(keep, 0) if keep is not None else 0
        self._resize_virtual()
        self._scroll_to_cursor(top=keep is None or keep not in self._index)
        if self._window() != before:  # the same rows on screen (the history arriving under its first page): no
            self._painted.clear()  # repaint at all
            self.refresh()

    def _window(self) -> tuple[object, ...]:
        """What the screen shows: the cursor, and each visible row's key and record."""
        top = int(self.scroll_y)
        rows = tuple((key, self._records.get(key)) for key in self._keys[top : top + self._visible_rows()])
        return (self._cursor - top, self._shown_columns, rows)

    def clear(self) -> None:
        self.show((), keep=None)

    def select(self, key: str) -> bool:
        """Put the cursor on ``key``'s row (scrolled into view); False when the row is not shown."""
        index = self._index.get(key)
        if index is None:
            return False
        self._move(index)
        return True

    def put(self, key: str, record: JobRecord) -> None:
        """Show ``record`` in its row (one line repainted), or as a new row at the end."""
        index = self._index.get(key)
        if not self._shared:
            self._records[key] = record  # shared records are the caller's, already up to date
        if index is not None:
            self.refresh_row(index)
            return
        self._unshare()
        self._records[key] = record
        self._index[key] = len(self._keys)
        self._keys.append(key)
        self._resize_virtual()
        self.refresh_row(len(self._keys) - 1)

    def drop(self, key: str) -> None:
        if key not in self._index:
            return
        self._unshare()
        index = self._index.pop(key)
        self._records.pop(key, None)
        self._painted.pop(key, None)
        del self._keys[index]
        for i in range(index, len(self._keys)):
            self._index[self._keys[i]] = i
        if self._cursor > index or self._cursor >= len(self._keys):
            self._cursor = max(0, self._cursor - 1)
        self._resize_virtual()
        self.refresh()

    def _unshare(self) -> None:
        if self._shared:
            self._keys, self._index, self._records = list(self._keys), dict(self._index), dict(self._records)
            self._shared = False

    def refresh_times(self, records: Mapping[str, JobRecord] | None = None) -> int:
        """Repaint the visible rows whose age or "polled … ago" text changed since they were painted (the panel's
        1 s timer calls this); returns how many were repainted. Rows off screen cost nothing."""
        timed = tuple(c for c in ("age", "polled") if c in self._shown_columns)
        if not timed:
            return 0
        now = self._clock()
        repainted = 0
        top = int(self.scroll_y)
        for index in range(top, min(len(self._keys), top + self._visible_rows())):
            key = self._keys[index]
            painted = self._painted.get(key)
            if painted is None:
                continue
            cells = time_cells(self._records[key], now)
            if tuple(cells[c].plain for c in timed) != painted:
                self.refresh_row(index)
                repainted += 1
        return repainted

    def refresh_row(self, index: int) -> None:
        """Repaint the line of row ``index`` if it is on screen."""
        y = index - int(self.scroll_y) + 1
        if 1 <= y <= self._visible_rows():
            self.refresh(Region(0, y, self.size.width, 1))

    def row_visible(self, key: str) -> bool:
        """Whether ``key``'s row is inside the visible part of the table (not scrolled away, not filtered out)."""
        index = self._index.get(key)
        if index is None:
            return False
        top = int(self.scroll_y)
        return top <= index < top + self._visible_rows()

    # ------------------------------------------------------------------ cursor

    def _visible_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)  # the header takes the first line

    def _move(self, row: int) -> None:
        if not self._keys:
            return
        row = max(0, min(len(self._keys) - 1, row))
        old, self._cursor = self._cursor, row
        if old != row:
            self.refresh_row(old)
            self.refresh_row(row)
        self._scroll_to_cursor()
        if old != row:
            self.post_message(self.RowHighlighted(self, self._keys[row]))

    def _scroll_to_cursor(self, *, top: bool = False) -> None:
        visible = max(1, self._visible_rows())
        y = int(self.scroll_y)
        if top and self._cursor == 0:
            target = 0
        elif self._cursor < y:
            target = self._cursor
        elif self._cursor >= y + visible:
            target = self._cursor - visible + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on row ``row`` (DataTable's spelling, kept for callers written against it)."""
        self._move(row)

    def action_cursor_down(self) -> None:
        self._move(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self._cursor - 1)

    def action_page_down(self) -> None:
        self._move(self._cursor + max(1, self._visible_rows()))

    def action_page_up(self) -> None:
        self._move(self._cursor - max(1, self._visible_rows()))

    def action_scroll_top(self) -> None:
        self._move(0)

    def action_scroll_bottom(self) -> None:
        self._move(len(self._keys) - 1)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y < 1 or not 0 <= index < len(self._keys):
            return
        if index == self._cursor:
            self.action_select_cursor()
        else:
            self._move(index)

    # ------------------------------------------------------------------ painting

    def _resize_virtual(self) -> None:
        width = sum(COLUMN_WIDTHS[c] + 2 * PAD for c in self._shown_columns)
        self.virtual_size = Size(width, len(self._keys) + 1)

    def _strip(self, cells: Iterable[tuple[Text, int]], style: Style, width: int) -> Strip:
        line = Text()
        for text, cell_width in cells:
            line.append_text(_cell_text(text, cell_width))
        segments = list(Segment.apply_style(line.render(self.app.console), style))
        return Strip(segments).extend_cell_length(width, style).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("jobs-table--header")
            cells = ((Text(self._header(c), no_wrap=True), COLUMN_WIDTHS[c]) for c in self._shown_columns)
            return self._strip(cells, header, width)
        index = int(self.scroll_y) + y - 1
        if not 0 <= index < len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[index]
        row = row_cells(self._records[key], self._clock())
        self._painted[key] = tuple(row[c].plain for c in ("age", "polled") if c in self._shown_columns)
        if index == self._cursor:
            style = base + self.get_component_rich_style("jobs-table--cursor")
        elif index % 2:
            style = base + self.get_component_rich_style("jobs-table--even-row")
        else:
            style = base
        return self._strip(((row[c], COLUMN_WIDTHS[c]) for c in self._shown_columns), style, width)
