"""The top status bar: profile, region, project, keyring verdict, poller state and the DEMO marker."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from imstui.ui.text import literal


class StatusBar(Widget):
    """One line (two when narrow) of connection state. Every value is untrusted text shown literally."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        max-height: 2;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    demo: reactive[bool] = reactive(False, layout=True)
    profile: reactive[str] = reactive("", layout=True)
    region_id: reactive[str] = reactive("", layout=True)
    project: reactive[str] = reactive("", layout=True)
    keyring: reactive[str] = reactive("", layout=True)
    keyring_warning: reactive[bool] = reactive(False, layout=True)
    plaintext: reactive[bool] = reactive(False, layout=True)
    poller: reactive[str] = reactive("", layout=True)
    connection: reactive[str] = reactive("connecting…", layout=True)

    def on_mount(self) -> None:
        apply = getattr(self.app, "apply_status", None)
        if callable(apply):
            apply(self)

    def render(self) -> Content:
        parts: list[Content] = [literal("imstui", "bold")]
        if self.demo:
            parts.append(literal(" DEMO ", "bold reverse"))
        if self.plaintext:
            parts.append(literal("SECRETS IN PLAINTEXT", "bold reverse $error"))
        if self.connection:
            parts.append(literal(self.connection, "italic"))
        if self.profile:
            parts.append(Content.assemble(literal("profile ", "dim"), literal(self.profile, "bold")))
        if self.region_id:
            parts.append(Content.assemble(literal("region ", "dim"), literal(self.region_id)))
        if self.poller:
            parts.append(Content.assemble(literal("poll ", "dim"), literal(self.poller)))
        if self.keyring:
            style = "bold $warning" if self.keyring_warning else ""
            parts.append(Content.assemble(literal("keyring ", "dim"), literal(self.keyring, style)))
        if self.project:
            parts.append(Content.assemble(literal("project ", "dim"), literal(self.project)))
        return Content("  ").join(parts)
