"""The ledger's record of tags on a copy (:class:`TagMarks`, a part of :class:`~imstui.core.ledger.Ledger`).

A row asks for tags at submission (``tags``, ``tags_state = 'pending'``); once its job succeeded and the new image
id is known, whichever process follows it applies them (:mod:`imstui.core.tagging`) and writes ``applied`` or
``failed`` (with the code and message). A retry puts a failed row back to ``pending``. The copy columns are never
touched here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imstui.core.ledger.records import COLUMNS, JobRecord, parse_row, text, to_db_time, utcnow
from imstui.core.ledger.scope import Scope, scope_sql

__all__ = ["TAGS_ERROR_MAX", "TagMarks"]

TAGS_ERROR_MAX = 600  # "CODE message": enough for any IMS message, short enough for one line

_TO_TAG = (
    f"SELECT {COLUMNS} FROM jobs WHERE tags_state = 'pending' AND status = 'SUCCESS' "  # noqa: S608 - constants
    "AND new_image_id IS NOT NULL AND new_image_id != ''"
)


class TagMarks:
    """Tag-state writes and the query of rows whose tags are still to apply."""

    if TYPE_CHECKING:

        def _write(self) -> AbstractContextManager[tuple[sqlite3.Connection, int]]: ...

        def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

        def get_row(self, row_id: int) -> JobRecord | None: ...

    def tags_to_apply(self, scope: str | Scope | None = None) -> list[JobRecord]:
        """Rows whose job succeeded with a known new image id and whose tags are still ``pending`` (a process
        that died before tagging, or a retry asked for), oldest first."""
        clause, params = scope_sql(scope)
        where = f" AND {clause}" if clause else ""
        rows = self._read(f"{_TO_TAG}{where} ORDER BY row_id", params)
        return [r for r in map(parse_row, rows) if isinstance(r, JobRecord)]

    def mark_tags_applied(self, row_id: int, *, at: datetime | None = None) -> JobRecord | None:
        """The tags are on the new image. Only a ``pending`` row changes (another process may have won);
        returns the row as it is now (None: no such row)."""
        return self._set_tags_state(row_id, "applied", None, at, where="pending")

    def mark_tags_failed(self, row_id: int, code: str, message: str, *, at: datetime | None = None) -> JobRecord | None:
        """Tagging failed with ``code`` and ``message`` (stored sanitised, on one line); only a ``pending`` row."""
        said = " ".join(f"{code or 'ERROR'} {message or ''}".split())
        return self._set_tags_state(row_id, "failed", (text(said) or "")[:TAGS_ERROR_MAX], at, where="pending")

    def mark_tags_pending(self, row_id: int) -> JobRecord | None:
        """Ask for the row's tags again (a retry): a row with tags that are not applied becomes ``pending``, its
        last error kept until the next attempt ends. A row without tags, or already applied, is unchanged."""
        return self._set_tags_state(row_id, "pending", None, None, where="failed", keep_error=True)

    def _set_tags_state(
        self,
        row_id: int,
        state: str,
        error: str | None,
        at: datetime | None,
        *,
        where: str,
        keep_error: bool = False,
    ) -> JobRecord | None:
        with self._write() as (conn, version):
            if keep_error:
                conn.execute(
                    "UPDATE jobs SET tags_state = ?, version = ? WHERE row_id = ? AND tags IS NOT NULL "
                    "AND tags_state IN (?, 'pending')",
                    (state, version, row_id, where),
                )
            else:
                conn.execute(
                    "UPDATE jobs SET tags_state = ?, tags_error = ?, tags_at = ?, version = ? "
                    "WHERE row_id = ? AND tags_state = ?",
                    (state, error, to_db_time(at or utcnow()), version, row_id, where),
                )
        return self.get_row(row_id)
