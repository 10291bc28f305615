"""The items of one batch, opened from its row on the main screen (:class:`~imstui.ui.widgets.batch_strip.BatchStrip`).

One line per item: position, source (name and id), target name, state as the jobs say it (glyph and word, see
:func:`imstui.core.batch.outcome.item_look`), job id, and for a failure its code with a short explanation
(:func:`imstui.api.catalogue.explain`). Kept up to date by the strip (:meth:`BatchDetailScreen.show`).

Keys (keyboard only): Enter opens the job detail of an item that has a job; ``R``/``t`` retries the failed item
under the cursor, ``F`` every failed item, ``s`` resumes the batch (sends the items not sent yet) — each after a
confirmation, through :mod:`imstui.ui.batch_runner` (the core's rules: only a copy that definitely produced no
image is sent again; an item whose outcome is unknown never is: "outcome unknown — check before retrying").
Esc/q close.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from imstui.api.catalogue import explain
from imstui.core.batch import PENDING, SENDING, SKIPPED, BatchStore, retry_plan
from imstui.core.batch.outcome import ItemOutcome, item_look, retryable
from imstui.core.jobs import Phase
from imstui.core.ledger import LedgerError
from imstui.core.wording import KIND_STYLES
from imstui.ui.batch_runner import resume_batch, retry_item, retry_items
from imstui.ui.session import console
from imstui.ui.text import assemble, lines, literal, literal_text, plain
from imstui.ui.widgets.batch_strip import BatchView, batch_title

__all__ = ["UNKNOWN_ADVICE", "BatchDetailScreen", "explanation", "item_cells"]

UNKNOWN_ADVICE = "outcome unknown — check before retrying"
COLUMNS = ("#", "state", "target", "error", "job", "source")
KEYS = "esc close · enter job detail · R retry item · F retry failed · s resume"


def _code(outcome: ItemOutcome) -> str | None:
    record = outcome.record
    return (record.error_code if record is not None else None) or outcome.item.error_code


def explanation(outcome: ItemOutcome) -> str:
    """What to know about an item: a failure's code with a short explanation, the advice for an unknown outcome,
    why an item was skipped or is waiting ("" when there is nothing to say)."""
    item, record = outcome.item, outcome.record
    word = outcome.word
    if word == Phase.OUTCOME_UNKNOWN.value:
        return f"{UNKNOWN_ADVICE}: the copy may exist (look in the image list); imstui never sends it again"
    if item.state == SKIPPED:
        return plain(item.reason or "not eligible")
    if word in (Phase.FAILED.value, Phase.REJECTED.value, Phase.GONE.value):
        code = _code(outcome)
        info = explain(code)
        if info is not None:
            return plain(f"{info.code}: {info.meaning}")
        reason = (record.fail_reason if record is not None else None) or item.reason
        return plain(": ".join(p for p in (code, reason) if p))[:200]
    if item.state == PENDING and item.reason:
        return plain(item.reason)[:200]  # a flow-control wait, a retry of a previous attempt, a stop
    return ""


def _error_cell(outcome: ItemOutcome) -> str:
    """The error column: the code of a failure, the advice for an unknown outcome."""
    word = outcome.word
    if word == Phase.OUTCOME_UNKNOWN.value:
        return UNKNOWN_ADVICE
    if word in (Phase.FAILED.value, Phase.REJECTED.value, Phase.GONE.value):
        return plain(_code(outcome) or "no code")
    if outcome.item.state == SKIPPED:
        return "not eligible"
    return ""


def item_cells(outcome: ItemOutcome) -> tuple[Text, ...]:
    """The cells of one item's line, in :data:`COLUMNS` order (all text shown literally)."""
    item = outcome.item
    look = item_look(outcome)
    source = " ".join(p for p in (plain(item.source_image_name), item.source_image_id[:8]) if p)
    error = _error_cell(outcome)
    return (
        literal_text(str(item.position)),
        literal_text(look.label, KIND_STYLES.get(look.kind, "")),
        literal_text(item.name),
        literal_text(error, "bold red" if error and look.kind == "failed" else "bold yellow" if error else ""),
        literal_text(item.job_id or "–"),
        literal_text(source),
    )


class BatchDetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    BatchDetailScreen {
        align: center middle;
    }
    BatchDetailScreen > #batch-detail {
        width: 95%;
        max-width: 160;
        height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    BatchDetailScreen #batch-detail-title {
        height: auto;
        margin-bottom: 1;
    }
    BatchDetailScreen #batch-items {
        height: 1fr;
    }
    BatchDetailScreen #batch-item-note {
        height: auto;
        max-height: 3;
    }
    BatchDetailScreen #batch-detail-keys {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="batch_detail.close"),
        Binding("q", "close", "Close", show=False, id="batch_detail.close_q"),
        Binding("R", "retry_item", "Retry item", id="batch_detail.retry"),
        Binding("t", "retry_item", "Retry item", show=False, id="batch_detail.retry_alt"),
        Binding("F", "retry_failed", "Retry failed", id="batch_detail.retry_failed"),
        Binding("s", "resume", "Resume", id="batch_detail.resume"),
    ]

    def __init__(self, view: BatchView, *, sending: bool = False) -> None:
        super().__init__()
        self.view = view
        self.sending = sending
        self.batch_id = view.batch.batch_id
        self._cells: list[tuple[Text, ...]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="batch-detail"):
            yield Static(self._title(), id="batch-detail-title", markup=False)
            table: DataTable[Text] = DataTable(id="batch-items", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", id="batch-item-note", markup=False)
            yield Static(literal(KEYS), id="batch-detail-keys", markup=False)

    def on_mount(self) -> None:
        table = self.table
        table.add_columns(*COLUMNS)
        self._fill()
        table.focus()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#batch-items", DataTable)

    def _title(self) -> Content:
        batch, counts = self.view.batch, self.view.progress
        head = assemble(
            (f"Batch {batch.batch_id}", "bold"),
            "  ",
            plain(batch_title(batch)),
            "  ",
            (counts.words, "bold red" if counts.failed else "bold"),
        )
        said = [head]
        if self.sending:
            said.append(literal("being sent by this console", "italic"))
        elif counts.to_send or counts.submitting:
            said.append(literal(f"{counts.to_send + counts.submitting} not sent yet: s resumes", "italic"))
        if counts.unknown:
            said.append(
                literal(f"{counts.unknown} {UNKNOWN_ADVICE} (the copy may exist; never sent again)", "bold yellow")
            )
        return lines(said)

    def show(self, view: BatchView, *, sending: bool = False) -> None:
        """Show newer outcomes of the same batch (only the cells that changed are repainted)."""
        if view == self.view and sending == self.sending:
            return
        self.view, self.sending = view, sending
        self.query_one("#batch-detail-title", Static).update(self._title())
        self._fill()

    def _fill(self) -> None:
        table = self.table
        cells = [item_cells(o) for o in self.view.outcomes]
        if len(cells) != len(self._cells) or table.row_count != len(cells):
            row = table.cursor_row
            table.clear()
            for outcome, values in zip(self.view.outcomes, cells, strict=True):
                table.add_row(*values, key=str(outcome.item.position))
            if cells:
                table.move_cursor(row=min(max(0, row), len(cells) - 1))
        else:
            for index, (old, new) in enumerate(zip(self._cells, cells, strict=True)):
                for column, (a, b) in enumerate(zip(old, new, strict=True)):
                    if a != b:
                        table.update_cell_at(Coordinate(index, column), b)
        self._cells = cells
        self._note()

    def _note(self) -> None:
        """The highlighted item's explanation under the table."""
        outcome = self.selected
        said = explanation(outcome) if outcome is not None else ""
        style = "bold yellow" if outcome is not None and outcome.word == Phase.OUTCOME_UNKNOWN.value else ""
        note = assemble((f"Item {outcome.item.position}: ", "bold"), (said, style)) if outcome and said else Content("")
        self.query_one("#batch-item-note", Static).update(note)

    @on(DataTable.RowHighlighted, "#batch-items")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._note()

    # ------------------------------------------------------------------ actions

    @property
    def selected(self) -> ItemOutcome | None:
        row = self.table.cursor_row
        outcomes = self.view.outcomes
        return outcomes[row] if 0 <= row < len(outcomes) else None

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#batch-items")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        outcome = self.selected
        if outcome is None:
            return
        record = outcome.record or outcome.previous
        if record is None:
            self.notify(f"Item {outcome.item.position} has no job yet.", markup=False)
            return
        from imstui.ui.screens.job_detail import JobDetailScreen

        app = self.app
        panel = getattr(app, "jobs_panel", lambda: None)()
        links = panel.retry_links if panel is not None else None
        if links is not None:
            app.push_screen(JobDetailScreen(record, clock=console(self).clock, links=links))
        else:
            app.push_screen(JobDetailScreen(record, clock=console(self).clock))

    def _store(self) -> BatchStore | None:
        session = console(self).session
        if session is None:
            self.notify("Not connected.", severity="warning", markup=False)
            return None
        return BatchStore(session.ledger)

    def _confirm(self, title: str, body: Content, label: str, then: object) -> None:
        from imstui.ui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes and callable(then):
                then()

        self.app.push_screen(ConfirmScreen(title, body, confirm_label=label), answered)

    def action_retry_item(self) -> None:
        outcome = self.selected
        if outcome is None:
            return
        position = outcome.item.position
        if outcome.word == Phase.OUTCOME_UNKNOWN.value:
            self.notify(
                f"Item {position}: {UNKNOWN_ADVICE}: its copy may exist (look in the image list); imstui never "
                "sends it again.",
                severity="warning",
                markup=False,
            )
            return
        if not retryable(outcome):
            self._say_not_retried([position])
            return
        item = outcome.item
        body = lines(
            [
                assemble(
                    "Send the copy of ", (plain(item.source_image_name or item.source_image_id), "bold"), " again"
                ),
                assemble("again as ", (plain(item.name), "bold"), f" (item {position} of batch {self.batch_id})."),
                literal(f"Its previous attempt: {explanation(outcome) or outcome.word}"),
                literal("This is a new copy request; the failed job stays in the jobs list."),
            ]
        )
        batch_id = self.batch_id
        self._confirm(f"Retry item {position}?", body, "Send again", lambda: retry_item(self, batch_id, position))

    def _say_not_retried(self, positions: list[int]) -> None:
        store = self._store()
        if store is None:
            return
        try:
            with store:
                plan = retry_plan(store, self.batch_id, positions)
        except LedgerError as exc:
            self.notify(plain(str(exc)), severity="error", markup=False)
            return
        for refused in plan.refused:
            self.notify(f"Item {refused.position}: not sent again: {plain(refused.why)}", markup=False)

    def action_retry_failed(self) -> None:
        store = self._store()
        if store is None:
            return
        try:
            with store:
                plan = retry_plan(store, self.batch_id)
        except LedgerError as exc:
            self.notify(plain(str(exc)), severity="error", markup=False)
            return
        if plan.empty:
            self.notify(f"Batch {self.batch_id}: no failed item to retry.", markup=False)
            return
        rows = [literal(f"{len(plan.retry)} item(s) will be sent again, each as a new copy request:")]
        rows += [literal(f"  {c.position:>3}  {plain(c.name)}  ({plain(c.why)[:100]})") for c in plan.retry]
        if self.view.progress.unknown:
            rows.append(literal(f"{self.view.progress.unknown} {UNKNOWN_ADVICE}: not sent again.", "bold yellow"))
        positions = [c.position for c in plan.retry]
        batch_id = self.batch_id
        self._confirm(
            f"Retry {len(positions)} failed item(s) of batch {batch_id}?",
            lines(rows),
            "Send again",
            lambda: retry_items(self, batch_id, positions),
        )

    def action_resume(self) -> None:
        todo = [o for o in self.view.outcomes if o.item.state in (PENDING, SENDING)]
        if self.sending:
            self.notify(f"Batch {self.batch_id} is being sent by this console.", markup=False)
            return
        if not todo:
            self.notify(f"Batch {self.batch_id}: every item was sent; nothing to resume.", markup=False)
            return
        rows = [literal(f"{len(todo)} item(s) not sent yet will be sent:")]
        rows += [literal(f"  {o.item.position:>3}  {plain(o.item.name)}") for o in todo[:20]]
        if len(todo) > 20:
            rows.append(literal(f"  … and {len(todo) - 20} more"))
        rows.append(literal("An item whose request was in flight when imstui stopped is settled first, never resent."))
        batch_id = self.batch_id
        self._confirm(f"Resume batch {batch_id}?", lines(rows), "Send", lambda: resume_batch(self, batch_id))
