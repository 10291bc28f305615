"""The newest rows of a scope through the ``jobs_submitted`` index: one indexed SELECT, whatever the size of the
ledger (newest first is the jobs panel's default order).

The console's jobs panel no longer reads the history: it pages through it in SQL
(:mod:`imstui.core.ledger.view`); :func:`newest` remains for callers that want the latest rows as records.
"""

# ruff: noqa: S608 - the query is built from this module's constants and scope.py's; values are parameters

from __future__ import annotations

from imstui.core.ledger.records import COLUMNS, JobRecord, parse_row
from imstui.core.ledger.scope import Scope, scope_sql
from imstui.core.ledger.store import Ledger

__all__ = ["FIRST_PAGE", "RECENT_SCAN", "newest", "recent_sources"]

FIRST_PAGE = 200  # rows: more than any terminal shows at once
RECENT_SCAN = 5000  # rows: how far back :func:`recent_sources` looks for distinct source images

_BY_SUBMITTED = "jobs INDEXED BY jobs_submitted"


def newest(ledger: Ledger, profile: str | Scope | None = None, limit: int = FIRST_PAGE) -> list[JobRecord]:
    """The ``limit`` most recently submitted readable rows of ``profile`` (None: every profile), oldest first."""
    clause, params = scope_sql(profile)
    where = f" WHERE ({clause})" if clause is not None else ""
    sql = f"SELECT {COLUMNS} FROM {_BY_SUBMITTED}{where} ORDER BY submitted_at DESC, row_id DESC LIMIT ?"
    rows = [parse_row(row) for row in ledger._read(sql, [*params, limit])]
    return [row for row in reversed(rows) if isinstance(row, JobRecord)]


def recent_sources(
    ledger: Ledger, profile: str | Scope | None, limit: int, *, scan: int = RECENT_SCAN, chunk: int = FIRST_PAGE
) -> list[JobRecord]:
    """The newest row of each of the ``limit`` most recently copied source images of ``profile``, newest first.

    Reads the newest rows a chunk at a time through the ``jobs_submitted`` index and stops once ``limit`` distinct
    sources are found or ``scan`` rows were looked at: opening the lookup never reads a year of history.
    """
    clause, params = scope_sql(profile)
    where = " WHERE source_image_id IS NOT NULL AND source_image_id != ''"
    if clause is not None:
        where += f" AND ({clause})"
    sql = f"SELECT {COLUMNS} FROM {_BY_SUBMITTED}{where} ORDER BY submitted_at DESC, row_id DESC LIMIT ? OFFSET ?"
    found: dict[str, JobRecord] = {}
    offset = 0
    while len(found) < limit and offset < scan:
        rows = ledger._read(sql, [*params, min(chunk, scan - offset), offset])
        for row in rows:
            record = parse_row(row)
            if isinstance(record, JobRecord) and record.source_image_id:
                found.setdefault(record.source_image_id, record)
                if len(found) >= limit:
                    break
        if len(rows) < chunk:
            break
        offset += len(rows)
    return list(found.values())
