"""A yes/no confirmation modal whose body is Content (untrusted values shown literally)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from imstui.ui.text import assemble, literal


def encryption_text(cmk_id: str, key_label: str = "", source_key: str = "") -> str:
    """Which key the copy will carry. An omitted key on an encrypted source: IMS does not document whether the copy
    keeps the source's key or comes out unencrypted [UNCERTAIN: ims-api.md §2], so both are said."""
    if cmk_id:
        named = key_label if cmk_id in key_label else (f"{key_label} ({cmk_id})" if key_label else cmk_id)
        return f"KMS key {named}" + (" (re-encrypted: not the source's key)" if source_key else "")
    if source_key:
        return (
            f"no key given: expected to keep the source's key {source_key} "
            "[UNCERTAIN: IMS does not document it; check the new image]"
        )
    return "not encrypted (no key given)"


def copy_summary(
    *,
    region: str,
    project: str,
    source_id: str,
    source_name: str,
    target_name: str,
    description: str = "",
    cmk_id: str = "",
    enterprise_project_id: str = "",
    key_label: str = "",
    source_key: str = "",
    project_label: str = "",
    tags: Sequence[str] = (),
) -> Content:
    """The confirmation text naming region, project, source and target, the key (alias and id), the enterprise
    project (name and id) and the tags. Every value is shown literally."""
    rows: list[tuple[str, str]] = [
        ("Region", region),
        ("Project", project or "(discovered from the region)"),
        ("Source image", source_name or "(no name)"),
        ("Source image id", source_id),
        ("New image name", target_name),
    ]
    if description:
        rows.append(("Description", description))
    rows.append(("Encryption", encryption_text(cmk_id, key_label, source_key)))
    if enterprise_project_id and project_label and enterprise_project_id not in project_label:
        project_label = f"{project_label} ({enterprise_project_id})"
    rows.append(("Enterprise project", project_label or enterprise_project_id or "default"))
    if tags:
        rows.append(("Tags", ", ".join(tags) + " (applied once the copy has succeeded)"))
    width = max(len(k) for k, _ in rows) + 2
    return Content("\n").join([assemble((f"{k:<{width}}", "bold"), v) for k, v in rows])


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that costs money or cannot be undone: ``y`` (or Enter on the focused confirm
    button, reached with Tab) confirms; Esc, ``n`` or Enter on Back (the button focused at first) cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="confirm-cancel"),
        Binding("n", "cancel", "No", show=False),
        Binding("y", "confirm", "Yes", id="confirm-yes"),
    ]

    def __init__(self, title: str, body: Content, *, confirm_label: str = "Submit copy") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(literal(self.title_text, "bold"), id="confirm-title")
            yield Static(self.body, id="confirm-body")
            with Horizontal(classes="actions"):
                yield Button("Back (Esc)", id="confirm-no")
                yield Button(f"{self.confirm_label} (y)", id="confirm-yes", variant="warning")

    def on_mount(self) -> None:
        # Back has the focus: an Enter meant for the screen before never confirms. Confirming takes ``y`` or a
        # deliberate Tab to the confirm button.
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def action_confirm(self) -> None:
        self._answer(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self._answer(False)

    def _answer(self, value: bool) -> None:
        if self._answered:  # a second Enter/y while the modal is closing must not answer twice
            return
        self._answered = True
        self.dismiss(value)
