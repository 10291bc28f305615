"""The durable job ledger: every copy imstui submits (or is told about) survives crashes, restarts and kill -9.

One SQLite file (``<state dir>/jobs.sqlite3``, owner-only) in WAL mode with a busy timeout, so a console and a
``jobs watch`` in another terminal can share it. A copy is written as an *intent* before the POST and gets its job
id after the answer, so a crash in between leaves a visible ``submitting`` row instead of a job nobody knows about;
every process that opens the ledger turns such rows of dead processes into ``outcome_unknown`` ones.

Every write bumps a change counter stored in the file; :meth:`Ledger.data_version` reads it (one indexed SELECT) and
:meth:`Ledger.changes_since` returns what changed, which is how a process notices rows written by another one.

Rows are read one by one: a row that cannot be parsed is a :class:`DamagedRow` (:meth:`Ledger.damaged`) and every
other row still reads. A damaged file (not a database, damaged pages, a lost table or column) is one
:class:`LedgerDamagedError` naming the file and how to recover; a failed write (full disk, read-only file, a lock
held too long) is a :class:`LedgerUnwritableError`. No ``sqlite3`` exception leaves this package.

Thread safety: one connection per :class:`Ledger`, every access serialised by a lock (``check_same_thread=False``),
so an instance may be shared by the event loop and a thread pool. Two processes are safe through SQLite's locking:
writes use ``BEGIN IMMEDIATE`` so they queue on the busy timeout instead of failing on a lock upgrade.

Modules: :mod:`.records` (rows as records), :mod:`.schema` (migrations, schema check), :mod:`.store` (the
:class:`Ledger`), :mod:`.polls` (poll results), :mod:`.sweep` (stale submissions), :mod:`.salvage` (reading a
file that will not open), :mod:`.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imstui.api.lazy import lazy_attributes

if TYPE_CHECKING:
    from imstui.core.jobs import OUTCOME_UNKNOWN, REJECTED, SUBMITTED, SUBMITTING, JobState, ListFilter
    from imstui.core.ledger.errors import InvalidJobIdError, LedgerDamagedError, LedgerError, LedgerUnwritableError
    from imstui.core.ledger.polls import GONE_MESSAGE
    from imstui.core.ledger.records import DamagedRow, JobRecord, LedgerChanges, PollUpdate, utcnow
    from imstui.core.ledger.salvage import Salvage, salvage
    from imstui.core.ledger.schema import SCHEMA_VERSION
    from imstui.core.ledger.store import BUSY_TIMEOUT_MS, Ledger, PollResults, Records, check_stored_job_id
    from imstui.core.ledger.sweep import STALE_SUBMISSION_GRACE

# Each name loads its module on first use (PEP 562): the console's first screen needs the records and the paged
# view (the jobs panel's types), not the store, its schema checks, salvage and sweeping, which load when a session
# opens the ledger (benchmarks/startup_bench.py: the first screen comes sooner).
_HOME = {
    "OUTCOME_UNKNOWN": "imstui.core.jobs",
    "REJECTED": "imstui.core.jobs",
    "SUBMITTED": "imstui.core.jobs",
    "SUBMITTING": "imstui.core.jobs",
    "JobState": "imstui.core.jobs",
    "ListFilter": "imstui.core.jobs",
    "InvalidJobIdError": "imstui.core.ledger.errors",
    "LedgerDamagedError": "imstui.core.ledger.errors",
    "LedgerError": "imstui.core.ledger.errors",
    "LedgerUnwritableError": "imstui.core.ledger.errors",
    "GONE_MESSAGE": "imstui.core.ledger.polls",
    "DamagedRow": "imstui.core.ledger.records",
    "JobRecord": "imstui.core.ledger.records",
    "LedgerChanges": "imstui.core.ledger.records",
    "PollUpdate": "imstui.core.ledger.records",
    "utcnow": "imstui.core.ledger.records",
    "Salvage": "imstui.core.ledger.salvage",
    "salvage": "imstui.core.ledger.salvage",
    "SCHEMA_VERSION": "imstui.core.ledger.schema",
    "BUSY_TIMEOUT_MS": "imstui.core.ledger.store",
    "Ledger": "imstui.core.ledger.store",
    "PollResults": "imstui.core.ledger.store",
    "Records": "imstui.core.ledger.store",
    "check_stored_job_id": "imstui.core.ledger.store",
    "STALE_SUBMISSION_GRACE": "imstui.core.ledger.sweep",
}


__getattr__ = lazy_attributes(globals(), _HOME)


__all__ = [
    "BUSY_TIMEOUT_MS",
    "GONE_MESSAGE",
    "OUTCOME_UNKNOWN",
    "REJECTED",
    "SCHEMA_VERSION",
    "STALE_SUBMISSION_GRACE",
    "SUBMITTED",
    "SUBMITTING",
    "DamagedRow",
    "InvalidJobIdError",
    "JobRecord",
    "JobState",
    "Ledger",
    "LedgerChanges",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerUnwritableError",
    "ListFilter",
    "PollResults",
    "PollUpdate",
    "Records",
    "Salvage",
    "check_stored_job_id",
    "salvage",
    "utcnow",
]
