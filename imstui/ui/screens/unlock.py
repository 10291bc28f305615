"""The master-password modal for password-based keyrings (keyrings.cryptfile). imstui never calls getpass."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from imstui.api.secret import Secret
from imstui.ui.text import literal
from imstui.ui.widgets.fields import SecretInput


class UnlockScreen(ModalScreen[Secret | None]):
    """Ask for the keyring's master password; dismisses with a :class:`Secret`, or None when cancelled.

    ``new=True`` (the encrypted file does not exist yet) asks twice and requires both entries to match.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="unlock-cancel")]

    def __init__(self, backend_name: str, *, new: bool = False, error: str = "") -> None:
        super().__init__()
        self.backend_name = backend_name
        self.new = new
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-dialog", classes="dialog"):
            verb = "Choose a master password for" if self.new else "Unlock"
            yield Static(literal(f"{verb} the {self.backend_name} keyring", "bold"))
            yield Label("Master password")
            yield SecretInput(id="master-password")
            if self.new:
                yield Label("Repeat it")
                yield SecretInput(id="master-password-again")
            yield Static(literal(self.error, "$text-error") if self.error else "", id="unlock-error", markup=False)
            with Horizontal(classes="actions"):
                yield Button("Unlock", id="unlock-ok", variant="primary")
                yield Button("Cancel (Esc)", id="unlock-cancel")

    def on_mount(self) -> None:
        self.query_one("#master-password", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#unlock-ok")
    def _submit(self) -> None:
        first = self.query_one("#master-password", Input).value
        if not first:
            self.query_one("#unlock-error", Static).update(literal("Enter the master password.", "$text-error"))
            return
        if self.new:
            again = self.query_one("#master-password-again", Input)
            if not again.value:
                again.focus()
                return
            if again.value != first:
                self.query_one("#unlock-error", Static).update(literal("The two entries differ.", "$text-error"))
                return
        self.dismiss(Secret(first))

    @on(Button.Pressed, "#unlock-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
