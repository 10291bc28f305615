"""Tags on a copy, applied once its job succeeded: the :class:`Tagger`.

The copy body has no tags field: the tags asked for are stored with the copy's ledger row (``tags_state``
``pending``) and applied to the new image with ``tags/action`` once the job is SUCCESS and its new image id known,
by whichever process follows the job (the console, ``imstui jobs watch``, ``imstui copy --wait``: each session has
a tagger attached to its poller). The outcome is written to the row (``applied``, or ``failed`` with the code and
message, said as "copied, tags not applied: CODE message") and published as a :class:`JobChanged` to the poller's
subscribers, so every front shows it. Tagging never touches the copy: a failure is retried only when asked
(:meth:`Tagger.retry`), and a retry re-applies the tags, never the copy.

When the poller starts (its first running status) the tagger also applies the tags of rows left ``pending`` by a
process that died after the job succeeded. Applying tags is idempotent (a key gets its value again), so two
processes tagging the same image at once do no harm; only the first one's outcome is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from imstui.api.models import JobStatus
from imstui.api.sanitize import sanitize
from imstui.api.tag_models import ImageTag
from imstui.core.ledger import JobRecord, Ledger, LedgerError
from imstui.core.ledger.scope import Scope
from imstui.core.poller.events import JobChanged, PollerEvent, PollerStatus
from imstui.core.tags import TagOutcome

if TYPE_CHECKING:
    from imstui.core.poller import Poller

__all__ = ["TagFn", "Tagger", "needs_tags"]

log = logging.getLogger(__name__)

TagFn = Callable[[str, Sequence[ImageTag]], Awaitable[TagOutcome]]
"""``tag(new_image_id, tags)``: apply the tags, say how it went (:func:`imstui.core.tags.tag_new_image`)."""

Listener = Callable[[JobChanged], None]


def needs_tags(record: JobRecord) -> bool:
    """The copy succeeded, its new image is known, and its tags are still to apply."""
    return record.tags_state == "pending" and record.status is JobStatus.SUCCESS and bool(record.new_image_id)


class Tagger:
    """Applies a succeeded copy's pending tags once, records the outcome, tells the fronts.

    ``scope``: which rows are this session's to tag (those of its account: the client can only tag its own
    project's images); a callable, read when needed (the project id may be discovered after start)."""

    def __init__(self, ledger: Ledger, tag: TagFn, *, scope: Callable[[], Scope | None] = lambda: None) -> None:
        self.ledger = ledger
        self._tag = tag
        self._scope = scope
        self._tasks: dict[int, asyncio.Task[JobRecord | None]] = {}
        self._written: dict[int, int] = {}  # row id -> ledger version of our last write to it
        self._listeners: list[Listener] = []
        self._swept = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    # ------------------------------------------------------------------ wiring

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """``callback(JobChanged)`` for every row this tagger wrote; returns a function that unsubscribes."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def attach(self, poller: Poller) -> Callable[[], None]:
        """Follow ``poller``'s events (tag what succeeds; tag what was left pending when it starts) and publish
        the rows written to its subscribers. Returns a function that detaches."""
        unsubscribe = poller.subscribe(self.on_event)
        unlisten = self.subscribe(poller.publish)

        def detach() -> None:
            unsubscribe()
            unlisten()

        return detach

    def on_event(self, event: PollerEvent) -> None:
        """A poller event (from any thread): a job that just succeeded with tags pending is tagged; the
        poller's first running status starts tagging the rows left pending."""
        if isinstance(event, JobChanged) and needs_tags(event.record) and self._in_scope(event.record):
            self._soon(lambda: self._start(event.record))
        elif isinstance(event, PollerStatus) and event.running and not self._swept:
            self._swept = True
            self._soon(self._start_pending)

    # ------------------------------------------------------------------ what the fronts call

    async def tag_pending(self) -> list[JobRecord]:
        """Apply every pending tag set of this session's succeeded copies now; the rows as written."""
        self._loop = asyncio.get_running_loop()
        tasks = self._start_pending()
        done = await asyncio.gather(*tasks) if tasks else []
        return [record for record in done if record is not None]

    async def tag_row(self, row_id: int) -> JobRecord | None:
        """Make sure ``row_id``'s tags are applied (or have failed) before returning: waits for an attempt in
        flight, starts one if the row still needs it. The row as it is then (None: no such row)."""
        self._loop = asyncio.get_running_loop()
        task = self._tasks.get(row_id)
        if task is None:
            record = await asyncio.to_thread(self.ledger.get_row, row_id)
            if record is None or not needs_tags(record):
                return record
            task = self._start(record, force=True)
        if task is None:
            return await asyncio.to_thread(self.ledger.get_row, row_id)
        return await task

    async def retry(self, row_id: int) -> JobRecord | None:
        """Apply a row's tags again after they failed (never the copy): back to ``pending``, then tagged now.
        A row whose tags are applied, or that has none, is returned unchanged."""
        record = await asyncio.to_thread(self.ledger.mark_tags_pending, row_id)
        if record is None or record.tags_state != "pending":
            return record
        self._written.pop(row_id, None)
        self._publish(record, None)
        return await self.tag_row(row_id)

    async def drain(self) -> None:
        """Wait for every attempt in flight (a front that is about to exit)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the attempts in flight (their rows stay ``pending``: tagged at the next start)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ mechanics

    def _in_scope(self, record: JobRecord) -> bool:
        scope = self._scope()
        return scope is None or scope.matches(record)

    def _soon(self, action: Callable[[], object]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from another thread: hand it to the loop the tagger runs on
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(action)
            return
        self._loop = loop
        action()

    def _start_pending(self) -> list[asyncio.Task[JobRecord | None]]:
        try:
            records = self.ledger.tags_to_apply(self._scope())
        except LedgerError as exc:
            log.warning("cannot read the rows whose tags are pending: %s", exc)
            return []
        return [task for task in map(self._start, records) if task is not None]

    def _start(self, record: JobRecord, *, force: bool = False) -> asyncio.Task[JobRecord | None] | None:
        if self._closed:
            return None
        running = self._tasks.get(record.row_id)
        if running is not None:
            return running
        if not force and record.version <= self._written.get(record.row_id, -1):
            return None  # an older view of a row this tagger already wrote
        task = asyncio.get_running_loop().create_task(self._apply(record), name=f"tags of row {record.row_id}")
        self._tasks[record.row_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(record.row_id, None))
        return task

    async def _apply(self, record: JobRecord) -> JobRecord | None:
        assert record.new_image_id is not None
        try:
            outcome = await self._tag(record.new_image_id, record.tags)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the tag function promises outcomes; anything else is recorded, not raised
            log.exception("tagging image %s failed", sanitize(record.new_image_id))
            outcome = TagOutcome(record.new_image_id, record.tags, type(exc).__name__, str(exc))
        try:
            if outcome.ok:
                current = await asyncio.to_thread(self.ledger.mark_tags_applied, record.row_id)
            else:
                code, message = outcome.error_code or "ERROR", outcome.error_message or ""
                current = await asyncio.to_thread(self.ledger.mark_tags_failed, record.row_id, code, message)
        except LedgerError as exc:  # the row stays pending: tagged again (harmlessly) at the next start
            log.warning("tags of image %s: the ledger could not record the outcome: %s", record.new_image_id, exc)
            return record
        if current is not None:
            self._written[current.row_id] = current.version
            self._publish(current, record)
        return current

    def _publish(self, record: JobRecord, previous: JobRecord | None) -> None:
        event = JobChanged(record, previous)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a tag listener failed")
