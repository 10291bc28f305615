"""The :class:`Ledger`: one SQLite file shared by every imstui process on the host (see the package docstring)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from imstui.api.fields import ID_RULE, is_api_id
from imstui.api.models import Job
from imstui.api.tag_models import ImageTag
from imstui.core import jobs
from imstui.core.account import normalise_endpoint
from imstui.core.fsutil import ensure_private_dir, ensure_private_file, tighten_file
from imstui.core.jobs import OUTCOME_UNKNOWN, REJECTED, SUBMITTING, ListFilter
from imstui.core.ledger.errors import InvalidJobIdError, LedgerDamagedError, LedgerError, translate
from imstui.core.ledger.polls import poll_values
from imstui.core.ledger.records import (
    COLUMN_INDEX,
    COLUMNS,
    DamagedRow,
    JobRecord,
    LedgerChanges,
    PollUpdate,
    parse_row,
    tags_to_db,
    text,
    to_db_time,
    utcnow,
)
from imstui.core.ledger.schema import check_pages, check_schema, migrate
from imstui.core.ledger.scope import Scope, scope_sql
from imstui.core.ledger.sweep import STALE_FAIL_REASON, STALE_SUBMISSION_GRACE, stale_rows
from imstui.core.ledger.tag_marks import TagMarks
from imstui.core.paths import default_ledger_path
from imstui.core.validation import check_job_id

__all__ = ["BUSY_TIMEOUT_MS", "DamagedRows", "Ledger", "PollResults", "Records", "check_stored_job_id"]

_T = TypeVar("_T")

BUSY_TIMEOUT_MS = 10_000

Records = list[JobRecord]
PollResults = list[tuple[JobRecord | None, JobRecord | None]]
DamagedRows = list[DamagedRow]

_SELECT = f"SELECT {COLUMNS} FROM jobs"  # noqa: S608 - constant column list
_BY_JOB = f"{_SELECT} WHERE job_id = ?"
_BY_ROW = f"{_SELECT} WHERE row_id = ?"
_SINCE = f"{_SELECT} WHERE version > ? ORDER BY row_id"


def check_stored_job_id(job_id: object) -> str:
    """``job_id`` exactly as given if some way in accepts it: the API's id rule for a copy answer
    (:data:`imstui.api.fields.ID_RE`) or the rule of ``imstui jobs import``
    (:func:`imstui.core.validation.check_job_id`). Anything else raises :class:`InvalidJobIdError` (showing the
    value escaped); an id is never shortened or altered."""
    if not isinstance(job_id, str):
        raise InvalidJobIdError(job_id, "a job id is text")
    violation = check_job_id(job_id)
    if violation is not None and not is_api_id(job_id):
        raise InvalidJobIdError(job_id, f"{violation.message} IMS ids: {ID_RULE}.")
    return job_id


def _records(rows: Iterable[Sequence[Any]]) -> Records:
    return [r for r in map(parse_row, rows) if isinstance(r, JobRecord)]


def _one(rows: Sequence[Sequence[Any]]) -> JobRecord | None:
    """The record of the first row; None for no row or a damaged one (listed by :meth:`Ledger.damaged`)."""
    found = parse_row(rows[0]) if rows else None
    return found if isinstance(found, JobRecord) else None


class Ledger(TagMarks):
    """The job ledger. ``path=None`` uses ``<state dir>/jobs.sqlite3``.

    Opening it checks the schema and, unless ``check_pages=False``, every page (a damaged file is one
    :class:`LedgerDamagedError`) and, unless ``sweep=False``, turns stale ``submitting`` rows into
    ``outcome_unknown`` (best effort: a read-only ledger still opens). With ``check_pages=False`` the opener checks
    the pages later with :meth:`verify_pages` (the console: in a thread once its first screen of jobs is up)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        timeout_ms: int = BUSY_TIMEOUT_MS,
        sweep: bool = True,
        check_pages: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
        self.pages_checked = check_pages  # False: verify_pages() is still to be called
        self._lock = threading.RLock()
        self._closed = False
        try:
            if self.path.parent != Path("") and (path is None or not self.path.parent.exists()):
                ensure_private_dir(self.path.parent)
            ensure_private_file(self.path)
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the job ledger {self.path}: {exc}") from None
        try:
            with self._guard():
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
                mode = _retry_locked(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone())
                if mode is None or str(mode[0]).lower() != "wal":  # pragma: no cover - e.g. a network filesystem
                    raise LedgerError(f"the job ledger {self.path} cannot use WAL mode")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.execute("PRAGMA foreign_keys = ON")
                migrate(self._conn, self.path)
                check_schema(self._conn, self.path, pages=check_pages)
        except BaseException:
            self._conn.close()
            raise
        for suffix in ("-wal", "-shm"):
            tighten_file(self.path.with_name(self.path.name + suffix))
        if sweep:
            try:
                self.sweep_stale_submissions()
            except LedgerError as exc:
                if isinstance(exc, LedgerDamagedError):
                    self.close()
                    raise
                # Cannot write now (full disk, read-only): reading still works; the next opener sweeps.

    def verify_pages(self) -> None:
        """Read every page of the file on a connection of its own (the ledger's stays free for the poller and the
        fronts meanwhile); a damaged page is one :class:`LedgerDamagedError`. Safe from any thread."""
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        except (OSError, sqlite3.Error, ValueError) as exc:
            raise LedgerError(f"cannot open the job ledger {self.path}: {exc}") from None
        try:
            check_pages(conn, self.path)
        except sqlite3.DatabaseError as exc:
            raise LedgerDamagedError(self.path, f"database disk image is malformed: {exc}") from None
        finally:
            conn.close()
        self.pages_checked = True

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Driver errors become :class:`LedgerError` (damaged file, full disk, lock held too long...)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise translate(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """A write transaction; yields the connection and this transaction's change counter value."""
        with self._lock, self._guard():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
                row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                if row is None:
                    raise LedgerDamagedError(self.path, "its change counter (meta 'version' row) is missing")
                yield conn, int(row[0])
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock, self._guard():
            cursor = self._conn.execute(sql, params)
            return list(cursor.fetchall())

    @property
    def schema_version(self) -> int:
        rows = self._read("SELECT version FROM schema_version")
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ reads

    def data_version(self) -> int:
        """A counter bumped by every write from any process: compare two values to notice changes cheaply."""
        rows = self._read("SELECT value FROM meta WHERE key = 'version'")
        return int(rows[0][0]) if rows else 0

    def changes_since(self, version: int) -> LedgerChanges:
        """Rows written and rows removed after ``version`` (a value from :meth:`data_version`); damaged rows are
        left out (see :meth:`damaged`)."""
        with self._lock, self._guard():
            self._conn.execute("BEGIN")
            try:
                now = int(self._conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
                changed = _records(self._conn.execute(_SINCE, (version,)).fetchall())
                removed = [
                    int(r[0])
                    for r in self._conn.execute(
                        "SELECT row_id FROM removed WHERE version > ? ORDER BY row_id", (version,)
                    ).fetchall()
                ]
            finally:
                self._conn.execute("COMMIT")
        return LedgerChanges(since=version, version=now, changed=changed, removed_row_ids=removed)

    def get(self, job_id: str) -> JobRecord | None:
        return _one(self._read(_BY_JOB, (job_id,)))

    def get_row(self, row_id: int) -> JobRecord | None:
        return _one(self._read(_BY_ROW, (row_id,)))

    def list(self, profile: str | Scope | None = None, *, only: ListFilter = "all") -> Records:
        """Readable rows of ``profile`` (a name or a :class:`~imstui.core.ledger.scope.Scope`), oldest first
        (damaged ones: :meth:`damaged`). ``only`` selects phases as
        :func:`imstui.core.jobs.filter_phases` says: ``"outstanding"`` = jobs still to poll, ``"running"`` =
        outstanding plus submissions in flight, ``"failed"`` = everything that needs a look (failed, rejected,
        outcome unknown, gone before finishing)."""
        clauses: list[str] = []
        params: list[Any] = []
        scope, params = scope_sql(profile)
        if scope is not None:
            clauses.append(scope)
        phases = jobs.filter_sql(jobs.filter_phases(only))
        if phases is not None:
            clauses.append(phases)
        if only == "outstanding":
            clauses.append("job_id IS NOT NULL")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return _records(self._read(f"{_SELECT}{where} ORDER BY row_id", params))

    def damaged(self, profile: str | None = None) -> DamagedRows:
        """Rows that cannot be read as records (every filter leaves them out), with the reason for each."""
        where, params = (" WHERE profile = ? OR typeof(profile) != 'text'", (profile,)) if profile else ("", ())
        rows = self._read(f"{_SELECT}{where} ORDER BY row_id", params)
        return [r for r in map(parse_row, rows) if isinstance(r, DamagedRow)]

    def outstanding(self, profile: str | Scope | None = None) -> Records:
        """Jobs the poller must follow: job id known, not SUCCESS/FAIL, not gone."""
        return self.list(profile, only="outstanding")

    def profiles(self) -> Sequence[str]:
        return [str(r[0]) for r in self._read("SELECT DISTINCT profile FROM jobs ORDER BY profile")]

    # ------------------------------------------------------------------ submission lifecycle

    def record_intent(
        self,
        *,
        profile: str,
        region: str,
        project_id: str | None,
        source_image_id: str,
        source_image_name: str | None,
        name: str,
        description: str | None = None,
        cmk_id: str | None = None,
        enterprise_project_id: str | None = None,
        retry_of: int | None = None,
        submitted_at: datetime | None = None,
        endpoint: str | None = None,
        tags: Sequence[ImageTag] = (),
    ) -> int:
        """Write a ``submitting`` row BEFORE the copy POST is sent; returns its row id. ``endpoint``: the IMS
        endpoint the copy goes to (normalised here, :func:`imstui.core.account.normalise_endpoint`); ``tags``:
        to apply once the job succeeded (the row's tags are then ``pending``, :mod:`imstui.core.tagging`)."""
        at = submitted_at or utcnow()
        with self._write() as (conn, version):
            cursor = conn.execute(
                "INSERT INTO jobs (profile, region, project_id, source_image_id, source_image_name, name, "
                "description, cmk_id, enterprise_project_id, submitted_at, state, retry_of, submitter_pid, version, "
                "endpoint, tags, tags_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?, ?, ?)",
                (
                    profile,
                    region,
                    project_id,
                    text(source_image_id),
                    text(source_image_name),
                    text(name),
                    text(description, multiline=True),
                    text(cmk_id),
                    text(enterprise_project_id),
                    to_db_time(at),
                    retry_of,
                    os.getpid(),
                    version,
                    normalise_endpoint(endpoint),
                    tags_to_db(tags),
                    "pending" if tags else None,
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return int(row_id)

    def attach_job_id(self, row_id: int, job_id: str) -> JobRecord:
        """The POST answered with ``job_id``: the row becomes ``submitted`` (and pollable). The id is stored
        exactly as given; one that does not fit the documented shape raises :class:`InvalidJobIdError`."""
        job_id = check_stored_job_id(job_id)
        with self._write() as (conn, version):
            # A job id imported by hand before this answer was recorded: fold that row into this one.
            conn.execute("DELETE FROM jobs WHERE job_id = ? AND row_id != ? AND imported = 1", (job_id, row_id))
            cursor = conn.execute(
                "UPDATE jobs SET job_id = ?, state = 'submitted', fail_reason = NULL, error_code = NULL, "
                "version = ? WHERE row_id = ?",
                (job_id, version, row_id),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no ledger row {row_id}")
        record = self.get_row(row_id)
        assert record is not None
        return record

    def mark_outcome_unknown(self, row_id: int, reason: str) -> JobRecord:
        """The POST may or may not have created a job (timeout, reset, crash): keep the row and say so."""
        return self._update_known_row(row_id, state=OUTCOME_UNKNOWN, fail_reason=text(reason, multiline=True))

    def mark_rejected(self, row_id: int, code: str, message: str) -> JobRecord:
        """The server refused the copy (no job was created)."""
        return self._update_known_row(
            row_id, state=REJECTED, error_code=text(code), fail_reason=text(message, multiline=True)
        )

    def sweep_stale_submissions(self, *, older_than: timedelta = STALE_SUBMISSION_GRACE) -> Records:
        """Turn ``submitting`` rows left by a process that died (or that are too old to be in flight) into
        ``outcome_unknown`` rows. Returns the rows changed. Opening a ledger does this once."""
        rows = self._read("SELECT row_id, submitter_pid, submitted_at FROM jobs WHERE state = 'submitting'")
        changed: Records = []
        for row_id in stale_rows(rows, now=utcnow(), older_than=older_than):
            record = self._update_row(
                row_id, state=OUTCOME_UNKNOWN, fail_reason=STALE_FAIL_REASON, where_state=SUBMITTING
            )
            if record is not None and record.state == OUTCOME_UNKNOWN:
                changed.append(record)
        return changed

    def import_job(
        self,
        job_id: str,
        profile: str,
        region: str,
        project_id: str | None,
        *,
        at: datetime | None = None,
        endpoint: str | None = None,
    ) -> JobRecord:
        """Track a job id submitted elsewhere (console, KooCLI, Terraform). Idempotent. The id is stored exactly
        as given (surrounding blanks aside); one that does not fit raises :class:`InvalidJobIdError`."""
        job_id = check_stored_job_id(job_id.strip() if isinstance(job_id, str) else job_id)
        existing = self.get(job_id)
        if existing is not None:
            return existing
        with self._write() as (conn, version):
            conn.execute(
                "INSERT OR IGNORE INTO jobs (job_id, profile, region, project_id, submitted_at, state, imported, "
                "version, endpoint) VALUES (?, ?, ?, ?, ?, 'submitted', 1, ?, ?)",
                (
                    job_id,
                    profile,
                    region,
                    project_id,
                    to_db_time(at or utcnow()),
                    version,
                    normalise_endpoint(endpoint),
                ),
            )
        record = self.get(job_id)
        if record is None:
            raise LedgerError(f"the job ledger {self.path} holds a damaged row for job {job_id}")
        return record

    def forget(self, job_id: str) -> bool:
        """Remove the row of ``job_id``; False if there was none."""
        with self._write() as (conn, version):
            rows = conn.execute("SELECT row_id FROM jobs WHERE job_id = ?", (job_id,)).fetchall()
            for (row_id,) in rows:
                conn.execute("INSERT OR REPLACE INTO removed(row_id, version) VALUES (?, ?)", (row_id, version))
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
        return bool(rows)

    def forget_row(self, row_id: int) -> bool:
        """Remove a row by row id (for submissions without a job id, and damaged rows)."""
        with self._write() as (conn, version):
            cursor = conn.execute("DELETE FROM jobs WHERE row_id = ?", (row_id,))
            if cursor.rowcount:
                conn.execute("INSERT OR REPLACE INTO removed(row_id, version) VALUES (?, ?)", (row_id, version))
        return bool(cursor.rowcount)

    # ------------------------------------------------------------------ polling results

    def update_from_job(self, job_id: str, job: Job, at: datetime) -> JobRecord | None:
        """Store a status answer. A finished job never goes back to running. None if the job is not in the ledger."""
        return self.apply_polls([PollUpdate(job_id=job_id, at=at, job=job)])[0][1]

    def record_poll_error(self, job_id: str, message: str, at: datetime) -> JobRecord | None:
        """A poll failed: keep the last good status, remember the error."""
        return self.apply_polls([PollUpdate(job_id=job_id, at=at, error=message)])[0][1]

    def mark_gone(self, job_id: str, at: datetime) -> JobRecord | None:
        """The server no longer knows the job: keep its last known state, flag it, stop polling it."""
        return self.apply_polls([PollUpdate(job_id=job_id, at=at, gone=True)])[0][1]

    def apply_polls(self, updates: Iterable[PollUpdate]) -> PollResults:
        """Apply poll results in ONE transaction; returns ``(previous, current)`` per update (None: no such row,
        or a damaged one, which is left as it is)."""
        results: PollResults = []
        with self._write() as (conn, version):
            for update in updates:
                row = conn.execute(_BY_JOB, (update.job_id,)).fetchone()
                previous = parse_row(row) if row is not None else None
                if not isinstance(previous, JobRecord):
                    results.append((None, None))
                    continue
                values = poll_values(previous, update)
                values["version"] = version
                assignments = ", ".join(f"{key} = ?" for key in values)
                conn.execute(
                    f"UPDATE jobs SET {assignments} WHERE row_id = ?",  # noqa: S608 - keys are our own constants
                    (*values.values(), previous.row_id),
                )
                # The new row is the old one with these columns replaced: no need to read it back.
                merged = list(row)
                for key, value in values.items():
                    merged[COLUMN_INDEX[key]] = value
                current = parse_row(merged)
                results.append((previous, current if isinstance(current, JobRecord) else None))
        return results

    # ------------------------------------------------------------------ helpers

    def _update_row(self, row_id: int, *, where_state: str | None = None, **values: Any) -> JobRecord | None:
        with self._write() as (conn, version):
            values["version"] = version
            assignments = ", ".join(f"{key} = ?" for key in values)
            sql = f"UPDATE jobs SET {assignments} WHERE row_id = ?"  # noqa: S608 - keys are our own constants
            params: list[Any] = [*values.values(), row_id]
            if where_state is not None:
                sql += " AND state = ?"
                params.append(where_state)
            conn.execute(sql, params)
        return self.get_row(row_id)

    def _update_known_row(self, row_id: int, **values: Any) -> JobRecord:
        record = self._update_row(row_id, **values)
        if record is None:
            raise KeyError(f"no ledger row {row_id}")
        return record


def _retry_locked(action: Callable[[], _T], attempts: int = 50) -> _T:
    """Retry an operation that SQLite refuses with "database is locked" without consulting the busy handler
    (switching to WAL while another process opens the same new file)."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover
