"""The console's jobs view as SQL over the ledger: how many rows a view has and one page of them, never the history.

A view (:class:`ViewSpec`) is the filter text, failed-only, hide-finished and a sort column. :class:`JobsView`
answers, for a view, :meth:`~JobsView.count`, :meth:`~JobsView.page` (``offset``, ``limit``) and where a row sits
in it (:meth:`~JobsView.position`), as SQL on its own read connection to the ledger file (WAL: the poller's writes
never wait for it), so a console over 100,000 rows holds the rows on screen, not the year. Every phase condition
comes from :data:`imstui.core.jobs.PHASE_SQL`; :meth:`ViewSpec.matches` is the same rule in Python (a test checks
them against each other), used to decide whether a changed row moves in or out of the view without a query.

:meth:`JobsView.in_memory` holds given records in a private in-memory SQLite with the ledger's schema (a view of
records that are not in a ledger file: tests, a scene), so both cases run the same SQL.

Per-phase counts are kept by row (:class:`PhaseCounts`: one byte per row id), read once and then updated from each
changed record, so the status line and the terminal title never recount the history.

The filter matches, case-insensitively, the name, the job, source and new image ids, the source image name, the
error code, the status word and phase, the IMS status and the ledger row number (what
:func:`imstui.ui.widgets.jobs_text.search_text` holds). ASCII text is folded by SQLite (``LIKE``); a name or source
image name with other characters is folded by Python's ``casefold`` (ids and error codes are ASCII by the API's
rules).
"""

# ruff: noqa: S608 - every query is built from this module's constants, jobs.py's and scope.py's; values are params

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imstui.api.job_status import JobStatus
from imstui.core import jobs
from imstui.core.jobs import ATTENTION, FINISHED, OPEN_SQL, Phase, phase_of
from imstui.core.ledger.errors import LedgerDamagedError, LedgerError
from imstui.core.ledger.records import COLUMN_NAMES, COLUMNS, JobRecord, parse_row, tags_to_db, to_db_time
from imstui.core.ledger.schema import MIGRATIONS, split_sql
from imstui.core.ledger.scope import Scope, profile_scope, scope_sql
from imstui.core.wording import LOOKS

__all__ = ["SORT_COLUMNS", "JobsView", "PhaseCounts", "ViewSpec", "record_row"]

SORT_COLUMNS = ("status", "progress", "name", "age", "polled", "error", "job", "image")
PHASES: tuple[Phase, ...] = tuple(Phase)
_CODE = {phase: i + 1 for i, phase in enumerate(PHASES)}  # 0: no row
_PHASE_CODE = "CASE " + " ".join(f"WHEN {jobs.PHASE_SQL[p]} THEN {_CODE[p]}" for p in PHASES) + " ELSE 0 END"
_WORD = "CASE " + " ".join(f"WHEN {jobs.PHASE_SQL[p]} THEN '{LOOKS[p].word}'" for p in PHASES) + " END"
_FOLD = "imstui_casefold"
_INDEX_HINT = re.compile(r" (?:INDEXED BY \w+|NOT INDEXED)")
_FREE_TEXT = ("name", "source_image_name")  # may hold any letters; the other fields searched are ASCII ids/codes
_SEARCHED = ("name", "job_id", "source_image_id", "source_image_name", "new_image_id", "error_code")


def _folded(column: str) -> str:
    """``column`` casefolded: SQLite's ``lower`` for ASCII text, Python's ``casefold`` otherwise."""
    return (
        f"CASE WHEN length({column}) = length(CAST({column} AS BLOB)) THEN lower({column}) ELSE {_FOLD}({column}) END"
    )


# What each column sorts by, ascending as it reads; None (or '') sorts last either way. The age ascending is the
# newest first: the submission time descending (as the polled time).
_SORT_VALUE: dict[str, str] = {
    "status": _WORD,
    "progress": "progress",
    "name": f"(CASE WHEN name = '' THEN NULL ELSE {_folded('name')} END)",
    "polled": "last_polled_at",
    "error": "NULLIF(error_code, '')",
    "job": "NULLIF(job_id, '')",
    "image": "NULLIF(new_image_id, '')",
}
_REVERSED = frozenset({"polled"})  # stored ascending as time; reads ascending as "most recent first"


@dataclass(frozen=True)
class ViewSpec:
    """Which rows a view shows and in which order. ``needle``: the filter text as typed (folded here)."""

    needle: str = ""
    failed_only: bool = False
    hide_finished: bool = False
    sort: str = "age"
    descending: bool = False

    @property
    def folded(self) -> str:
        return self.needle.strip().casefold()

    def phases(self) -> frozenset[Phase]:
        wanted = frozenset(Phase)
        if self.failed_only:
            wanted &= ATTENTION
        if self.hide_finished:
            wanted -= FINISHED
        return wanted

    def matches(self, record: JobRecord) -> bool:
        """Whether ``record`` is in this view: exactly what :meth:`JobsView.page` selects, in Python."""
        if phase_of(record) not in self.phases():
            return False
        needle = self.folded
        if not needle:
            return True
        phase = phase_of(record)
        look = LOOKS[phase]
        texts = [getattr(record, name) for name in _SEARCHED]
        texts += [look.word, phase.value, record.status.value if record.status is not None else None]
        return any(needle in value.casefold() for value in texts if value) or needle in str(record.row_id)

    def sort_key(self, record: JobRecord) -> object:
        """What decides ``record``'s place in this view (equal before and after a change: it has not moved)."""
        if self.sort == "age":
            return record.submitted_at
        if self.sort == "status":
            return LOOKS[phase_of(record)].word
        value = {
            "progress": record.progress,
            "name": (record.name or "").casefold(),
            "polled": record.last_polled_at,
            "error": record.error_code,
            "job": record.job_id,
            "image": record.new_image_id,
        }[self.sort]
        return value


def record_row(record: JobRecord) -> tuple[Any, ...]:
    """``record`` as a ledger row (the values of :data:`COLUMNS`, in order): what :func:`parse_row` reads back."""
    values: dict[str, Any] = {}
    for name in COLUMN_NAMES:
        value = getattr(record, name)
        if name == "tags":
            value = tags_to_db(value)
        elif isinstance(value, JobStatus):
            value = value.value
        elif isinstance(value, bool):
            value = int(value)
        elif hasattr(value, "astimezone"):
            value = to_db_time(value)
        values[name] = value
    return tuple(values[name] for name in COLUMN_NAMES)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


class PhaseCounts:
    """How many rows are in each phase, kept per row id (the phase each counted row was last seen in)."""

    def __init__(self) -> None:
        self._codes = bytearray()
        self.counts: dict[Phase, int] = dict.fromkeys(Phase, 0)

    def add(self, rows: Iterable[tuple[int, int]]) -> None:
        """Count ``(row id, phase code)`` rows not counted yet (:meth:`JobsView.phase_counts`)."""
        codes, counts = self._codes, self.counts
        for row_id, code in rows:
            if not code:
                continue
            if row_id >= len(codes):
                codes.extend(bytes(row_id + 4096 - len(codes)))
            codes[row_id] = code
            counts[PHASES[code - 1]] += 1

    def put(self, row_id: int, phase: Phase | None) -> bool:
        """Row ``row_id`` is now in ``phase`` (None: gone from the view); returns whether a count changed."""
        code = _CODE[phase] if phase is not None else 0
        codes = self._codes
        if row_id >= len(codes):
            if not code:
                return False
            codes.extend(bytes(row_id + 1024 - len(codes)))
        old = codes[row_id]
        if old == code:
            return False
        if old:
            self.counts[PHASES[old - 1]] -= 1
        if code:
            self.counts[PHASES[code - 1]] += 1
        codes[row_id] = code
        return True

    def phase(self, row_id: int) -> Phase | None:
        """The phase row ``row_id`` is counted in (None: not counted)."""
        code = self._codes[row_id] if row_id < len(self._codes) else 0
        return PHASES[code - 1] if code else None

    def total(self, phases: Iterable[Phase] = PHASES) -> int:
        return sum(self.counts[p] for p in phases)


class JobsView:
    """Count, page and locate the rows of a :class:`ViewSpec` over one connection (see the module doc).

    A read the file cannot answer (a damaged page, an I/O error, a lock held past the wait) never raises into the
    screen painting it: the read returns no rows, :attr:`failure` keeps the first such error (a
    :class:`LedgerDamagedError` for a damaged file) and :attr:`on_failure` is called with it, once."""

    def __init__(
        self, conn: sqlite3.Connection, scope: str | Scope | None, *, memory: bool = False, path: Path | None = None
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.failure: LedgerError | None = None
        self.on_failure: Callable[[LedgerError], None] | None = None
        self.memory = memory
        self.scope = scope
        self._scope_sql, self._scope_params = scope_sql(scope)
        conn.create_function(_FOLD, 1, _casefold, deterministic=True)

    @classmethod
    def open(cls, path: Path, scope: str | Scope | None, *, timeout_ms: int = 10_000) -> JobsView:
        """A read-only view of the ledger file at ``path`` (its own connection)."""
        conn = sqlite3.connect(str(path), timeout=timeout_ms / 1000, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        return cls(conn, scope, path=path)

    @classmethod
    def in_memory(cls, records: Iterable[JobRecord] = ()) -> JobsView:
        """A view of ``records`` held in a private in-memory database with the ledger's schema."""
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        for script in MIGRATIONS:
            for statement in split_sql(script):
                conn.execute(statement)
        view = cls(conn, None, memory=True)
        view.store(records)
        return view

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ writing (in-memory views only)

    def store(self, records: Iterable[JobRecord]) -> None:
        """Put ``records`` (new or newer versions) into an in-memory view."""
        assert self.memory, "a ledger view is read-only: the ledger is written by its own code"
        marks = ", ".join("?" for _ in COLUMN_NAMES)
        with self._lock:
            self._conn.executemany(
                f"INSERT OR REPLACE INTO jobs ({COLUMNS}) VALUES ({marks})", [record_row(r) for r in records]
            )

    def clear(self) -> None:
        assert self.memory
        with self._lock:
            self._conn.execute("DELETE FROM jobs")

    # ------------------------------------------------------------------ the SQL of a view

    def in_scope(self, record: JobRecord) -> bool:
        scope = self.scope
        if scope is None:
            return True
        return (profile_scope(scope) if isinstance(scope, str) else scope).matches(record)

    def _where(self, spec: ViewSpec) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self._scope_sql is not None:
            clauses.append(f"({self._scope_sql})")
            params += self._scope_params
        phases = jobs.filter_sql(spec.phases())
        if phases is not None:
            clauses.append(phases)
        needle = spec.folded
        if needle:
            like = f"%{_escape_like(needle)}%"
            ors = [f"{c} LIKE ? ESCAPE '\\'" for c in _SEARCHED]
            params += [like] * len(_SEARCHED)
            for column in _FREE_TEXT:
                ors.append(f"(length({column}) != length(CAST({column} AS BLOB)) AND instr({_FOLD}({column}), ?) > 0)")
                params.append(needle)
            named = [p for p in PHASES if needle in LOOKS[p].word.casefold() or needle in p.value.casefold()]
            if named:
                ors.append(jobs.filter_sql(named) or "1")
            statuses = [s for s in JobStatus if needle in s.value.casefold()]
            known = [s.value for s in JobStatus if s is not JobStatus.UNKNOWN]
            for status in statuses:
                if status is JobStatus.UNKNOWN:
                    ors.append(f"(status IS NOT NULL AND status NOT IN ({', '.join('?' for _ in known)}))")
                    params += known
                else:
                    ors.append("status = ?")
                    params.append(status.value)
            ors.append("instr(CAST(row_id AS TEXT), ?) > 0")
            params.append(needle)
            clauses.append("(" + " OR ".join(ors) + ")")
        return clauses, params

    def _source(self, spec: ViewSpec) -> str:
        """The FROM clause: the open rows' index for a view of unfinished rows, the submission-time index for
        the age order when every row (or a phase's) is asked for; a scan for a text filter or another order."""
        if not spec.phases():
            return "jobs"
        if spec.hide_finished:
            return (
                f"(SELECT * FROM jobs INDEXED BY jobs_open_rows WHERE {OPEN_SQL}"
                " UNION ALL SELECT * FROM jobs INDEXED BY jobs_state WHERE state = 'submitting')"
            )
        if spec.sort == "age" and not spec.folded:
            return "jobs INDEXED BY jobs_submitted"
        return "jobs"

    def _order_terms(self, spec: ViewSpec) -> list[tuple[str, bool]]:
        """``(expression, descending)`` terms of the order, none of them NULL."""
        if spec.sort == "age":
            return [("submitted_at", not spec.descending), ("row_id", True)]
        value = _SORT_VALUE[spec.sort]
        descending = spec.descending != (spec.sort in _REVERSED)
        return [
            (f"({value} IS NULL)", False),
            (f"IFNULL({value}, 0)", descending),
            ("submitted_at", True),
            ("row_id", True),
        ]

    def _order(self, spec: ViewSpec) -> str:
        return ", ".join(f"{expr} {'DESC' if desc else 'ASC'}" for expr, desc in self._order_terms(spec))

    def _select(self, what: str, spec: ViewSpec, extra: Sequence[str] = ()) -> tuple[str, list[Any]]:
        clauses, params = self._where(spec)
        clauses += extra
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return f"SELECT {what} FROM {self._source(spec)}{where}", params

    def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            try:
                try:
                    return self._conn.execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if "no query solution" not in str(exc):
                        raise
                # An index named for speed cannot answer this combination: the same query, left to the planner.
                return self._conn.execute(_INDEX_HINT.sub("", sql), params).fetchall()
            except sqlite3.Error as exc:
                self._failed(exc)
                return []

    def _failed(self, exc: sqlite3.Error) -> None:
        where = self.path if self.path is not None else Path(":memory:")
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            error: LedgerError = LedgerDamagedError(where, str(exc))  # malformed, not a database, ...
        else:
            error = LedgerError(f"cannot read the job ledger {where}: {exc}")
        if self.failure is None:
            self.failure = error
            if self.on_failure is not None:
                self.on_failure(error)

    # ------------------------------------------------------------------ reads

    def count(self, spec: ViewSpec) -> int:
        sql, params = self._select("COUNT(*)", spec)
        found = self._read(sql, params)
        return int(found[0][0]) if found else 0

    def page(self, spec: ViewSpec, offset: int, limit: int) -> list[JobRecord]:
        """The rows ``offset`` .. ``offset + limit`` of the view, in its order (damaged rows left out)."""
        sql, params = self._select("row_id", spec)
        ids = [
            int(r[0])
            for r in self._read(f"{sql} ORDER BY {self._order(spec)} LIMIT ? OFFSET ?", [*params, limit, offset])
        ]
        if not ids:
            return []
        rows = self._read(f"SELECT {COLUMNS} FROM jobs WHERE row_id IN ({', '.join('?' for _ in ids)})", ids)
        by_id = {record.row_id: record for record in map(parse_row, rows) if isinstance(record, JobRecord)}
        return [by_id[i] for i in ids if i in by_id]

    def position(self, spec: ViewSpec, row_id: int) -> int | None:
        """Where row ``row_id`` is in the view (0: first); None when the view does not show it."""
        terms = self._order_terms(spec)
        sql, params = self._select(", ".join(expr for expr, _ in terms), spec, [f"row_id = {int(row_id)}"])
        found = self._read(sql, params)
        if not found:
            return None
        values = list(found[0])
        ors: list[str] = []
        before: list[Any] = []
        for i, (expr, desc) in enumerate(terms):
            same = [f"{e} = ?" for e, _ in terms[:i]]
            ors.append("(" + " AND ".join([*same, f"{expr} {'>' if desc else '<'} ?"]) + ")")
            before += [*values[:i], values[i]]
        sql, params = self._select("COUNT(*)", spec, ["(" + " OR ".join(ors) + ")"])
        counted = self._read(sql, [*params, *before])
        return int(counted[0][0]) if counted else None

    def get_row(self, row_id: int) -> JobRecord | None:
        rows = self._read(f"SELECT {COLUMNS} FROM jobs WHERE row_id = ?", [row_id])
        found = parse_row(rows[0]) if rows else None
        return found if isinstance(found, JobRecord) and self.in_scope(found) else None

    def by_job(self, job_id: str) -> JobRecord | None:
        rows = self._read(f"SELECT {COLUMNS} FROM jobs WHERE job_id = ?", [job_id])
        found = parse_row(rows[0]) if rows else None
        return found if isinstance(found, JobRecord) and self.in_scope(found) else None

    def records(self) -> list[JobRecord]:
        """Every readable row of the scope, oldest first (the whole history: for tests and small views)."""
        sql, params = self._select(COLUMNS, ViewSpec())
        rows = self._read(f"{sql.replace(' INDEXED BY jobs_submitted', '')} ORDER BY submitted_at, row_id", params)
        return [r for r in map(parse_row, rows) if isinstance(r, JobRecord)]

    def retry_links(self, record: JobRecord) -> list[JobRecord]:
        """The rows ``record`` retried and those that retried it."""
        sql, params = self._select(COLUMNS, ViewSpec(), ["(row_id = ? OR retry_of = ?)"])
        sql = sql.replace(" INDEXED BY jobs_submitted", "")
        rows = self._read(f"{sql} ORDER BY row_id", [*params, record.retry_of or -1, record.row_id])
        return [r for r in map(parse_row, rows) if isinstance(r, JobRecord)]

    def phase_counts(self) -> tuple[int, PhaseCounts]:
        """``(ledger change counter, every row's phase)`` of the scope, read at one moment, a chunk of rows at a
        time (a year of history never sits in memory as rows)."""
        where = f" WHERE ({self._scope_sql})" if self._scope_sql is not None else ""
        counts = PhaseCounts()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                version_row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                cursor = conn.execute(f"SELECT row_id, {_PHASE_CODE} FROM jobs{where}", self._scope_params)
                while chunk := cursor.fetchmany(5000):
                    counts.add(chunk)
            finally:
                conn.execute("COMMIT")
        return (int(version_row[0]) if version_row else 0), counts
