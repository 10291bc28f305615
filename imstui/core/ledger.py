"""The durable job ledger: every copy imstui submits (or is told about) survives crashes, restarts and kill -9.

One SQLite file (``<state dir>/jobs.sqlite3``, owner-only) in WAL mode with a busy timeout, so a console and a
``jobs watch`` in another terminal can share it. A copy is written as an *intent* before the POST and gets its job
id after the answer, so a crash in between leaves a visible ``submitting`` row instead of a job nobody knows about.

Every write bumps a change counter stored in the file; :meth:`Ledger.data_version` reads it (one indexed SELECT) and
:meth:`Ledger.changes_since` returns what changed, which is how a process notices rows written by another one.

Thread safety: one connection per :class:`Ledger`, every access serialised by a lock (``check_same_thread=False``),
so an instance may be shared by the event loop and a thread pool. Two processes are safe through SQLite's locking:
writes use ``BEGIN IMMEDIATE`` so they queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from imstui.api.models import Job, JobStatus
from imstui.api.sanitize import sanitize, sanitize_opt
from imstui.core.fsutil import ensure_private_dir, ensure_private_file, tighten_file
from imstui.core.paths import default_ledger_path

_T = TypeVar("_T")

JobState = Literal["submitting", "submitted", "outcome_unknown", "rejected"]
ListFilter = Literal["all", "failed", "running", "outstanding"]

SUBMITTING: JobState = "submitting"
SUBMITTED: JobState = "submitted"
OUTCOME_UNKNOWN: JobState = "outcome_unknown"
REJECTED: JobState = "rejected"

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000
GONE_MESSAGE = "the server no longer knows this job (purged after it finished, or never existed); last known state kept"

_MAX_TEXT = 4096  # cap on any free text stored (server messages are already sanitised; this bounds the file)


class LedgerError(Exception):
    """The ledger file cannot be opened or is from a newer imstui."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _to_db_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _from_db_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _text(value: str | None, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    cleaned = sanitize_opt(value, multiline=multiline)
    if cleaned is None:
        return None
    return cleaned[:_MAX_TEXT]


@dataclass(frozen=True)
class JobRecord:
    """One row of the ledger: a copy submission and what the poller last learnt about its job."""

    row_id: int
    job_id: str | None  # None while the POST's outcome is unknown (or it was rejected)
    profile: str
    region: str
    project_id: str | None
    source_image_id: str | None
    source_image_name: str | None
    name: str | None
    description: str | None
    cmk_id: str | None
    enterprise_project_id: str | None
    submitted_at: datetime
    state: JobState
    status: JobStatus | None = None
    progress: float | None = None
    new_image_id: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    last_polled_at: datetime | None = None
    last_poll_error: str | None = None
    poll_count: int = 0
    terminal_at: datetime | None = None
    gone: bool = False
    retry_of: int | None = None
    # Extensions (not in the original contract):
    imported: bool = False  # tracked with `import_job` (submitted elsewhere): no source image/name known
    current_task: str | None = None
    version: int = field(default=0, compare=False)  # ledger change counter value of the last write to this row

    @property
    def is_terminal(self) -> bool:
        """The job finished (SUCCESS or FAIL): it is never polled again."""
        return self.status is not None and self.status.is_terminal

    @property
    def is_outstanding(self) -> bool:
        """A job the poller still has to follow: id known, not finished, still known to the server."""
        return self.state == SUBMITTED and self.job_id is not None and not self.is_terminal and not self.gone

    @property
    def succeeded(self) -> bool:
        return self.status is JobStatus.SUCCESS

    @property
    def failed(self) -> bool:
        """The copy did not happen: the job failed or the POST was rejected."""
        return self.status is JobStatus.FAIL or self.state == REJECTED

    @property
    def needs_attention(self) -> bool:
        """Failed, rejected, outcome unknown, or the server forgot it before it finished."""
        return self.failed or self.state == OUTCOME_UNKNOWN or (self.gone and not self.is_terminal)

    @property
    def label(self) -> str:
        """The job id, or ``#<row>`` for a submission without one."""
        return self.job_id or f"#{self.row_id}"


@dataclass(frozen=True)
class LedgerChanges:
    """What :meth:`Ledger.changes_since` found: rows written after ``since`` and rows removed after it."""

    since: int
    version: int
    changed: list[JobRecord]
    removed_row_ids: list[int]


@dataclass(frozen=True)
class PollUpdate:
    """One poll result for :meth:`Ledger.apply_polls` (the poller batches them into one transaction)."""

    job_id: str
    at: datetime
    job: Job | None = None  # a status answer
    error: str | None = None  # a failed poll (status kept)
    gone: bool = False  # the server does not know the job


_COLUMNS = (
    "row_id, job_id, profile, region, project_id, source_image_id, source_image_name, name, description, cmk_id, "
    "enterprise_project_id, submitted_at, state, status, progress, new_image_id, error_code, fail_reason, "
    "last_polled_at, last_poll_error, poll_count, terminal_at, gone, retry_of, imported, current_task, version"
)

_COLUMN_INDEX = {name.strip(): index for index, name in enumerate(_COLUMNS.split(","))}

Records = list[JobRecord]
PollResults = list[tuple[JobRecord | None, JobRecord | None]]

_SELECT = f"SELECT {_COLUMNS} FROM jobs"  # noqa: S608 - constant column list
_BY_JOB = f"{_SELECT} WHERE job_id = ?"
_BY_ROW = f"{_SELECT} WHERE row_id = ?"
_SINCE = f"{_SELECT} WHERE version > ? ORDER BY row_id"

# Migrations: index i brings the schema from version i to i + 1. Never edit a shipped entry; append.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        row_id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT UNIQUE,
        profile TEXT NOT NULL,
        region TEXT NOT NULL,
        project_id TEXT,
        source_image_id TEXT,
        source_image_name TEXT,
        name TEXT,
        description TEXT,
        cmk_id TEXT,
        enterprise_project_id TEXT,
        submitted_at TEXT NOT NULL,
        state TEXT NOT NULL,
        status TEXT,
        progress REAL,
        new_image_id TEXT,
        error_code TEXT,
        fail_reason TEXT,
        last_polled_at TEXT,
        last_poll_error TEXT,
        poll_count INTEGER NOT NULL DEFAULT 0,
        terminal_at TEXT,
        gone INTEGER NOT NULL DEFAULT 0,
        retry_of INTEGER,
        imported INTEGER NOT NULL DEFAULT 0,
        current_task TEXT,
        submitter_pid INTEGER,
        version INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_profile ON jobs(profile);
    CREATE INDEX jobs_version ON jobs(version);
    CREATE INDEX jobs_open ON jobs(terminal_at, gone);
    CREATE TABLE removed (row_id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta(key, value) VALUES ('version', 0);
    """,
    # 1 -> 2: the stale-submission sweep (every minute) and the list filters select on `state`.
    """
    CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
    """,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


class Ledger:
    """The job ledger (see the module docstring). ``path=None`` uses ``<state dir>/jobs.sqlite3``."""

    def __init__(self, path: Path | None = None, *, timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
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
            raise LedgerError(f"cannot open the job ledger {self.path}: {exc}") from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
            mode = _retry_locked(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone())
            if mode is None or str(mode[0]).lower() != "wal":  # pragma: no cover - e.g. a network filesystem
                raise LedgerError(f"the job ledger {self.path} cannot use WAL mode")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"the job ledger {self.path} is unusable: {exc}") from exc
        for suffix in ("-wal", "-shm"):
            tighten_file(self.path.with_name(self.path.name + suffix))

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
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """A write transaction; yields the connection and this transaction's change counter value."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
                row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                yield conn, int(row[0])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            return list(cursor.fetchall())

    def _migrate(self) -> None:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = conn.execute("SELECT version FROM schema_version").fetchone()
                current = int(row[0]) if row else 0
                if row is None:
                    conn.execute("INSERT INTO schema_version(version) VALUES (0)")
                if current > len(_MIGRATIONS):
                    raise LedgerError(
                        f"the job ledger {self.path} was written by a newer imstui (schema {current}); upgrade imstui"
                    )
                for index in range(current, len(_MIGRATIONS)):
                    for statement in _split_sql(_MIGRATIONS[index]):
                        conn.execute(statement)
                    conn.execute("UPDATE schema_version SET version = ?", (index + 1,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

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
        """Rows written and rows removed after ``version`` (a value from :meth:`data_version`)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                now = int(self._conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
                changed = [_record(r) for r in self._conn.execute(_SINCE, (version,)).fetchall()]
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
        rows = self._read(_BY_JOB, (job_id,))
        return _record(rows[0]) if rows else None

    def get_row(self, row_id: int) -> JobRecord | None:
        rows = self._read(_BY_ROW, (row_id,))
        return _record(rows[0]) if rows else None

    def list(self, profile: str | None = None, *, only: ListFilter = "all") -> Records:
        """Rows, oldest first. ``only``: ``"outstanding"`` = jobs still to poll (id known, not finished, not gone);
        ``"running"`` = outstanding plus submissions still in flight (``submitting``); ``"failed"`` = failed jobs,
        rejected submissions and submissions whose outcome is unknown (everything that needs a look)."""
        clauses: list[str] = []
        params: list[Any] = []
        if profile is not None:
            clauses.append("profile = ?")
            params.append(profile)
        open_job = "(state = 'submitted' AND job_id IS NOT NULL AND terminal_at IS NULL AND gone = 0)"
        if only == "outstanding":
            clauses.append(open_job)
        elif only == "running":
            clauses.append(f"({open_job} OR state = 'submitting')")
        elif only == "failed":
            clauses.append("(status = 'FAIL' OR state IN ('rejected', 'outcome_unknown'))")
        elif only != "all":
            raise ValueError(f"unknown filter {only!r}")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [_record(r) for r in self._read(f"{_SELECT}{where} ORDER BY row_id", params)]

    def outstanding(self, profile: str | None = None) -> Records:
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
    ) -> int:
        """Write a ``submitting`` row BEFORE the copy POST is sent; returns its row id."""
        at = submitted_at or utcnow()
        with self._write() as (conn, version):
            cursor = conn.execute(
                "INSERT INTO jobs (profile, region, project_id, source_image_id, source_image_name, name, "
                "description, cmk_id, enterprise_project_id, submitted_at, state, retry_of, submitter_pid, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?, ?)",
                (
                    profile,
                    region,
                    project_id,
                    _text(source_image_id),
                    _text(source_image_name),
                    _text(name),
                    _text(description, multiline=True),
                    _text(cmk_id),
                    _text(enterprise_project_id),
                    _to_db_time(at),
                    retry_of,
                    os.getpid(),
                    version,
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return int(row_id)

    def attach_job_id(self, row_id: int, job_id: str) -> JobRecord:
        """The POST answered with ``job_id``: the row becomes ``submitted`` (and pollable)."""
        job_id = sanitize(job_id)
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
        return self._update_row(row_id, state=OUTCOME_UNKNOWN, fail_reason=_text(reason, multiline=True))

    def mark_rejected(self, row_id: int, code: str, message: str) -> JobRecord:
        """The server refused the copy (no job was created)."""
        return self._update_row(
            row_id, state=REJECTED, error_code=_text(code), fail_reason=_text(message, multiline=True)
        )

    def sweep_stale_submissions(self, *, older_than: timedelta = timedelta(minutes=10)) -> Records:
        """Turn ``submitting`` rows left by a process that died (or that are too old to be in flight) into
        ``outcome_unknown`` rows. Returns the rows changed."""
        cutoff = utcnow() - older_than
        stale: list[int] = []
        for row in self._read("SELECT row_id, submitter_pid, submitted_at FROM jobs WHERE state = 'submitting'"):
            row_id, pid, submitted = int(row[0]), row[1], _from_db_time(row[2])
            if pid == os.getpid() and submitted is not None and submitted > cutoff:
                continue
            if (submitted is not None and submitted <= cutoff) or not _pid_alive(pid):
                stale.append(row_id)
        changed: Records = []
        for row_id in stale:
            changed.append(
                self._update_row(
                    row_id,
                    state=OUTCOME_UNKNOWN,
                    fail_reason="imstui stopped before the copy request was answered: check the image list "
                    "before submitting again",
                    where_state=SUBMITTING,
                )
            )
        return [c for c in changed if c.state == OUTCOME_UNKNOWN]

    def import_job(
        self, job_id: str, profile: str, region: str, project_id: str | None, *, at: datetime | None = None
    ) -> JobRecord:
        """Track a job id submitted elsewhere (console, KooCLI, Terraform). Idempotent."""
        job_id = sanitize(job_id).strip()
        if not job_id:
            raise ValueError("empty job id")
        existing = self.get(job_id)
        if existing is not None:
            return existing
        with self._write() as (conn, version):
            conn.execute(
                "INSERT OR IGNORE INTO jobs (job_id, profile, region, project_id, submitted_at, state, imported, "
                "version) VALUES (?, ?, ?, ?, ?, 'submitted', 1, ?)",
                (job_id, profile, region, project_id, _to_db_time(at or utcnow()), version),
            )
        record = self.get(job_id)
        assert record is not None
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
        """Remove a row by row id (for submissions without a job id)."""
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
        """Apply poll results in ONE transaction; returns ``(previous, current)`` per update (None: no such row)."""
        results: PollResults = []
        with self._write() as (conn, version):
            for update in updates:
                row = conn.execute(_BY_JOB, (update.job_id,)).fetchone()
                if row is None:
                    results.append((None, None))
                    continue
                previous = _record(row)
                values = _poll_values(previous, update)
                values["version"] = version
                assignments = ", ".join(f"{key} = ?" for key in values)
                conn.execute(
                    f"UPDATE jobs SET {assignments} WHERE row_id = ?",  # noqa: S608 - keys are our own constants
                    (*values.values(), previous.row_id),
                )
                # The new row is the old one with these columns replaced: no need to read it back.
                merged = list(row)
                for key, value in values.items():
                    merged[_COLUMN_INDEX[key]] = value
                results.append((previous, _record(merged)))
        return results

    # ------------------------------------------------------------------ helpers

    def _update_row(self, row_id: int, *, where_state: str | None = None, **values: Any) -> JobRecord:
        with self._write() as (conn, version):
            values["version"] = version
            assignments = ", ".join(f"{key} = ?" for key in values)
            sql = f"UPDATE jobs SET {assignments} WHERE row_id = ?"  # noqa: S608 - keys are our own constants
            params: list[Any] = [*values.values(), row_id]
            if where_state is not None:
                sql += " AND state = ?"
                params.append(where_state)
            conn.execute(sql, params)
        record = self.get_row(row_id)
        if record is None:
            raise KeyError(f"no ledger row {row_id}")
        return record


def _poll_values(previous: JobRecord, update: PollUpdate) -> dict[str, Any]:
    at = _to_db_time(update.at)
    values: dict[str, Any] = {"last_polled_at": at, "poll_count": previous.poll_count + 1}
    if update.gone:
        values["gone"] = 1
        values["last_poll_error"] = GONE_MESSAGE
        return values
    if update.error is not None:
        values["last_poll_error"] = _text(update.error, multiline=False)
        return values
    job = update.job
    if job is None:
        return values
    values["last_poll_error"] = None
    if previous.is_terminal and not job.status.is_terminal:
        return values  # never un-finish a job on a glitchy answer
    values["status"] = job.status.value
    progress = job.progress
    if job.status is JobStatus.SUCCESS:
        progress = 1.0
    if progress is not None:
        values["progress"] = progress
    if job.new_image_id:
        values["new_image_id"] = _text(job.new_image_id)
    if job.current_task is not None or not job.status.is_terminal:
        values["current_task"] = _text(job.current_task)
    if job.error_code or job.status is JobStatus.FAIL:
        values["error_code"] = _text(job.error_code)
    if job.fail_reason or job.status is JobStatus.FAIL:
        values["fail_reason"] = _text(job.fail_reason, multiline=True)
    if job.status.is_terminal and previous.terminal_at is None:
        values["terminal_at"] = at
    if previous.gone:
        values["gone"] = 0
    return values


def _record(row: Sequence[Any]) -> JobRecord:
    (
        row_id,
        job_id,
        profile,
        region,
        project_id,
        source_image_id,
        source_image_name,
        name,
        description,
        cmk_id,
        enterprise_project_id,
        submitted_at,
        state,
        status,
        progress,
        new_image_id,
        error_code,
        fail_reason,
        last_polled_at,
        last_poll_error,
        poll_count,
        terminal_at,
        gone,
        retry_of,
        imported,
        current_task,
        version,
    ) = row
    submitted = _from_db_time(submitted_at)
    assert submitted is not None
    return JobRecord(
        row_id=int(row_id),
        job_id=job_id,
        profile=profile,
        region=region,
        project_id=project_id,
        source_image_id=source_image_id,
        source_image_name=source_image_name,
        name=name,
        description=description,
        cmk_id=cmk_id,
        enterprise_project_id=enterprise_project_id,
        submitted_at=submitted,
        state=state if state in (SUBMITTING, SUBMITTED, OUTCOME_UNKNOWN, REJECTED) else OUTCOME_UNKNOWN,
        status=JobStatus.parse(status) if status else None,
        progress=float(progress) if progress is not None else None,
        new_image_id=new_image_id,
        error_code=error_code,
        fail_reason=fail_reason,
        last_polled_at=_from_db_time(last_polled_at),
        last_poll_error=last_poll_error,
        poll_count=int(poll_count or 0),
        terminal_at=_from_db_time(terminal_at),
        gone=bool(gone),
        retry_of=int(retry_of) if retry_of is not None else None,
        imported=bool(imported),
        current_task=current_task,
        version=int(version or 0),
    )


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


def _split_sql(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
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
