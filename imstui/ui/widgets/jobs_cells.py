"""What the jobs table shows, without Textual: its columns (and which fit a width), the sort order, and every cell
of a row as a ``rich.text.Text`` built from sanitised strings (server text is never parsed as markup).

Ages and "polled … ago" are coarse (:func:`coarse_age`: at most one change a minute), so a screen whose jobs did not
change stays still.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from imstui.api.sanitize import sanitize
from imstui.core.jobs import is_failed
from imstui.core.ledger import JobRecord
from imstui.core.wording import KIND_STYLES, format_progress, look_of

__all__ = [
    "COLUMNS",
    "COLUMN_WIDTHS",
    "HEADERS",
    "coarse_age",
    "coarse_ago",
    "columns_for_width",
    "row_cells",
    "row_key_for",
    "sort_records",
    "sort_value",
    "time_cells",
    "time_texts",
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
    first. Each sort key is worked out once per row (100,000 rows sort in a fraction of a second)."""
    if column == "age":  # the age is the submission time: ties (same second) newest row first either way
        if descending:
            return sorted(records, key=lambda kr: (kr[1].submitted_at, -kr[1].row_id))
        return sorted(records, key=lambda kr: (kr[1].submitted_at, kr[1].row_id), reverse=True)
    base = sorted(records, key=lambda kr: (kr[1].submitted_at, kr[1].row_id), reverse=True)
    keyed = [(sort_value(column, kr[1]), kr) for kr in base]
    present = [kv for kv in keyed if kv[0] is not None]
    present.sort(key=lambda kv: kv[0], reverse=descending)  # type: ignore[arg-type,return-value]
    return [kv[1] for kv in present] + [kv[1] for kv in keyed if kv[0] is None]


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


def _text(value: str | None, style: str = "") -> Text:
    return Text(sanitize(value or ""), style=style, no_wrap=True, overflow="ellipsis")


def _error_cell(record: JobRecord, failed: bool) -> Text:
    if record.error_code:
        return _text(record.error_code, "bold red" if failed else "yellow")
    return Text("poll error" if record.last_poll_error else "", style="yellow", no_wrap=True)


def time_texts(record: JobRecord, now: datetime) -> dict[str, str]:
    """What the age and "polled … ago" cells read (their ``plain`` text), without building them."""
    polled = coarse_ago(record.last_polled_at, now)
    return {
        "age": coarse_age((now - record.submitted_at).total_seconds()),
        "polled": f"⚠ {polled}" if record.last_poll_error else polled,
    }


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
