"""The main screen's batches: one row per batch of the connected account worth showing, with its aggregate progress.

A batch is shown while it is not settled (items running, in flight or not sent yet), or when anything happened to it
within the last 24 hours; newest first, at most :data:`MAX_ROWS` (then "+N older: imstui batch list"). A row says
the batch id, its name template (or what kind of batch it is), the progress in the words ``imstui batch list``
uses (:attr:`imstui.core.batch.outcome.BatchProgress.words`: "7/10 done, 1 failed, 2 running"), and what the
operator may do: "sending" (this console submits it now), "being sent by process N", "resumable" (items not sent,
nobody sending them). Enter opens its items (:class:`~imstui.ui.screens.batch_detail.BatchDetailScreen`).

Kept up to date without reading the whole ledger again:

- :class:`~imstui.ui.batch_runner.BatchChanged` (posted here by the batch runner): that item (or that batch) is
  read again from the ledger;
- the session's poller (subscribed directly: the app's ``job_changed`` is for the jobs panel): a changed jobs row
  of a shown item replaces that item's row in memory, nothing is read;
- the end of a batch's submission worker (the "sending" hint goes);
- every :data:`REFRESH` seconds, what another process (``imstui copy``, ``imstui batch resume``) did: a batch it
  stored (one query for batches above the newest known), the items of the batches with items not sent that this
  console is not sending itself (read again only while there are such batches).

A row is repainted only when its words changed; the strip is hidden when there is nothing to show.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from imstui.core.ledger import JobRecord, LedgerError
from imstui.ui.batch_messages import BatchChanged, batch_worker, running_batches
from imstui.ui.session import console
from imstui.ui.text import assemble, plain

if TYPE_CHECKING:
    from textual.worker import Worker

    from imstui.core.batch import BatchRecord, BatchStore
    from imstui.core.batch.outcome import BatchProgress, ItemOutcome
    from imstui.core.poller import PollerEvent
    from imstui.core.session import Session
    from imstui.ui.screens.batch_detail import BatchDetailScreen

# The core's batch modules are imported when a session connects (after the first frame), not with the main screen.
PENDING, SENDING = "pending", "sending"  # imstui.core.batch.store's item states (checked by a test)

__all__ = ["MAX_ROWS", "RECENT", "BatchStrip", "BatchView", "batch_title"]

MAX_ROWS = 3
RECENT = timedelta(hours=24)
REFRESH = 5.0  # seconds between looks for what another process did (a new batch, items it sent)
HEADING = assemble(("Batches", "bold"), "  ", ("b", "bold"), " here · ", ("enter", "bold"), " items")


def batch_title(batch: BatchRecord) -> str:
    """What the batch is: its name template, or for a re-key the keys."""
    if batch.kind == "rekey":
        return f"re-key {batch.from_key or 'none'} -> {batch.key_label or batch.cmk_id or 'none'}"
    return batch.name_template or batch.kind


@dataclass(frozen=True)
class BatchView:
    """A batch with what became of each item, as the strip and the detail screen show it."""

    batch: BatchRecord
    outcomes: tuple[ItemOutcome, ...]
    progress: BatchProgress
    changed: datetime | None

    @classmethod
    def of(cls, batch: BatchRecord, items: tuple[ItemOutcome, ...]) -> BatchView:
        from imstui.core.batch.outcome import last_change, progress

        return cls(batch, items, progress(items), last_change(items))

    def with_outcome(self, index: int, outcome: ItemOutcome) -> BatchView:
        items = (*self.outcomes[:index], outcome, *self.outcomes[index + 1 :])
        return BatchView.of(self.batch, items)

    def worth_showing(self, now: datetime) -> bool:
        if not self.progress.settled:
            return True
        changed = self.changed or self.batch.created_at
        return now - _aware(changed) <= RECENT


def _unsent(view: BatchView) -> int:
    return view.progress.to_send + view.progress.submitting


def _alive(pid: int) -> bool:
    from imstui.core.ledger.sweep import pid_alive

    return pid_alive(pid)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class BatchStrip(Vertical):
    """The batches of the connected account (see the module docstring); hidden when there are none to show."""

    @dataclass
    class _JobMoved(Message):
        """A jobs row of a shown item changed (from the poller's callback)."""

        record: JobRecord

    def __init__(self) -> None:
        super().__init__(id="batch-strip")
        self._session: Session | None = None
        self._store: BatchStore | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.views: dict[int, BatchView] = {}  # the batches shown (and any whose items are open)
        self.shown: list[int] = []  # batch ids, newest first
        self.older = 0  # batches worth showing beyond MAX_ROWS
        self._settled_old: set[int] = set()  # settled long ago: not read again unless a BatchChanged names them
        self._by_job: dict[str, tuple[int, int]] = {}  # job id -> (batch id, item index)
        self._by_row: dict[int, tuple[int, int]] = {}  # jobs row id -> (batch id, item index)
        self._rows: tuple[Content, ...] = ()  # what the list shows now (nothing repainted when unchanged)
        self._awaited: set[int] = set()  # batches whose submission worker is awaited (to drop "sending")
        self.repaints = 0  # how many times the rows were repainted (tests: nothing changed, nothing repainted)
        self.heard = 0  # BatchChanged messages handled
        self._generation = 0  # of the last reload (a thread's answer for an older one is dropped)
        self._loading = False  # a reload is reading: changes are kept and applied once it is done
        self._moved: list[JobRecord] = []
        self._dirty: set[int] = set()
        self._newest = 0  # the highest batch id seen (a batch above it is new)

    def compose(self) -> ComposeResult:
        yield Static(HEADING, id="batch-strip-heading", markup=False)
        yield OptionList(id="batch-strip-list", markup=False)
        yield Static("", id="batch-strip-more", markup=False)

    def on_mount(self) -> None:
        self.display = False
        self.set_interval(REFRESH, self._look_elsewhere, name="batch-strip-refresh")
        if hasattr(self.app, "status"):  # the console's status changes whenever its session does
            self.watch(self.app, "status", self._status_changed, init=True)

    def on_unmount(self) -> None:
        self._detach()

    @property
    def batch_list(self) -> OptionList:
        return self.query_one("#batch-strip-list", OptionList)

    # ------------------------------------------------------------------ the session

    def _status_changed(self, _value: object = None) -> None:
        session = getattr(console(self), "session", None)
        if session is self._session:
            return
        self._detach()
        self._session = session
        if session is None:
            self.reload()
            return
        from imstui.core.batch import BatchStore

        try:
            self._store = BatchStore(session.ledger)
        except LedgerError:
            self._store = None
        self._unsubscribe = session.poller.subscribe(self._poller_event)
        self.reload()

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._store is not None:
            with contextlib.suppress(LedgerError):
                self._store.close()
            self._store = None
        self._session = None
        self.views.clear()
        self._settled_old.clear()
        self._newest = 0

    def _poller_event(self, event: PollerEvent | object) -> None:
        """The poller's callback (maybe another thread): only rows of shown items go further, as a message (every
        row while the batches are being read: one may belong to a batch not indexed yet)."""
        from imstui.core.poller import JobChanged

        if not isinstance(event, JobChanged):
            return
        record = event.record
        if (
            self._loading
            or (record.job_id is not None and record.job_id in self._by_job)
            or record.row_id in self._by_row
        ):
            self.post_message(self._JobMoved(record))

    # ------------------------------------------------------------------ reading

    def reload(self) -> None:
        """Read every batch of the account again (on connecting), in a thread; what changes meanwhile is applied
        once it is read."""
        store, session = self._store, self._session
        self._generation += 1
        if store is None or session is None:
            self._loading = False
            self.views = {}
            self._show()
            return
        self._loading = True
        self._moved, self._dirty = [], set()
        generation, settled = self._generation, frozenset(self._settled_old)

        def load() -> None:
            views: dict[int, BatchView] = {}
            newest = 0
            try:
                for batch in reversed(store.batches(session.profile)):
                    newest = max(newest, batch.batch_id)
                    if batch.region == session.region and batch.batch_id not in settled:
                        views[batch.batch_id] = self._read(store, session, batch)
            except LedgerError:
                views = {}
            self.app.call_from_thread(self._loaded, generation, views, newest)

        self.run_worker(load, thread=True, group="batch-strip-load", exit_on_error=False)

    def _loaded(self, generation: int, views: dict[int, BatchView], newest: int) -> None:
        if generation != self._generation or not self.is_attached:
            return  # another session, or a later reload
        self._loading = False
        self._newest = max(self._newest, newest)
        self.views = views
        moved, dirty = self._moved, self._dirty
        self._moved, self._dirty = [], set()
        self._index()
        for batch_id in sorted(dirty):
            self._reread(batch_id)
        for record in moved:
            self._apply(record)
        self._show()

    def _look_elsewhere(self) -> None:
        """What another process did since the last look (see the module docstring); nothing is repainted unless a
        row's words changed."""
        store, session = self._store, self._session
        if store is None or session is None or self._loading:
            return
        running = running_batches(self.app)
        try:
            found = store.batches(session.profile, after=self._newest)
        except LedgerError:
            return
        self._newest = max([self._newest, *(b.batch_id for b in found)])
        new = [b.batch_id for b in found if b.region == session.region]
        # Items not sent yet may be sent by another process (its jobs then reach us through the poller, which follows
        # the ledger): only those batches are read again.
        elsewhere = [b for b, v in self.views.items() if _unsent(v) and b not in running]
        for batch_id in (*new, *elsewhere):
            self._reread(batch_id)
        if new or elsewhere:
            self._show()

    def _read(self, store: BatchStore, session: Session, batch: BatchRecord) -> BatchView:
        from imstui.core.batch.outcome import outcome_of

        items = tuple(outcome_of(session.ledger, item) for item in store.items(batch.batch_id))
        return BatchView.of(batch, items)

    def _reread(self, batch_id: int, position: int | None = None) -> None:
        """Read ``batch_id`` (only its item ``position``, when given and known) again from the ledger."""
        from imstui.core.batch.outcome import outcome_of

        store, session = self._store, self._session
        if store is None or session is None:
            return
        try:
            view = self.views.get(batch_id)
            if view is None or position is None:
                batch = store.get(batch_id)
                if batch is not None and (batch.profile, batch.region) == (session.profile, session.region):
                    self.views[batch_id] = self._read(store, session, batch)
                return
            index = next((i for i, o in enumerate(view.outcomes) if o.item.position == position), None)
            item = store.item(batch_id, position)
            if index is None or item is None:
                self.views[batch_id] = self._read(store, session, view.batch)
            else:
                self.views[batch_id] = view.with_outcome(index, outcome_of(session.ledger, item))
        except LedgerError:
            return
        self._index()

    def batch_changed(self, message: BatchChanged) -> None:
        """A batch was stored, or one of its items changed: read it (that item only, when named) again."""
        self.heard += 1
        self._settled_old.discard(message.batch_id)
        self._newest = max(self._newest, message.batch_id)
        if self._loading:
            self._dirty.add(message.batch_id)
            return
        self._reread(message.batch_id, message.position)
        self._show()

    @on(_JobMoved)
    def _job_moved(self, message: _JobMoved) -> None:
        message.stop()
        if self._loading:
            self._moved.append(message.record)
        elif self._apply(message.record):
            self._show()

    def _apply(self, record: JobRecord) -> bool:
        """Put a changed jobs row in its item's place; False when it is none of the shown items' or not new."""
        where = self._by_row.get(record.row_id) or (self._by_job.get(record.job_id) if record.job_id else None)
        if where is None:
            return False
        batch_id, index = where
        view = self.views.get(batch_id)
        if view is None or index >= len(view.outcomes):
            return False
        outcome = view.outcomes[index]
        if outcome.item.state in (PENDING, SENDING) or outcome.record == record:
            return False  # a pending item's row is its previous attempt's; or nothing new
        self.views[batch_id] = view.with_outcome(index, replace(outcome, record=record))
        return True

    # ------------------------------------------------------------------ showing

    def _now(self) -> datetime:
        return _aware(console(self).clock())

    def _show(self) -> None:
        now = self._now()
        worth = [b for b in sorted(self.views, reverse=True) if self.views[b].worth_showing(now)]
        self._settled_old.update(b for b in self.views if b not in worth)
        keep = set(worth) | self._open_batches()
        self.views = {b: v for b, v in self.views.items() if b in keep}
        self.shown, self.older = worth[:MAX_ROWS], max(0, len(worth) - MAX_ROWS)
        self._index()
        running = running_batches(self.app)
        rows = tuple(self.row(self.views[b], running) for b in self.shown)
        if rows != self._rows:
            self._paint(rows)
        more = self.query_one("#batch-strip-more", Static)
        more.display = bool(self.older)
        if self.older:
            more.update(assemble(f"+{self.older} older: ", ("imstui batch list", "bold")))
        self.display = bool(self.shown)
        self._await_workers(running)
        self._refresh_open_details()

    def _paint(self, rows: tuple[Content, ...]) -> None:
        options = self.batch_list
        highlighted = options.highlighted
        keep = self.shown[highlighted] if highlighted is not None and highlighted < len(self._rows) else None
        if len(rows) == len(self._rows) and [o.id for o in options.options] == [f"batch-{b}" for b in self.shown]:
            for index, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
                if old != new:
                    options.replace_option_prompt_at_index(index, new)
        else:
            options.clear_options()
            options.add_options([Option(row, id=f"batch-{b}") for b, row in zip(self.shown, rows, strict=True)])
            if rows:
                options.highlighted = self.shown.index(keep) if keep in self.shown else 0
        self._rows = rows
        self.repaints += 1

    def _index(self) -> None:
        self._by_job, self._by_row = {}, {}
        for batch_id, view in self.views.items():
            for index, outcome in enumerate(view.outcomes):
                if outcome.item.job_id:
                    self._by_job[outcome.item.job_id] = (batch_id, index)
                if outcome.record is not None:
                    self._by_row[outcome.record.row_id] = (batch_id, index)

    def hint(self, view: BatchView, running: set[int]) -> str:
        batch, counts = view.batch, view.progress
        if batch.batch_id in running:
            return "sending"
        if batch.owner_pid not in (None, os.getpid()) and _alive(batch.owner_pid):
            return f"being sent by process {batch.owner_pid}"
        said = []
        if counts.to_send or counts.submitting:
            said.append("resumable")
        if counts.failed:
            said.append("retryable")
        return ", ".join(said)

    def row(self, view: BatchView, running: set[int]) -> Content:
        """One batch's row: id, title, progress words, the hint."""
        counts = view.progress
        hint = self.hint(view, running)
        words = assemble((counts.words, "bold red" if counts.failed else ""))
        parts: list[str | Content | tuple[str, str]] = [
            (f"batch {view.batch.batch_id}", "bold"),
            "  ",
            plain(batch_title(view.batch)),
            "  ",
            words,
        ]
        if hint:
            parts += ["  ", (f"· {hint}", "italic")]
        return assemble(*parts)

    def _await_workers(self, running: set[int]) -> None:
        for batch_id in running - self._awaited:
            worker = batch_worker(self.app, batch_id)
            if worker is None:
                continue
            self._awaited.add(batch_id)

            async def ended(worker: Worker[object] = worker, batch_id: int = batch_id) -> None:
                with contextlib.suppress(Exception):
                    await worker.wait()
                self._awaited.discard(batch_id)
                self._rows = ()  # the hint changes: repaint
                if self.is_attached:
                    self._show()

            self.run_worker(ended(), group="batch-strip-wait", exit_on_error=False)

    # ------------------------------------------------------------------ the items

    def _detail_screens(self) -> list[BatchDetailScreen]:
        """The batch item screens open. None can be before their module is loaded (on the first open): asking
        does not load it (with Textual's DataTable, ~45 ms on the event loop while the console connects)."""
        module = sys.modules.get("imstui.ui.screens.batch_detail")
        if module is None:
            return []
        kind = module.BatchDetailScreen
        return [s for s in self.app.screen_stack if isinstance(s, kind)]

    def _open_batches(self) -> set[int]:
        return {s.batch_id for s in self._detail_screens()}

    def _refresh_open_details(self) -> None:
        running = running_batches(self.app)
        for screen in self._detail_screens():
            view = self.views.get(screen.batch_id)
            if view is not None:
                screen.show(view, sending=screen.batch_id in running)

    @on(OptionList.OptionSelected, "#batch-strip-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.shown):
            self.open(self.shown[event.option_index])

    def open(self, batch_id: int) -> None:
        """Open the items of ``batch_id``."""
        from imstui.ui.screens.batch_detail import BatchDetailScreen

        view = self.views.get(batch_id)
        if view is None:
            return
        self.app.push_screen(BatchDetailScreen(view, sending=batch_id in running_batches(self.app)))
