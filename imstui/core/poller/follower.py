"""Following the ledger: rows written by anyone (another ``copy`` or ``jobs watch``, this process too), noticed
through the ledger's change counter without re-reading the poller's own writes.

The follower keeps the last record seen of every wanted OUTSTANDING row (``cache``: finished rows leave it, so a
year of history is never held) and tells the poller what is new (:class:`Sync`). Its first look reads only the
open rows (:func:`imstui.core.ledger.pages.outstanding`, an index); later looks read only the rows written since
the change counter it last saw; :func:`apply_sync` turns that into slots added, dropped or put back. A ledger
that cannot be read is logged (at most once a minute) and looked at again next time: nothing it raises reaches the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imstui.core.jobs import is_outstanding
from imstui.core.ledger import JobRecord, Ledger
from imstui.core.ledger.pages import outstanding
from imstui.core.poller.events import JobChanged, PollerEvent
from imstui.core.poller.schedule import Schedule
from imstui.core.poller.writer import describe

log = logging.getLogger("imstui.core.poller")

_WARN_INTERVAL = 60.0


def visible(record: JobRecord) -> tuple[Any, ...]:
    """The fields whose change is worth a JobChanged event (not the poll bookkeeping)."""
    return (
        record.job_id,
        record.state,
        record.status,
        record.progress,
        record.new_image_id,
        record.error_code,
        record.fail_reason,
        record.last_poll_error,
        record.gone,
        record.current_task,
    )


@dataclass
class Sync:
    """What a look at the ledger found. ``full``: every wanted outstanding row (first look); ``changed``: (record,
    the cached record before it, None if not followed) for rows someone else wrote; ``removed``: cached rows that
    were deleted."""

    full: list[JobRecord] = field(default_factory=list)
    changed: list[tuple[JobRecord, JobRecord | None]] = field(default_factory=list)
    removed: list[JobRecord] = field(default_factory=list)


class LedgerFollower:
    def __init__(self, ledger: Ledger, profile: str | None, wanted: Callable[[JobRecord], bool]) -> None:
        self.ledger = ledger
        self.profile = profile
        self.wanted = wanted
        self.cache: dict[int, JobRecord] = {}  # row id -> last record seen, outstanding rows only
        self._row_ids: dict[str, int] = {}  # job id -> row id
        self._seen_version: int | None = None
        self._own_versions: set[int] = set()  # change counter values of our own poll writes, not yet seen
        self._warned_at: float | None = None
        self.next_check = 0.0
        self.next_sweep = 0.0

    def remember(self, record: JobRecord) -> None:
        """Keep ``record`` if it is still to be followed; forget its row once it is finished."""
        if not is_outstanding(record):
            self.forget(record.row_id)
            return
        self.cache[record.row_id] = record
        if record.job_id is not None:
            self._row_ids[record.job_id] = record.row_id

    def forget(self, row_id: int) -> JobRecord | None:
        gone = self.cache.pop(row_id, None)
        if gone is not None and gone.job_id is not None and self._row_ids.get(gone.job_id) == row_id:
            del self._row_ids[gone.job_id]
        return gone

    def by_job(self, job_id: str) -> JobRecord | None:
        row_id = self._row_ids.get(job_id)
        return self.cache.get(row_id) if row_id is not None else None

    def own_write(self, record: JobRecord) -> None:
        self._own_versions.add(record.version)

    def look(self, now: float, *, force: bool, check_interval: float, sweep_interval: float) -> Sync | None:
        """Pick up rows written since the last look (every row when ``force``); None if nothing new or unreadable."""
        self.next_check = now + check_interval
        try:
            if now >= self.next_sweep:
                self.next_sweep = now + sweep_interval
                self.ledger.sweep_stale_submissions()
            return self._look(force)
        except Exception as exc:  # busy, damaged, a bug: never the loop's problem, asked again next time
            if self._warned_at is None or now - self._warned_at >= _WARN_INTERVAL:
                self._warned_at = now
                log.warning("cannot read the job ledger: %s", describe(exc))
            return None

    def _look(self, force: bool) -> Sync | None:
        version = self.ledger.data_version()
        if self._seen_version is None or force:
            records = outstanding(self.ledger, self.profile)
            self._seen_version = version
            self._own_versions = {value for value in self._own_versions if value > version}
            self.cache.clear()
            self._row_ids.clear()
            sync = Sync(full=[r for r in records if self.wanted(r)])
            for record in sync.full:
                self.remember(record)
            return sync
        if version == self._seen_version:
            return None
        # Every write bumps the counter by one: if each value since the last look is one of our own poll writes,
        # nothing new is in the file (those rows are already in the cache), so skip re-reading them.
        seen = self._seen_version
        own = self._own_versions
        if all(value in own for value in range(seen + 1, version + 1)):
            self._seen_version = version
            own.difference_update(range(seen + 1, version + 1))
            return None
        changes = self.ledger.changes_since(seen)
        self._seen_version = changes.version
        self._own_versions = {value for value in own if value > changes.version}
        sync = Sync()
        for row_id in changes.removed_row_ids:
            gone = self.forget(row_id)
            if gone is not None:
                sync.removed.append(gone)
        for record in changes.changed:
            if not self.wanted(record) or record.version in own:
                continue  # not ours to follow, or last written by our own poll write (already reported)
            cached = self.cache.get(record.row_id)
            if cached is not None and cached.version >= record.version:
                continue  # our own write, already reported
            self.remember(record)
            sync.changed.append((record, cached))
        return sync


def apply_sync(
    sync: Sync,
    schedule: Schedule,
    add_slot: Callable[..., None],
    emit: Callable[[PollerEvent], None],
    now: float,
    wall_now: datetime,
) -> None:
    """Follow what a look found: new outstanding rows get a slot (``add_slot(record, spread=...)``), finished or
    deleted ones lose theirs, a job another process just polled waits out our interval; visible changes are
    emitted as :class:`JobChanged`. ``now``: clock time; ``wall_now``: the same moment as a datetime."""
    for record in sync.full:
        if is_outstanding(record) and record.job_id not in schedule:
            add_slot(record, spread=True)
    for gone in sync.removed:
        slot = schedule.get(gone.job_id) if gone.job_id is not None else None
        if slot is not None and not slot.in_flight:
            schedule.drop(slot.job_id)
    for record, cached in sync.changed:
        if cached is None or visible(cached) != visible(record):
            emit(JobChanged(record, cached))
        if record.job_id is None:
            continue
        slot = schedule.get(record.job_id)
        if slot is None:
            if is_outstanding(record):
                add_slot(record)
        elif not slot.in_flight and not is_outstanding(record):
            schedule.drop(record.job_id)
        elif not slot.in_flight and record.last_polled_at is not None:
            # Polled by another process: no need to ask again before our interval is over.
            age = (wall_now - record.last_polled_at).total_seconds()
            mine = None if slot.last_poll is None else now - slot.last_poll
            if mine is None or age < mine:
                schedule.at(slot, max(slot.due, now + max(0.0, slot.interval - age)))
