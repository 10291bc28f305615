"""``imstui jobs`` (the listing) and ``imstui jobs export``: rows written as they are read from the ledger.

Memory stays flat whatever the history holds: rows come from :func:`imstui.core.ledger.pages.stream` a chunk at a
time and each is printed (a table line, a JSON object, a CSV record) before the next is read; the table's column
widths come from its first :data:`WIDTH_SAMPLE` rows. ``--json`` writes its one document incrementally, in the
shape it always had (``jobs``, ``damaged``, ``ok``...), one job object per line. The default view is bounded
(see :func:`run_list`).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, fields
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Any, TextIO

from imstui.api.catalogue import describe
from imstui.api.errors import ImstuiError
from imstui.api.sanitize import sanitize
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, Output, describe_error, error_to_dict
from imstui.core.account import LEGACY_NOTE
from imstui.core.jobs import ListFilter, is_outstanding, needs_attention
from imstui.core.ledger import DamagedRow, JobRecord, Ledger, LedgerDamagedError, LedgerError, pages, salvage
from imstui.core.ledger.scope import DEMO_ROWS, REAL_ROWS, Scope, profile_scope
from imstui.core.wording import format_age, format_progress, look_of, needs_ascii

DEMO_PROFILE = "demo"  # the ledger profile of --demo
RECENT = timedelta(days=7)  # the default view: jobs needing attention submitted this recently
LATEST = 20  # ... and this many of the newest rows
SINCE_HINT = timedelta(days=30)  # the --since date the "not shown" line suggests
WIDTH_SAMPLE = 200  # table column widths are measured on this many first rows

_RELATIVE = re.compile(r"(\d{1,5})([dhw])")
_UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def since_argument(value: str) -> datetime:
    """``--since``: an ISO date (``2026-11-01``, midnight UTC), an ISO time with offset, or ``30d``/``12h``/``2w``."""
    text = value.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date (2026-11-01) or an age (30d, 12h, 2w)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def scope_of(args: argparse.Namespace) -> str | None:
    """Listing scope: only a profile named explicitly (--profile / --demo); otherwise every profile."""
    if getattr(args, "demo", False):
        return DEMO_PROFILE
    return getattr(args, "profile", None) or None


def rows_of(args: argparse.Namespace) -> Scope:
    """The rows a listing selects: the demo's with --demo, else the named profile's, else every real account's
    (demo rows live apart: those of the in-process simulator's endpoint, :mod:`imstui.core.account`)."""
    if getattr(args, "demo", False):
        return DEMO_ROWS
    profile = getattr(args, "profile", None)
    return profile_scope(profile) if profile else REAL_ROWS


def clip(text: str | None, width: int) -> str:
    value = sanitize(text or "")
    return value if len(value) <= width else value[: width - 1] + "…"


def record_to_dict(record: JobRecord) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        elif f.name == "tags":  # [[key, value], ...] as the ledger stores them
            value = [[tag.key, tag.value] for tag in record.tags]
        data[f.name] = value
    if record.endpoint is None:
        data["account_note"] = LEGACY_NOTE  # no endpoint recorded: which account it belongs to is not known
    look = look_of(record)
    data["phase"] = look.phase.value
    data["status_text"] = look.word.lower()  # the console's word, lower-case (as before the words were unified)
    info = describe(record.error_code, record.fail_reason)
    if info is not None:
        data["error_meaning"] = info.meaning
        data["error_next_step"] = info.next_step
    return data


# ---------------------------------------------------------------------------------------------------------- table


def _cells(r: JobRecord, *, show_profile: bool, ascii: bool, now: datetime) -> list[str]:
    progress = format_progress(r.progress, ascii=ascii)
    if r.last_poll_error and is_outstanding(r):
        progress += " (poll error)"
    row = [
        look_of(r).text(ascii=ascii),
        progress,
        format_age((now - r.submitted_at).total_seconds()),
        clip(r.label, 34),
        clip(r.name, 32) or "-",
        clip(r.source_image_name or r.source_image_id, 28) or "-",
        clip(r.error_code, 16) or "-",
    ]
    if show_profile:
        row.append(clip(r.profile, 20))
    return row


def iter_table_lines(
    records: Iterable[JobRecord], *, show_profile: bool, ascii: bool, now: datetime, sample: int = WIDTH_SAMPLE
) -> Iterator[str]:
    """The header and one line per record, produced as records arrive (widths measured on the first ``sample``)."""
    header = ["STATUS", "PROGRESS", "AGE", "JOB", "NEW IMAGE NAME", "SOURCE", "CODE"]
    if show_profile:
        header.append("PROFILE")
    rows = (_cells(r, show_profile=show_profile, ascii=ascii, now=now) for r in records)
    head = [header, *itertools.islice(rows, sample)]
    widths = [max(len(row[i]) for row in head) for i in range(len(header))]
    for row in itertools.chain(head, rows):
        yield "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()


def table_lines(records: Iterable[JobRecord], *, show_profile: bool, ascii: bool, now: datetime) -> list[str]:
    return list(iter_table_lines(records, show_profile=show_profile, ascii=ascii, now=now))


# ---------------------------------------------------------------------------------------------------------- JSON


def _nested(value: Any, indent: str) -> str:
    # JSON strings hold no raw newline, so re-indenting a dumped value is a plain replace.
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


_ROW = json.JSONEncoder(ensure_ascii=False)  # no indent: the C encoder (an indented dump is pure Python, ~4x slower)


def write_json_array(stream: TextIO, items: Iterable[dict[str, Any]], indent: str = "") -> None:
    """``[`` each item ``]``, one item written at a time, one line each."""
    inner = indent + "  "
    encode = _ROW.encode
    stream.write("[")
    first = True
    for item in items:
        stream.write(("\n" if first else ",\n") + inner + encode(item))
        first = False
    stream.write("]" if first else "\n" + indent + "]")


def write_json_document(
    stream: TextIO, head: dict[str, Any], jobs: Iterable[dict[str, Any]], tail: Callable[[], dict[str, Any]]
) -> None:
    """``{head..., "jobs": [...], tail...}`` with ``tail()`` called once every job is written."""
    stream.write("{\n")
    for key, value in head.items():
        stream.write(f"  {json.dumps(key)}: {_nested(value, '  ')},\n")
    stream.write('  "jobs": ')
    write_json_array(stream, jobs, "  ")
    for key, value in tail().items():
        stream.write(f",\n  {json.dumps(key)}: {_nested(value, '  ')}")
    stream.write("\n}\n")
    stream.flush()


# ---------------------------------------------------------------------------------------------------------- list


def open_ledger(out: Output) -> Ledger | None:
    try:
        return Ledger()
    except LedgerError as exc:
        out.error(ImstuiError(str(exc)))
        return None


def warn_damaged(out: Output, damaged: Sequence[DamagedRow]) -> None:
    """Rows the ledger cannot read, on stderr: each with its reason, then how to keep what can be read."""
    for row in damaged:
        out.warn(row.describe())
    if damaged:
        out.warn(
            f"imstui jobs export saves every readable row; imstui jobs forget '#{damaged[0].row_id}' --yes "
            "removes a damaged row"
        )


class _Tally:
    """Counts what went by while the rows streamed (damaged rows are kept: they are few and each is named)."""

    def __init__(self) -> None:
        self.shown = 0
        self.attention = 0
        self.damaged: list[DamagedRow] = []

    def records(self, rows: Iterable[JobRecord | DamagedRow]) -> Iterator[JobRecord]:
        for row in rows:
            if isinstance(row, DamagedRow):
                self.damaged.append(row)
                continue
            self.shown += 1
            self.attention += needs_attention(row)
            yield row


def _not_shown(ledger: Ledger, scope: Scope, tally: _Tally, now: datetime) -> dict[str, Any] | None:
    hidden = pages.count(ledger, scope) - tally.shown - len(tally.damaged)
    if hidden <= 0:
        return None
    attention = pages.count(ledger, scope, only="failed") - tally.attention
    since = (now - SINCE_HINT).date().isoformat()
    return {"jobs": hidden, "needing_attention": max(0, attention), "since_hint": since}


def not_shown_line(hidden: dict[str, Any]) -> str:
    attention = hidden["needing_attention"]
    among = f" ({attention:,} of them failed or need a look: --failed)" if attention else ""
    return f"… {hidden['jobs']:,} older jobs not shown{among}: --all, or --since {hidden['since_hint']}"


def run_list(args: argparse.Namespace) -> int:
    """Without a filter: jobs in flight, those needing attention in the last week, and the latest 20 (with how
    many others there are); ``--all``/``--failed``/``--running``/``--since`` list every row they select."""
    out = Output(bool(getattr(args, "json", False)))
    ledger = open_ledger(out)
    if ledger is None:
        return EXIT_FAILURE
    scope = scope_of(args)
    where = rows_of(args)
    only: ListFilter = args.only or "all"
    since: datetime | None = getattr(args, "since", None)
    now = datetime.now(timezone.utc)
    bounded = args.only is None and since is None
    tally = _Tally()
    failure: list[BaseException] = []
    hidden: list[dict[str, Any] | None] = [None]

    def rows() -> Iterator[JobRecord]:
        try:
            if bounded:
                _, selected = pages.default_view(ledger, where, now=now, recent=RECENT, latest=LATEST)
            else:
                selected = pages.stream(ledger, where, only=only, since=since)
            yield from tally.records(selected)
            if bounded:
                hidden[0] = _not_shown(ledger, where, tally, now)
        except LedgerError as exc:  # mid-listing: what was written stands, the end says what went wrong
            failure.append(ImstuiError(str(exc)))

    with ledger:
        if out.json_mode:
            _list_json(out, rows(), scope, only, tally, failure, hidden)
        else:
            _list_text(out, rows(), scope, args.only, now, hidden)
    warn_damaged(out, tally.damaged)
    for error in failure:
        for text in describe_error(error):
            print(text, file=out.stderr)
    return EXIT_FAILURE if failure else EXIT_OK


def _list_json(
    out: Output,
    records: Iterator[JobRecord],
    scope: str | None,
    only: str,
    tally: _Tally,
    failure: list[BaseException],
    hidden: list[dict[str, Any] | None],
) -> None:
    def tail() -> dict[str, Any]:
        end: dict[str, Any] = {"damaged": [asdict(d) for d in tally.damaged]}
        if hidden[0] is not None:
            end["not_shown"] = hidden[0]
        end["ok"] = not failure
        if failure:
            end["error"] = error_to_dict(failure[0])
        return end

    head = {"profile": scope, "filter": only}
    write_json_document(out.stdout, head, map(record_to_dict, records), tail)


def _list_text(
    out: Output,
    records: Iterator[JobRecord],
    scope: str | None,
    only: str | None,
    now: datetime,
    hidden: list[dict[str, Any] | None],
) -> None:
    first = next(records, None)
    if first is None:
        out.line("no jobs" + (f" for profile {scope}" if scope else "") + (f" ({only})" if only else ""))
        return
    ascii = needs_ascii(out.stdout)
    for text in iter_table_lines(itertools.chain([first], records), show_profile=scope is None, ascii=ascii, now=now):
        out.line(text)
    if hidden[0] is not None:
        out.line(not_shown_line(hidden[0]))


# ---------------------------------------------------------------------------------------------------------- export

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = sanitize(str(value), multiline=True).replace("\n", " ")
    if text.startswith(_FORMULA_START):  # a spreadsheet must not run server-supplied text as a formula
        text = "'" + text
    return text


def export_csv(records: Iterable[JobRecord], stream: TextIO) -> None:
    names = [f.name for f in fields(JobRecord)]
    writer = csv.writer(stream, lineterminator="\n")
    extra = ["status_text", "phase"]
    writer.writerow([*names, *extra])
    for record in records:
        data = record_to_dict(record)
        writer.writerow([_csv_cell(data[name]) for name in [*names, *extra]])


def _write_export(args: argparse.Namespace, records: Iterable[JobRecord]) -> None:
    if args.export_format == "csv":
        export_csv(records, sys.stdout)
    else:
        write_json_array(sys.stdout, map(record_to_dict, records))
        sys.stdout.write("\n")


def _export_salvaged(out: Output, args: argparse.Namespace, error: LedgerDamagedError) -> int:
    """A ledger that will not open: export what can still be read of it (read-only), say so, exit 1."""
    found = salvage(error.path)
    scope = scope_of(args)
    records = [r for r in found.records if scope is None or r.profile == scope]
    _write_export(args, records)
    sys.stdout.flush()
    out.error(error)
    warn_damaged(out, found.damaged)
    problem = f" ({found.problem})" if found.problem else ""
    out.warn(f"exported the {len(records)} row(s) that could still be read from {error.path}{problem}")
    return EXIT_FAILURE


def run_export(args: argparse.Namespace) -> int:
    """Every readable row of the scope, streamed as CSV or as one JSON array; damaged rows named on stderr. A
    damaged file is salvaged: what can still be read is exported before the operator moves it aside."""
    out = Output(False)
    try:
        ledger = Ledger()
    except LedgerDamagedError as exc:
        return _export_salvaged(out, args, exc)
    except LedgerError as exc:
        return out.error(exc)
    tally = _Tally()
    try:
        with ledger:
            _write_export(args, tally.records(pages.stream(ledger, scope_of(args))))
    except LedgerError as exc:
        sys.stdout.flush()
        warn_damaged(out, tally.damaged)
        return out.error(ImstuiError(str(exc)))
    sys.stdout.flush()
    warn_damaged(out, tally.damaged)
    return EXIT_OK


__all__ = [
    "DEMO_PROFILE",
    "clip",
    "export_csv",
    "iter_table_lines",
    "not_shown_line",
    "record_to_dict",
    "rows_of",
    "run_export",
    "run_list",
    "scope_of",
    "since_argument",
    "table_lines",
    "warn_damaged",
]
