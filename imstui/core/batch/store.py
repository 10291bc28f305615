"""Batches in the ledger's SQLite file: a plan and its items, written BEFORE anything is sent.

Tables ``batches`` and ``batch_items`` (migration 2 -> 3 of :mod:`imstui.core.ledger.schema`). An item moves
``pending`` -> ``sending`` (claimed: its copy's intent may be written from now on) -> ``sent`` (job id known) /
``outcome_unknown`` (the copy may exist: never sent again automatically) / ``rejected`` (a definite refusal);
``skipped`` items (not ready in the plan) are never sent. An IMG.0060 flow-control refusal (nothing created)
puts the item back to ``pending`` (``flow_waits`` counts them). A retry (:mod:`imstui.core.batch.retry`) puts a
refused or failed item back to ``pending`` as a new attempt: its ``job_row_id`` then names the previous attempt's
jobs row (kept in the ledger) until the new copy is sent and the item links to the new row.

The claim records ``claim_mark``, the highest row id the ``jobs`` table ever had (row ids only grow), in the same
transaction that makes the item ``sending``; the copy's intent row is written after it, so after a crash the
intent of a ``sending`` item is the jobs row above the mark with the item's profile, region, source and name
(:meth:`BatchStore.find_intent`). No such row: the intent was never written, so the POST was never sent.

The store has its own connection to the ledger's file (the :class:`~imstui.core.ledger.Ledger` made the tables
when it opened it); driver errors become :class:`~imstui.core.ledger.LedgerError` as the ledger's do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imstui.api.models import CopyRequest, JobStatus
from imstui.api.tag_models import ImageTag
from imstui.core.jobs import JobState
from imstui.core.ledger import BUSY_TIMEOUT_MS, Ledger, LedgerError, utcnow
from imstui.core.ledger.errors import translate
from imstui.core.ledger.records import from_db_time, text, to_db_time
from imstui.core.ledger.sweep import pid_alive

if TYPE_CHECKING:  # only a type here: reading batches does not load the planner
    from imstui.core.batch.plan import BatchPlan

__all__ = [
    "PENDING",
    "REJECTED",
    "SENDING",
    "SENT",
    "SKIPPED",
    "UNKNOWN",
    "BatchBusyError",
    "BatchRecord",
    "BatchStore",
    "IntentRow",
    "ItemRecord",
    "JobRow",
]

PENDING = "pending"
SKIPPED = "skipped"
SENDING = "sending"
SENT = "sent"
UNKNOWN = "outcome_unknown"
REJECTED = "rejected"

_BATCH_COLUMNS = (
    "batch_id, created_at, profile, region, project_id, name_template, key_label, cmk_id, enterprise_project_id, "
    "max_in_flight, owner_pid, kind, from_key"
)
_ITEM_COLUMNS = (
    "batch_id, position, source_image_id, source_image_name, name, description, cmk_id, enterprise_project_id, "
    "tags, verdict, reason, state, claim_mark, job_row_id, job_id, error_code, flow_waits, updated_at"
)
_JOB_COLUMNS = "row_id, state, status, gone, job_id, error_code, fail_reason"
_HIGH_WATER = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)"


class BatchBusyError(LedgerError):
    """Another live process is submitting this batch."""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: int
    created_at: datetime
    profile: str
    region: str
    project_id: str | None
    name_template: str | None
    key_label: str | None
    cmk_id: str | None
    enterprise_project_id: str | None
    max_in_flight: int
    owner_pid: int | None
    kind: str = "copy"
    from_key: str | None = None


@dataclass(frozen=True)
class ItemRecord:
    batch_id: int
    position: int
    source_image_id: str
    source_image_name: str | None
    name: str
    description: str | None
    cmk_id: str | None
    enterprise_project_id: str | None
    tags: tuple[ImageTag, ...]
    verdict: str
    reason: str | None
    state: str
    claim_mark: int | None
    job_row_id: int | None
    job_id: str | None
    error_code: str | None
    flow_waits: int
    updated_at: datetime

    @property
    def request(self) -> CopyRequest:
        return CopyRequest(
            name=self.name,
            description=self.description,
            cmk_id=self.cmk_id,
            enterprise_project_id=self.enterprise_project_id,
        )


@dataclass(frozen=True)
class JobRow:
    """The columns of a ledger ``jobs`` row that give its phase (:func:`imstui.core.jobs.phase_of` takes it)."""

    row_id: int
    state: JobState
    status: JobStatus | None
    gone: bool
    job_id: str | None
    error_code: str | None
    fail_reason: str | None


@dataclass(frozen=True)
class IntentRow:
    """The ledger ``jobs`` row a claimed item's copy wrote (the columns that say what became of it)."""

    row_id: int
    state: str
    job_id: str | None
    error_code: str | None
    fail_reason: str | None


def _tags_text(tags: Sequence[ImageTag]) -> str | None:
    return json.dumps([[t.key, t.value] for t in tags]) if tags else None


def _tags(value: Any) -> tuple[ImageTag, ...]:
    if not isinstance(value, str) or not value:
        return ()
    return tuple(ImageTag(str(k), str(v)) for k, v in json.loads(value))


def _batch(row: Sequence[Any]) -> BatchRecord:
    created = from_db_time(row[1])
    assert created is not None
    return BatchRecord(row[0], created, *row[2:])


def _item(row: Sequence[Any]) -> ItemRecord:
    updated = from_db_time(row[17])
    assert updated is not None
    return ItemRecord(
        batch_id=row[0],
        position=row[1],
        source_image_id=row[2],
        source_image_name=row[3],
        name=row[4],
        description=row[5],
        cmk_id=row[6],
        enterprise_project_id=row[7],
        tags=_tags(row[8]),
        verdict=row[9],
        reason=row[10],
        state=row[11],
        claim_mark=row[12],
        job_row_id=row[13],
        job_id=row[14],
        error_code=row[15],
        flow_waits=row[16],
        updated_at=updated,
    )


class BatchStore:
    """Batches and their items in ``ledger``'s file. One connection, serialised by a lock."""

    def __init__(self, ledger: Ledger, *, timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = ledger.path
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        except sqlite3.Error as exc:
            raise translate(self.path, exc) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> BatchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise translate(self.path, exc) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise translate(self.path, exc) from None

    # ------------------------------------------------------------------ batches

    def create(
        self,
        plan: BatchPlan,
        *,
        profile: str,
        region: str,
        project_id: str | None,
        name_template: str | None,
        max_in_flight: int,
        kind: str = "copy",
        from_key: str | None = None,
    ) -> int:
        """Store ``plan`` as a new batch (ready items ``pending``, the others ``skipped`` with their reasons) in
        one transaction; returns the batch id. Nothing is sent by this."""
        now = to_db_time(utcnow())
        first = plan.ready[0] if plan.ready else None
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO batches (created_at, profile, region, project_id, name_template, key_label, cmk_id, "
                "enterprise_project_id, max_in_flight, kind, from_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    profile,
                    region,
                    project_id,
                    text(name_template),
                    text(plan.key_label),
                    first.cmk_id if first else None,
                    first.enterprise_project_id if first else None,
                    max_in_flight,
                    kind,
                    text(from_key),
                ),
            )
            batch_id = int(cursor.lastrowid or 0)
            conn.executemany(
                f"INSERT INTO batch_items ({_ITEM_COLUMNS}) VALUES "  # noqa: S608 - constant column list
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, 0, ?)",
                [
                    (
                        batch_id,
                        item.position,
                        item.source_image_id,
                        text(item.source_name),
                        text(item.target_name) or "",
                        text(item.description, multiline=True),
                        item.cmk_id,
                        item.enterprise_project_id,
                        _tags_text(item.tags),
                        item.verdict.value,
                        text("; ".join(item.reasons), multiline=True) if item.reasons else None,
                        PENDING if item.ready else SKIPPED,
                        now,
                    )
                    for item in plan.items
                ],
            )
        return batch_id

    def get(self, batch_id: int) -> BatchRecord | None:
        rows = self._read(f"SELECT {_BATCH_COLUMNS} FROM batches WHERE batch_id = ?", (batch_id,))  # noqa: S608
        return _batch(rows[0]) if rows else None

    def batches(self, profile: str | None = None, *, after: int | None = None) -> list[BatchRecord]:
        """The batches (of ``profile``; only those with an id above ``after``), oldest first."""
        clauses: list[str] = []
        params: list[object] = []
        if profile:
            clauses.append("profile = ?")
            params.append(profile)
        if after is not None:
            clauses.append("batch_id > ?")
            params.append(after)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(f"SELECT {_BATCH_COLUMNS} FROM batches{where} ORDER BY batch_id", params)  # noqa: S608
        return [_batch(r) for r in rows]

    def items(self, batch_id: int) -> list[ItemRecord]:
        sql = f"SELECT {_ITEM_COLUMNS} FROM batch_items WHERE batch_id = ? ORDER BY position"  # noqa: S608
        return [_item(r) for r in self._read(sql, (batch_id,))]

    def item(self, batch_id: int, position: int) -> ItemRecord | None:
        sql = f"SELECT {_ITEM_COLUMNS} FROM batch_items WHERE batch_id = ? AND position = ?"  # noqa: S608
        rows = self._read(sql, (batch_id, position))
        return _item(rows[0]) if rows else None

    def acquire(self, batch_id: int) -> None:
        """Make this process the batch's submitter; :class:`BatchBusyError` if another live process is."""
        with self._write() as conn:
            row = conn.execute("SELECT owner_pid FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
            if row is None:
                raise KeyError(f"no batch {batch_id}")
            owner = row[0]
            if owner not in (None, os.getpid()) and pid_alive(owner):
                raise BatchBusyError(f"batch {batch_id} is being submitted by process {owner}; let it finish")
            conn.execute("UPDATE batches SET owner_pid = ? WHERE batch_id = ?", (os.getpid(), batch_id))

    def release(self, batch_id: int) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE batches SET owner_pid = NULL WHERE batch_id = ? AND owner_pid = ?", (batch_id, os.getpid())
            )

    # ------------------------------------------------------------------ items

    def claim(self, batch_id: int, position: int) -> bool:
        """``pending`` -> ``sending`` with the jobs high-water mark, in one transaction; False if not pending."""
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE batch_items SET state = ?, claim_mark = {_HIGH_WATER}, updated_at = ? "  # noqa: S608
                "WHERE batch_id = ? AND position = ? AND state = ?",
                (SENDING, to_db_time(utcnow()), batch_id, position, PENDING),
            )
            return cursor.rowcount == 1

    def find_intent(self, item: ItemRecord, profile: str, region: str) -> IntentRow | None:
        """The jobs row a ``sending`` item's copy wrote after its claim (None: none was written). A pending or
        sending item's ``job_row_id`` is its previous attempt's row (a retry), never this attempt's."""
        if item.job_row_id is not None and item.state not in (PENDING, SENDING):
            rows = self._read(
                "SELECT row_id, state, job_id, error_code, fail_reason FROM jobs WHERE row_id = ?", (item.job_row_id,)
            )
        else:
            rows = self._read(
                "SELECT row_id, state, job_id, error_code, fail_reason FROM jobs WHERE row_id > ? AND profile = ? "
                "AND region = ? AND source_image_id = ? AND name = ? ORDER BY row_id LIMIT 1",
                (item.claim_mark or 0, profile, region, item.source_image_id, item.name),
            )
        return IntentRow(*rows[0]) if rows else None

    def job_row(self, row_id: int | None, job_id: str | None = None) -> JobRow | None:
        """The jobs row ``row_id`` (or, without one, the row of ``job_id``): what its phase is derived from."""
        params: tuple[object, ...]
        if row_id is not None:
            sql, params = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE row_id = ?", (row_id,)  # noqa: S608
        elif job_id:
            sql, params = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ? ORDER BY row_id DESC LIMIT 1", (job_id,)  # noqa: S608
        else:
            return None
        rows = self._read(sql, params)
        if not rows:
            return None
        row_id, state, status, gone, found_id, error_code, fail_reason = rows[0]
        parsed = JobStatus.parse(status) if isinstance(status, str) and status else None
        return JobRow(row_id, state, parsed, bool(gone), found_id, error_code, fail_reason)

    def requeue(self, item: ItemRecord, *, previous_row: int | None, reason: str) -> bool:
        """Put a settled item back to ``pending`` as a new attempt (a retry): ``job_row_id`` keeps the previous
        attempt's row (its copy's ``retry_of`` when it is sent), the job id and code are cleared. Only if the item
        is still as read (state, row, job id); False if it changed meanwhile."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE batch_items SET state = ?, job_row_id = ?, job_id = NULL, error_code = NULL, reason = ?, "
                "claim_mark = NULL, updated_at = ? WHERE batch_id = ? AND position = ? AND state = ? "
                "AND job_row_id IS ? AND job_id IS ?",
                (
                    PENDING,
                    previous_row,
                    text(reason, multiline=True),
                    to_db_time(utcnow()),
                    item.batch_id,
                    item.position,
                    item.state,
                    item.job_row_id,
                    item.job_id,
                ),
            )
            return cursor.rowcount == 1

    def settle(
        self,
        batch_id: int,
        position: int,
        state: str,
        *,
        job_row_id: int | None = None,
        job_id: str | None = None,
        error_code: str | None = None,
        reason: str | None = None,
        flow_wait: bool = False,
    ) -> None:
        """Write what became of a claimed item (``state``: sent, outcome_unknown, rejected, or pending again, which
        forgets its claim and row link)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE batch_items SET state = ?, job_row_id = ?, job_id = ?, "
                "error_code = ?, reason = ?, flow_waits = flow_waits + ?, updated_at = ?, "
                "claim_mark = CASE WHEN ? = 'pending' THEN NULL ELSE claim_mark END "
                "WHERE batch_id = ? AND position = ?",
                (
                    state,
                    job_row_id,
                    job_id,
                    text(error_code),
                    text(reason, multiline=True),
                    1 if flow_wait else 0,
                    to_db_time(utcnow()),
                    state,
                    batch_id,
                    position,
                ),
            )
