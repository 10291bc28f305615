"""The main screen: status bar, the batches (when there are any worth showing), the jobs panel, and the way to
everything else (lookup, credentials, help)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from imstui.ui.batch_messages import BatchChanged
from imstui.ui.session import console
from imstui.ui.text import assemble
from imstui.ui.widgets.batch_strip import BatchStrip
from imstui.ui.widgets.footer import Footer
from imstui.ui.widgets.jobs_table import JobsPanel
from imstui.ui.widgets.status_bar import StatusBar

HINT = assemble(
    ("l", "bold"),
    " look up an image to copy   ",
    ("a", "bold"),
    " credentials   ",
    ("?", "bold"),
    " keys   ",
    ("ctrl+p", "bold"),
    " commands   ",
    ("q", "bold"),
    " quit",
)


class MainScreen(Screen[None]):
    """Jobs of the active profile, updated live by the poller; its batches above them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "focus_batches", "Batches", show=False, id="main.batches", tooltip="The batches' rows"),
    ]

    def compose(self) -> ComposeResult:
        app = self.app
        yield StatusBar()
        yield Static(HINT, id="main-hint")
        yield BatchStrip()
        yield JobsPanel(clock=console(self).clock, attention=not app.is_headless)
        yield Footer()

    @on(BatchChanged)
    def _batch_changed(self, message: BatchChanged) -> None:
        self.query_one(BatchStrip).batch_changed(message)  # it bubbles on to the app

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_batches":
            return self.query_one(BatchStrip).display
        return True

    def action_focus_batches(self) -> None:
        strip = self.query_one(BatchStrip)
        if strip.display:
            strip.batch_list.focus()

    def on_mount(self) -> None:
        console(self).update_status()
        self.query_one(JobsPanel).table.focus()
