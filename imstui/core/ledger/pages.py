"""Reading a year of history without holding it: rows streamed from the cursor in chunks, and the bounded
selections (outstanding rows, the default listing) as indexed SQL.

:func:`stream` yields every selected row as it is read (a :class:`JobRecord`, or a :class:`DamagedRow` for a row
that cannot be parsed), ``CHUNK`` rows at a time, so a listing of 100,000 rows holds one chunk in memory, never the
table. :func:`outstanding` reads only the open rows (the partial index ``jobs_open_rows``, built on
:data:`imstui.core.jobs.OPEN_SQL`). :func:`default_view` is what ``imstui jobs`` shows without a filter: every job
still in flight, those needing attention submitted in the last ``recent``, and the ``latest`` newest rows.

Every phase condition comes from :mod:`imstui.core.jobs` (:data:`PHASE_SQL` through :func:`filter_sql`); the
functions here only say which rows and in which order.
"""

# ruff: noqa: S608 - every query here is built from this module's constants and jobs.py's; values are parameters

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from imstui.core import jobs
from imstui.core.jobs import ATTENTION, OPEN_SQL, OUTSTANDING, ListFilter, Phase
from imstui.core.ledger.records import COLUMNS, DamagedRow, JobRecord, parse_row, to_db_time
from imstui.core.ledger.scope import Scope, scope_sql
from imstui.core.ledger.store import Ledger

__all__ = ["CHUNK", "DefaultView", "count", "default_view", "outstanding", "stream"]

CHUNK = 500  # rows fetched from the cursor at a time

Row = JobRecord | DamagedRow

# Outstanding rows through the partial index: OPEN_SQL (the index's WHERE, word for word) ANDed with the phase
# rule itself, so the selection is exactly filter_sql(OUTSTANDING) and the planner may use the index.
_OUTSTANDING = f"{OPEN_SQL} AND {jobs.filter_sql(OUTSTANDING)} AND job_id IS NOT NULL"
# Without ANALYZE statistics SQLite prefers the state index (nine rows in ten are 'submitted'): name the index.
_OPEN_ROWS = "jobs INDEXED BY jobs_open_rows"
_BY_SUBMITTED = "jobs INDEXED BY jobs_submitted"
_SUBMITTING = jobs.PHASE_SQL[Phase.SUBMITTING]
_ATTENTION = jobs.filter_sql(ATTENTION)


def _scoped(where: str | None, profile: str | Scope | None) -> tuple[str, list[Any]]:
    clauses = [f"({where})"] if where else []
    scope, params = scope_sql(profile)
    if scope is not None:
        clauses.append(f"({scope})")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _rows(ledger: Ledger, sql: str, params: Sequence[Any]) -> Iterator[Row]:
    """Parse the rows of ``sql`` one chunk at a time. The ledger's lock is held per chunk, not across yields, so a
    slow reader (a pipe) never blocks the ledger's other users in this process; SQLite keeps the read snapshot."""
    with ledger._lock, ledger._guard():
        cursor = ledger._conn.execute(sql, params)
    try:
        while True:
            with ledger._lock, ledger._guard():
                rows = cursor.fetchmany(CHUNK)
            if not rows:
                return
            yield from map(parse_row, rows)
    finally:  # also when the reader went away (a closed pipe) and the ledger was closed before this ran
        with suppress(sqlite3.Error):
            cursor.close()


def stream(
    ledger: Ledger, profile: str | Scope | None = None, *, only: ListFilter = "all", since: datetime | None = None
) -> Iterator[Row]:
    """Rows of ``profile`` (None: every profile) in the phases ``only`` selects, submitted at or after ``since``,
    oldest first. Damaged rows are yielded as :class:`DamagedRow` when the selection reaches them (``only="all"``
    without ``since`` reaches every one)."""
    clauses: list[str] = []
    params: list[Any] = []
    table = "jobs"
    if only == "outstanding":
        clauses.append(_OUTSTANDING)
        table = _OPEN_ROWS
    else:
        phases = jobs.filter_sql(jobs.filter_phases(only))
        if phases is not None:
            clauses.append(phases)
    if since is not None:
        clauses.append("submitted_at >= ?")
        params.append(to_db_time(since))
    where, scope = _scoped(" AND ".join(clauses) or None, profile)
    return _rows(ledger, f"SELECT {COLUMNS} FROM {table}{where} ORDER BY row_id", [*params, *scope])


def outstanding(ledger: Ledger, profile: str | Scope | None = None) -> list[JobRecord]:
    """The jobs a poller follows (read from the open-rows index; finished history is never read)."""
    return [r for r in stream(ledger, profile, only="outstanding") if isinstance(r, JobRecord)]


def count(ledger: Ledger, profile: str | Scope | None = None, *, only: ListFilter = "all") -> int:
    """How many rows ``profile`` (None: every profile) has in the phases ``only`` selects (``"all"``: every row,
    damaged ones included)."""
    where, params = _scoped(jobs.filter_sql(jobs.filter_phases(only)), profile)
    rows = ledger._read(f"SELECT COUNT(*) FROM jobs{where}", params)
    return int(rows[0][0]) if rows else 0


@dataclass(frozen=True)
class DefaultView:
    """The bounds of the default listing: attention rows count when submitted at or after ``recent_since``."""

    recent_since: datetime
    latest: int


def default_view(
    ledger: Ledger,
    profile: str | Scope | None,
    *,
    now: datetime,
    recent: timedelta = timedelta(days=7),
    latest: int = 20,
) -> tuple[DefaultView, Iterator[Row]]:
    """Every job in flight (outstanding or being sent), every one needing attention submitted within ``recent``
    of ``now``, and the ``latest`` newest rows; oldest first. Each part is one indexed SELECT (the open-rows,
    state and submitted_at indexes); the result is at most those rows, whatever the size of the history."""
    clause, scope = scope_sql(profile)
    and_scope = f" AND ({clause})" if clause is not None else ""
    where_scope = f" WHERE ({clause})" if clause is not None else ""
    since = now - recent
    selection = (
        f"SELECT row_id FROM {_OPEN_ROWS} WHERE {_OUTSTANDING}{and_scope}"
        f" UNION SELECT row_id FROM jobs WHERE {_SUBMITTING}{and_scope}"
        f" UNION SELECT row_id FROM {_BY_SUBMITTED} WHERE submitted_at >= ? AND {_ATTENTION}{and_scope}"
        f" UNION SELECT row_id FROM (SELECT row_id FROM {_BY_SUBMITTED}{where_scope}"
        " ORDER BY submitted_at DESC, row_id DESC LIMIT ?)"
    )
    params = [*scope, *scope, to_db_time(since), *scope, *scope, latest]
    sql = f"SELECT {COLUMNS} FROM jobs WHERE row_id IN ({selection}) ORDER BY row_id"
    return DefaultView(since, latest), _rows(ledger, sql, params)
