"""Which ``submitting`` rows are stale: their process died, or they are older than any POST can take.

Every process that opens the ledger runs the sweep (:meth:`Ledger.sweep_stale_submissions`), with the same grace
period as the console's periodic one, so a ``copy`` killed mid-POST shows up as "outcome unknown" in
``imstui jobs --failed`` and ``jobs watch`` on a headless host too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from imstui.core.ledger.records import from_db_time

__all__ = ["STALE_FAIL_REASON", "STALE_SUBMISSION_GRACE", "pid_alive", "stale_rows"]

# A live submitter's row is left alone this long (a copy POST never takes this long: its deadline is far shorter).
STALE_SUBMISSION_GRACE = timedelta(minutes=10)
STALE_FAIL_REASON = "imstui stopped before the copy request was answered: check the image list before submitting again"


def stale_rows(rows: Iterable[tuple[Any, Any, Any]], *, now: datetime, older_than: timedelta) -> list[int]:
    """Row ids among ``(row_id, submitter_pid, submitted_at)`` whose submitter is gone or which are too old.

    This process's own fresh rows are never stale (it is sending them right now); an unreadable timestamp
    counts as old."""
    cutoff = now - older_than
    stale: list[int] = []
    for row_id, pid, submitted_at in rows:
        try:
            submitted = from_db_time(submitted_at) if isinstance(submitted_at, str) else None
        except ValueError:
            submitted = None
        fresh = submitted is not None and submitted > cutoff
        if pid == os.getpid() and fresh:
            continue
        if not fresh or not pid_alive(pid):
            stale.append(int(row_id))
    return stale


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:  # pragma: no cover - e.g. Windows semantics
        return True
    return True
