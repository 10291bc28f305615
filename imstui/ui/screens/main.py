"""The main screen: status bar, the jobs panel, and the way to everything else (lookup, credentials, help)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from imstui.ui.session import console
from imstui.ui.text import assemble
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
    """Jobs of the active profile, updated live by the poller."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        app = self.app
        yield StatusBar()
        yield Static(HINT, id="main-hint")
        yield JobsPanel(clock=console(self).clock, attention=not app.is_headless)
        yield Footer()

    def on_mount(self) -> None:
        console(self).update_status()
        self.query_one(JobsPanel).table.focus()
