"""The jobs table: a line-API widget (Textual's ``ScrollView`` + ``render_line``) that paints only the rows on screen.

It paints from a :class:`~imstui.ui.widgets.jobs_rows.PagedRows` (a view's row count and the pages read so far):
a line's record is asked for when the line is painted, and its cells are built then (:func:`row_cells`), so 100,000
rows cost a count and the pages on screen. Rows are named by key (``row-<ledger row_id>``: stable from the moment a
copy is submitted, before IMS returns a job id). :meth:`JobsTable.put` repaints one line; :meth:`JobsTable.show`
swaps the rows (a new filter or sort) with the cursor where the panel says. Ages and "polled … ago" are computed
at paint time in coarse units; the clock tick (:meth:`JobsTable.refresh_times`) repaints a visible line only when
its coarse text changed, so an unchanged screen causes no repaint. Every cell is a ``rich.text.Text`` built from
sanitised strings: server text is never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
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
    time_texts,
)
from imstui.ui.widgets.jobs_rows import PagedRows, row_id_of

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
LINE_CACHE = 256  # painted lines kept (a few screens' worth)
_TIMED = ("age", "polled")


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


class _RowIndex(Mapping[str, int]):
    """The shown row keys and their index, looked up in the rows on demand (never a list of every key)."""

    def __init__(self, rows: PagedRows) -> None:
        self._rows = rows

    def __getitem__(self, key: str) -> int:
        row_id = row_id_of(key)
        index = self._rows.index_of(row_id) if row_id is not None else None
        if index is None:
            raise KeyError(key)
        return index

    def __iter__(self) -> Iterator[str]:
        return (f"row-{row_id}" for row_id in self._rows.row_ids())

    def __len__(self) -> int:
        return len(self._rows)


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
        self._rows = PagedRows.empty()
        self._cursor = 0
        self._painted: dict[int, tuple[str, ...]] = {}  # the clock-driven texts each row showed when last painted
        self._lines: dict[tuple[object, ...], Strip] = {}  # painted lines by what they show (see render_line)
        self._styles: dict[str, Style] = {}
        self._shown_columns: tuple[str, ...] = ()
        self._sort: tuple[str, bool] = ("age", False)  # (column, descending)

    # ------------------------------------------------------------------ what is shown

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._shown_columns

    @property
    def paged_rows(self) -> PagedRows:
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Mapping[str, int]:
        """The shown row keys (``key in table.rows``) with their index (looked up on demand)."""
        return _RowIndex(self._rows)

    @property
    def row_keys(self) -> list[str]:
        """The shown row keys, top to bottom (reads every page: for tests and small views)."""
        return [f"row-{row_id}" for row_id in self._rows.row_ids()]

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_record(self) -> JobRecord | None:
        return self._rows.record_at(self._cursor)

    @property
    def cursor_key(self) -> str | None:
        """The row key under the cursor (None on an empty table)."""
        record = self.cursor_record
        return row_key_for(record) if record is not None else None

    def has_row(self, key: str) -> bool:
        return self._index_of(key) is not None

    def get_row_index(self, key: str) -> int:
        index = self._index_of(key)
        if index is None:
            raise KeyError(key)
        return index

    def _index_of(self, key: str) -> int | None:
        row_id = row_id_of(key)
        return self._rows.index_of(row_id) if row_id is not None else None

    def record_for(self, key: str) -> JobRecord | None:
        index = self._index_of(key)
        return self._rows.record_at(index) if index is not None else None

    def get_cell(self, key: str, column: str) -> Text:
        """What row ``key`` shows (or would show) in ``column`` now."""
        record = self.record_for(key)
        if record is None:
            raise KeyError(key)
        return row_cells(record, self._clock())[column]

    def get_cell_at(self, coordinate: Coordinate) -> Text:
        record = self._rows.record_at(coordinate.row)
        if record is None:
            raise IndexError(coordinate.row)
        return row_cells(record, self._clock())[self._shown_columns[coordinate.column]]

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

    def show(self, rows: PagedRows, *, cursor: int | None) -> None:
        """Show ``rows``, the cursor on row ``cursor`` (None: the first row, scrolled to the top). Nothing is
        repainted when the screen would show the same rows (the same records, the cursor at the same place)."""
        before = self._window()
        self._rows = rows
        count = len(rows)
        self._cursor = max(0, min(count - 1, cursor)) if cursor is not None else 0
        self._resize_virtual()
        self._scroll_to_cursor(top=cursor is None)
        if self._window() != before:
            self._painted.clear()
            self.refresh()

    def _window(self) -> tuple[object, ...]:
        """What the screen shows: the cursor, and each visible row's record."""
        top = int(self.scroll_y)
        rows = tuple(self._rows.record_at(i) for i in range(top, min(len(self._rows), top + self._visible_rows())))
        return (self._cursor - top, self._shown_columns, rows)  # a count alone changes the scroll bar, not a line

    def select(self, key: str) -> bool:
        """Put the cursor on ``key``'s row (scrolled into view); False when the row is not shown."""
        index = self._index_of(key)
        if index is None:
            return False
        self._move(index)
        return True

    def put(self, record: JobRecord) -> bool:
        """Show ``record`` in its row if that row is on a cached page (one line repainted); False if it is not."""
        index = self._rows.replace(record)
        if index is None:
            return False
        self.refresh_row(index)
        return True

    def refresh_times(self) -> int:
        """Repaint the visible rows whose age or "polled … ago" text changed since they were painted (the panel's
        1 s timer calls this); returns how many were repainted. Rows off screen cost nothing. (A line, not just
        the changed cell: Textual writes more bytes for a region inside a line than for the whole line.)"""
        timed = tuple(c for c in _TIMED if c in self._shown_columns)
        if not timed:
            return 0
        now = self._clock()
        repainted = 0
        top = int(self.scroll_y)
        for index in range(top, min(len(self._rows), top + self._visible_rows())):
            record = self._rows.record_at(index)
            painted = self._painted.get(record.row_id) if record is not None else None
            if record is None or painted is None:
                continue
            texts = time_texts(record, now)
            if tuple(texts[c] for c in timed) != painted:
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
        row_id = row_id_of(key)
        index = self._rows.cached_index(row_id) if row_id is not None else None
        if index is None:
            return False
        top = int(self.scroll_y)
        return top <= index < top + self._visible_rows()

    # ------------------------------------------------------------------ cursor

    def _visible_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)  # the header takes the first line

    def _move(self, row: int) -> None:
        if not len(self._rows):
            return
        row = max(0, min(len(self._rows) - 1, row))
        old, self._cursor = self._cursor, row
        if old != row:
            self.refresh_row(old)
            self.refresh_row(row)
        self._scroll_to_cursor()
        if old != row:
            self.post_message(self.RowHighlighted(self, self.cursor_key))

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
        self._move(len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y < 1 or not 0 <= index < len(self._rows):
            return
        if index == self._cursor:
            self.action_select_cursor()
        else:
            self._move(index)

    # ------------------------------------------------------------------ painting

    def _resize_virtual(self) -> None:
        width = sum(COLUMN_WIDTHS[c] + 2 * PAD for c in self._shown_columns)
        self.virtual_size = Size(width, len(self._rows) + 1)

    def _strip(self, cells: Iterable[tuple[Text, int]], style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        pad = Segment(" " * PAD, style)
        for text, cell_width in cells:
            if text.spans:  # not a cell this table builds (each is one style): let rich lay it out
                rendered = _cell_text(text, cell_width).render(self.app.console)
                segments.extend(Segment.apply_style(rendered, style))
                continue
            plain = text.plain
            if cell_len(plain) > cell_width:  # what Text.truncate(overflow="ellipsis") does
                plain = set_cell_size(plain, cell_width - 1) + "…"
            room = cell_width - cell_len(plain)
            cell_style = style + self._style_of(text.style)
            segments.append(pad)
            if room > 0 and text.justify == "right":
                segments += [Segment(" " * room, style), Segment(plain, cell_style)]
            else:
                segments.append(Segment(plain + " " * room if room > 0 else plain, cell_style))
            segments.append(pad)
        # One segment per run of a style (the terminal is sent each segment's style codes).
        return Strip(Segment.simplify(segments)).extend_cell_length(width, style).crop(0, width)

    def _style_of(self, style: str | Style) -> Style:
        if isinstance(style, Style):
            return style
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = self.app.console.get_style(style) if style else Style()
        return found

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("jobs-table--header")
            cells = ((Text(self._header(c), no_wrap=True), COLUMN_WIDTHS[c]) for c in self._shown_columns)
            return self._strip(cells, header, width)
        index = int(self.scroll_y) + y - 1
        record = self._rows.record_at(index)
        if record is None:
            return Strip.blank(width, base)
        if index == self._cursor:
            style = base + self.get_component_rich_style("jobs-table--cursor")
        elif index % 2:
            style = base + self.get_component_rich_style("jobs-table--even-row")
        else:
            style = base
        now = self._clock()
        texts = time_texts(record, now)
        timed = tuple(texts[c] for c in _TIMED if c in self._shown_columns)
        self._painted[record.row_id] = timed
        # A line shows the same thing as long as its record, clock texts, style and width are the same: a resize,
        # a refocus or a scroll back paints it from here instead of building its cells again.
        key = (record, timed, style, width, self._shown_columns)
        strip = self._lines.get(key)
        if strip is None:
            row = row_cells(record, now)
            strip = self._strip(((row[c], COLUMN_WIDTHS[c]) for c in self._shown_columns), style, width)
            self._lines[key] = strip
            if len(self._lines) > LINE_CACHE:
                del self._lines[next(iter(self._lines))]
        return strip
