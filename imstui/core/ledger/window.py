"""The jobs panel's first screenful, read before the rest of the history: the ``limit`` newest rows of a scope
through the ``jobs_submitted`` index (newest first is the panel's default order), so a console over a year of
history shows its first page in the time one indexed SELECT takes, whatever the size of the ledger.

The panel then receives the whole history from a worker thread (:meth:`Ledger.list`) and merges it by row version
(:func:`merge_by_version`), so a poller change that arrived meanwhile is never replaced by an older read.
"""

# ruff: noqa: S608 - the query is built from this module's constants and scope.py's; values are parameters

from __future__ import annotations

from collections.abc import Iterable

from imstui.core.ledger.records import COLUMNS, JobRecord, parse_row
from imstui.core.ledger.scope import Scope, scope_sql
from imstui.core.ledger.store import Ledger

__all__ = ["FIRST_PAGE", "merge_by_version", "newest"]

FIRST_PAGE = 200  # rows: more than any terminal shows at once

_BY_SUBMITTED = "jobs INDEXED BY jobs_submitted"


def newest(ledger: Ledger, profile: str | Scope | None = None, limit: int = FIRST_PAGE) -> list[JobRecord]:
    """The ``limit`` most recently submitted readable rows of ``profile`` (None: every profile), oldest first."""
    clause, params = scope_sql(profile)
    where = f" WHERE ({clause})" if clause is not None else ""
    sql = f"SELECT {COLUMNS} FROM {_BY_SUBMITTED}{where} ORDER BY submitted_at DESC, row_id DESC LIMIT ?"
    rows = [parse_row(row) for row in ledger._read(sql, [*params, limit])]
    return [row for row in reversed(rows) if isinstance(row, JobRecord)]


def merge_by_version(read: Iterable[JobRecord], known: Iterable[JobRecord]) -> list[JobRecord]:
    """``read`` (a full read of the ledger) with each row replaced by the ``known`` version of it when that one is
    at least as new (its ledger ``version``), plus the ``known`` rows the read did not have; in ``read``'s order."""
    mine = {record.row_id: record for record in known}
    merged: list[JobRecord] = []
    for record in read:
        current = mine.pop(record.row_id, None)
        merged.append(current if current is not None and current.version >= record.version else record)
    merged.extend(mine.values())
    return merged
