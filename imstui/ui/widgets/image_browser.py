"""The image browser's rows: a line-API widget (``ScrollView`` + ``render_line``) that paints only the rows on screen.

It shows :attr:`BrowserModel.shown` (:mod:`imstui.ui.browser_model`); a row's cells are built when its line is
painted, so 10,000 images cost the model's lists, not 10,000 widgets. The columns that fit the width are chosen
once per resize (the name takes what is left). Every cell is a sanitised plain string with a style, made into
segments directly (:func:`row_cells`, :func:`fit`): image names are never markup, nor even a ``Text``. A painted
row is kept (a small cache by image, look and width), so a scroll by one row builds one row. When the cursor or the
viewport comes within :data:`LOOKAHEAD` rows of the end of what is loaded, :meth:`ImageBrowser.near_end` calls
back (the screen then fetches the next page): half a page ahead, so the page is there before the cursor is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imstui.api.models import GIB
from imstui.core.image_search import ImageRow
from imstui.ui.browser_model import BrowserModel, verdict_look
from imstui.ui.text import plain

LOOKAHEAD = 100  # rows (half a page of 200): closer than this to the end of the loaded rows, the next page is read
STRIPS_KEPT = 256  # painted rows kept (a few screens)
NAME_MIN = 18
NAME_MAX = 60
MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    right: bool = False


# In the order shown; OPTIONAL in the order they are given room when the terminal is wide enough.
COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("mark", " ", 1),
        Column("verdict", "Verdict", 10),
        Column("name", "Name", NAME_MIN),
        Column("id", "Id", 36),
        Column("size", "Size", 9, right=True),
        Column("key", "Encryption", 13),
        Column("note", "Note", 22),
        Column("created", "Created", 16),
        Column("os", "OS", 18),
    )
}
REQUIRED = ("mark", "verdict", "name", "id")
OPTIONAL = ("size", "key", "note", "created", "os")
SORT_COLUMN = {"created": "created", "name": "name", "size": "size"}
GAP = 1
FULL_ID_WIDTH = 150  # narrower, the id column shows the first 8 characters (the filter still matches all of it)
SHORT_ID = 9
NAME_READABLE = 22  # a column is added only if the name keeps this many cells


def columns_for_width(width: int) -> tuple[tuple[str, ...], int, int]:
    """The columns that fit ``width`` cells, the width the name gets and the width of the id."""
    id_width = COLUMNS["id"].width if width >= FULL_ID_WIDTH else SHORT_ID
    chosen = list(REQUIRED)
    used = sum((id_width if k == "id" else COLUMNS[k].width) + GAP for k in chosen)  # the name at its minimum
    for key in OPTIONAL:
        extra = COLUMNS[key].width + GAP
        if used + extra + (NAME_READABLE - NAME_MIN) <= width:
            chosen.append(key)
            used += extra
    name = max(NAME_MIN, min(NAME_MAX, NAME_MIN + width - used))
    order = [k for k in COLUMNS if k in chosen]
    return tuple(order), name, id_width


def short_size(size_bytes: int | None) -> str:
    """``3.1 GiB``; ``?`` when IMS gave no size or 0 (a full-ECS image has none)."""
    if not size_bytes or size_bytes < 0:
        return "?"
    if size_bytes >= GIB:
        return f"{size_bytes / GIB:.1f} GiB"
    return f"{size_bytes / 1024**2:.0f} MiB"


def created_text(value: str | None) -> str:
    """``2026-01-10 08:00`` (UTC, as IMS gives it) or ``?``."""
    if not value:
        return "?"
    return plain(value).replace("T", " ").removesuffix("Z")[:16]


def key_text(row: ImageRow, labels: Mapping[str, str]) -> str:
    key = (row.image.cmk_id or "").strip()
    if not key:
        return "none"
    label = labels.get(key.lower())
    return f"KMS {plain(label)}" if label else f"KMS {plain(key[:8])}…"


Cell = tuple[str, Style | None]  # plain text (never markup) and its style

VERDICT_STYLES = {True: Style.parse("bold green"), False: Style.parse("bold red")}
BOLD, DIM, NOTE = Style.parse("bold"), Style.parse("dim"), Style.parse("dim italic")


def row_cells(
    row: ImageRow, *, marked: bool, notes: Mapping[str, str], key_labels: Mapping[str, str]
) -> dict[str, Cell]:
    """Every cell of ``row`` as a plain string and its style (the name literal: never markup)."""
    image = row.image
    note_parts = []
    if not row.eligible and row.reason:
        note_parts.append(row.reason)
    if row.section == "shared":
        note_parts.append("shared with you")
    extra = notes.get(image.id)
    if extra:
        note_parts.append(extra)
    return {
        "mark": (MARK if marked else " ", BOLD),
        "verdict": (verdict_look(row).text(), VERDICT_STYLES[row.eligible]),
        "name": (plain(image.name) or "(no name)", None),
        "id": (plain(image.id), DIM),
        "size": (short_size(image.size_bytes), None),
        "key": (key_text(row, key_labels), None),
        "created": (created_text(image.created_at), None),
        "os": (plain(image.os_version or image.platform or image.os_type or "?"), None),
        "note": (plain(" · ".join(note_parts)), NOTE),
    }


def fit(text: str, width: int, right: bool = False) -> tuple[str, str]:
    """``text`` cut to ``width`` cells (an ellipsis where cut) and the padding that fills the column."""
    length = cell_len(text)
    if length > width:
        text = set_cell_size(text, width - 1) + "…" if width > 0 else ""
        length = cell_len(text)
    return text, " " * max(0, width - length)


class ImageBrowser(ScrollView, can_focus=True):
    """The rows of :class:`BrowserModel` (shown, in its order). Up/Down/PgUp/PgDn/Home/End (and g/G) move,
    Enter selects (looks the image up). The screen owns the keys that change the view (filter, sort, marks)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "image-browser--header",
        "image-browser--cursor",
        "image-browser--marked",
    }

    DEFAULT_CSS = """
    ImageBrowser {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .image-browser--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .image-browser--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .image-browser--marked {
            background: $accent 25%;
        }
        & > .image-browser--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding(
            "enter", "select_cursor", "Look up", id="browser.lookup", tooltip="Look the image up: verdict, details"
        ),
        Binding("space", "screen.browser_mark", "Mark", id="browser.mark", tooltip="Mark or unmark this image"),
        Binding(
            "plus", "screen.browser_mark_shown", "Mark shown", id="browser.mark-shown", tooltip="Mark every image shown"
        ),
        Binding("minus", "screen.browser_clear_marks", "Clear marks", id="browser.clear-marks", tooltip="Unmark all"),
        Binding(
            "c",
            "screen.browser_copy_marked",
            "Copy marked…",
            id="browser.copy",
            tooltip="Copy the marked images (batch)",
        ),
        Binding(
            "e",
            "screen.browser_eligible",
            "Eligible only",
            id="browser.eligible",
            tooltip="Only images that can be copied (toggle)",
        ),
        Binding(
            "k",
            "screen.browser_key",
            "Key filter…",
            id="browser.key",
            tooltip="Only images encrypted with a KMS key (alias, id or none)",
        ),
        Binding("s", "screen.browser_sort", "Sort", id="browser.sort", tooltip="Sort by created, name or size"),
    ]

    @dataclass
    class Selected(Message):
        """Enter (or a click on the cursor row) on ``row``."""

        browser: ImageBrowser
        row: ImageRow

        @property
        def control(self) -> ImageBrowser:
            return self.browser

    @dataclass
    class TopReached(Message):
        """Up on the first row (the screen gives the focus back to the id field)."""

        browser: ImageBrowser

    def __init__(self, model: BrowserModel, *, id: str | None = "image-browser") -> None:
        super().__init__(id=id)
        self.model = model
        self.cursor = 0
        self._notes: dict[str, str] = {}  # image id -> a short note (demo case, "copied 10m ago")
        self._key_labels: dict[str, str] = {}  # key id (lower) -> alias
        self.near_end: Callable[[], None] | None = None
        self._columns: tuple[str, ...] = REQUIRED
        self._name_width = NAME_MIN
        self._id_width = SHORT_ID
        self._width = -1
        # painted rows (see _row_strip): the row object is kept with its strip, so a row read again (same id, maybe
        # another status or size) is painted anew rather than taken from the cache
        self._strips: OrderedDict[tuple[object, ...], tuple[ImageRow, Strip]] = OrderedDict()
        self._base: Style | None = None  # this widget's style, worked out once per render_lines

    # ------------------------------------------------------------------ state

    @property
    def cursor_row(self) -> ImageRow | None:
        shown = self.model.shown
        return shown[self.cursor] if 0 <= self.cursor < len(shown) else None

    @property
    def shown_columns(self) -> tuple[str, ...]:
        return self._columns

    @property
    def notes(self) -> Mapping[str, str]:
        """A short note per image id (demo case, "copied 10m ago"); set them anew (the painted rows are redone)."""
        return self._notes

    @notes.setter
    def notes(self, notes: Mapping[str, str]) -> None:
        if notes != self._notes:
            self._notes = dict(notes)
            self.clear_painted()
            self.refresh()

    @property
    def key_labels(self) -> Mapping[str, str]:
        """KMS key id (lower case) -> alias, for the encryption column."""
        return self._key_labels

    def set_key_label(self, key_id: str, alias: str) -> None:
        if self._key_labels.get(key_id.lower()) != alias:
            self._key_labels[key_id.lower()] = alias
            self.clear_painted()
            self.refresh()

    def refresh_view(self, *, keep: str | None = None) -> None:
        """The model's view changed: show it, the cursor on ``keep``'s row if still shown (else the same index)."""
        index = self.model.index_of(keep, hint=self.cursor)
        if index is not None:
            self.cursor = index
        self.cursor = max(0, min(self.cursor, len(self.model.shown) - 1))
        self.virtual_size = Size(self.size.width, len(self.model.shown) + 1)
        self._scroll_to_cursor()
        self.refresh()
        self._check_end()

    def refresh_cursor_row(self) -> None:
        self._refresh_row(self.cursor)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 1 <= y <= self._visible_rows():
            self.refresh(Region(0, y, self.size.width, 1))

    def _visible_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)  # the header takes the first line

    def is_near_end(self) -> bool:
        """The cursor or the bottom of the viewport is within :data:`LOOKAHEAD` rows of the last row shown."""
        bottom = max(self.cursor, int(self.scroll_y) + self._visible_rows())
        return len(self.model.shown) - bottom <= LOOKAHEAD

    def _check_end(self) -> None:
        if self.near_end is not None and self.is_near_end():
            self.near_end()

    # ------------------------------------------------------------------ cursor

    def move_to(self, row: int) -> None:
        shown = len(self.model.shown)
        if not shown:
            self._check_end()
            return
        row = max(0, min(shown - 1, row))
        old, self.cursor = self.cursor, row
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
        self._scroll_to_cursor()
        self._check_end()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self._visible_rows())
        y = int(self.scroll_y)
        if self.cursor < y:
            target = self.cursor
        elif self.cursor >= y + visible:
            target = self.cursor - visible + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if int(old) != int(new):
            self._check_end()

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        if self.cursor == 0:
            self.post_message(self.TopReached(self))
            return
        self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self.move_to(self.cursor + max(1, self._visible_rows()))

    def action_page_up(self) -> None:
        self.move_to(self.cursor - max(1, self._visible_rows()))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.model.shown) - 1)

    def action_select_cursor(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y < 1 or not 0 <= index < len(self.model.shown):
            return
        if index == self.cursor:
            self.action_select_cursor()
        else:
            self.move_to(index)

    # ------------------------------------------------------------------ painting

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.model.shown) + 1)
        self._scroll_to_cursor()
        self._check_end()

    def _layout(self, width: int) -> None:
        if width != self._width:
            self._width = width
            self._columns, self._name_width, self._id_width = columns_for_width(width)

    def _widths(self) -> list[tuple[str, int, bool]]:
        out = []
        for key in self._columns:
            column = COLUMNS[key]
            width = self._name_width if key == "name" else self._id_width if key == "id" else column.width
            out.append((key, width, column.right))
        return out

    def _strip(self, cells: Mapping[str, Cell], style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        gap = Segment(" " * GAP, style)
        for key, cell_width, right in self._widths():
            text, cell_style = cells[key]
            text, pad = fit(text, cell_width, right)
            styled = Segment(text, style + cell_style if cell_style is not None else style)
            if pad:
                segments.extend((Segment(pad, style), styled) if right else (styled, Segment(pad, style)))
            else:
                segments.append(styled)
            segments.append(gap)
        return Strip(segments).extend_cell_length(width, style).crop(0, width)

    def _header(self) -> dict[str, Cell]:
        sorted_by = SORT_COLUMN.get(self.model.sort)
        cells: dict[str, Cell] = {}
        for key, column in COLUMNS.items():
            arrow = (" ▲" if key == "name" else " ▼") if key == sorted_by else ""
            cells[key] = (column.header + arrow, None)
        return cells

    def clear_painted(self) -> None:
        """Forget the painted rows (the notes, key labels or the look of the rows changed)."""
        self._strips.clear()

    def notify_style_update(self) -> None:
        self._strips.clear()
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # the same for every line of this pass (it walks the ancestors)
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def _row_strip(self, row: ImageRow, look: str, width: int, base: Style) -> Strip:
        """One painted row, from the cache when this image was painted the same way (look, width, colours)."""
        image_id = row.image.id
        key = (image_id, look, width, self._columns, self._name_width, self._id_width, base, self.has_focus)
        strips = self._strips
        cached = strips.get(key)
        if cached is not None and cached[0] is row:
            strips.move_to_end(key)
            return cached[1]
        if look in ("cursor", "cursor-marked"):
            style = base + self.get_component_rich_style("image-browser--cursor")
        elif look == "marked":
            style = base + self.get_component_rich_style("image-browser--marked")
        else:
            style = base
        marked = look in ("marked", "cursor-marked")
        cells = row_cells(row, marked=marked, notes=self._notes, key_labels=self._key_labels)
        strip = self._strip(cells, style, width)
        strips[key] = (row, strip)
        strips.move_to_end(key)
        while len(strips) > STRIPS_KEPT:
            strips.popitem(last=False)
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        self._layout(width)
        base = self._base or self.rich_style
        if y == 0:
            return self._strip(self._header(), base + self.get_component_rich_style("image-browser--header"), width)
        index = int(self.scroll_y) + y - 1
        shown = self.model.shown
        if not 0 <= index < len(shown):
            return Strip.blank(width, base)
        row = shown[index]
        marked = self.model.is_marked(row.image.id)
        look = "cursor" if index == self.cursor else "marked" if marked else "plain"
        if look == "cursor" and marked:
            look = "cursor-marked"
        return self._row_strip(row, look, width, base)
