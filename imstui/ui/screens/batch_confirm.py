"""The confirmation of a batch: :class:`~imstui.ui.screens.confirm.ConfirmScreen`'s keys and answers (Back focused
first, ``y`` confirms, Esc/``n`` cancels), with the plan in a scrolling body (a batch can list hundreds of items)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.text import literal


class BatchConfirmScreen(ConfirmScreen):
    """Confirm a batch plan (``body``: :func:`imstui.ui.screens.batch_preview.confirm_body`)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(literal(self.title_text, "bold"), id="confirm-title")
            with VerticalScroll(id="batch-confirm-scroll"):
                yield Static(self.body, id="confirm-body")
            with Horizontal(classes="actions"):
                yield Button("Back (Esc)", id="confirm-no")
                yield Button(f"{self.confirm_label} (y)", id="confirm-yes", variant="warning")
