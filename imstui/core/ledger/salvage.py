"""Reading what can still be read from a ledger file that will not open (:class:`LedgerDamagedError`).

Read-only (the file is never changed), without migrations or the schema check: the jobs table's columns that
exist are read (a dropped column reads as empty), row by row by row id, so a damaged page costs the rows on it
and not the others. This is what ``imstui jobs export`` falls back to before the operator moves the file aside.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imstui.core.ledger.records import COLUMN_NAMES, DamagedRow, JobRecord, parse_row

__all__ = ["Salvage", "salvage"]

_MAX_ROWS = 1_000_000  # a bound on the row-id walk of a file whose row ids cannot be listed


@dataclass
class Salvage:
    """What :func:`salvage` recovered: readable records, rows it could not read, and why reading stopped (if)."""

    records: list[JobRecord] = field(default_factory=list)
    damaged: list[DamagedRow] = field(default_factory=list)
    problem: str | None = None


def _row_ids(conn: sqlite3.Connection) -> list[int]:
    try:
        return [int(r[0]) for r in conn.execute("SELECT row_id FROM jobs ORDER BY row_id").fetchall()]
    except sqlite3.DatabaseError:
        pass
    highest = 0
    for sql in ("SELECT max(row_id) FROM jobs", "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'"):
        try:
            row = conn.execute(sql).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row and isinstance(row[0], int):
            highest = max(highest, row[0])
    return list(range(1, min(highest, _MAX_ROWS) + 1))


def salvage(path: Path) -> Salvage:
    """Every row of ``path``'s jobs table that can be read (see the module docstring); never raises for a damaged
    file (``problem`` says what stopped the reading)."""
    found = Salvage()
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (sqlite3.Error, OSError, ValueError) as exc:
        found.problem = str(exc)
        return found
    try:
        present = [str(r[1]) for r in conn.execute("PRAGMA table_info(jobs)").fetchall()]
        if not present:
            found.problem = "the jobs table is missing"
            return found
        columns = [name for name in COLUMN_NAMES if name in present]
        missing = [name for name in COLUMN_NAMES if name not in present]
        if missing:  # read as empty: a row still parses if what it lost was optional
            found.problem = f"the jobs table has no {', '.join(missing)} column"
        select = f"SELECT {', '.join(columns)} FROM jobs WHERE row_id = ?"  # noqa: S608 - names from the schema
        for row_id in _row_ids(conn):
            try:
                row = conn.execute(select, (row_id,)).fetchone()
            except sqlite3.DatabaseError as exc:
                found.damaged.append(DamagedRow(row_id=row_id, job_id=None, profile=None, reason=str(exc)))
                continue
            if row is None:
                continue
            values: dict[str, Any] = dict(zip(columns, row, strict=True))
            parsed = parse_row([values.get(name) for name in COLUMN_NAMES])
            if isinstance(parsed, JobRecord):
                found.records.append(parsed)
            else:
                found.damaged.append(parsed)
    except sqlite3.DatabaseError as exc:
        found.problem = str(exc)
    finally:
        conn.close()
    return found
