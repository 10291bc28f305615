"""``?``: the key bindings that are live on the screen underneath, read from Textual's active bindings."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from imstui.ui.text import assemble, literal

# Keys Textual shows as names; make them read like the keys on the keyboard.
_KEY_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "slash": "/",
    "space": "Space",
}

TIPS = (
    "Tab / Shift+Tab move between fields and buttons; Enter activates.",
    "Ctrl+P opens the command palette: type to search every action.",
    "Inside tmux, allow the clipboard with: set -g set-clipboard on",
)


def key_label(key: str) -> str:
    """``ctrl+p`` -> ``Ctrl+P``, ``question_mark`` -> ``?``, ``f2`` -> ``F2``."""
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    parts = key.split("+")
    *mods, last = parts
    if len(last) > 1:
        last = _KEY_NAMES.get(last, last.upper() if last[0] == "f" and last[1:].isdigit() else last.capitalize())
    return "+".join([m.capitalize() for m in mods] + [last])


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str, bool]]:
    """``(key, description, enabled)`` for every binding active on ``screen`` that has a description.

    imstui's own bindings (those with an ``id``) come first, then the generic widget keys (cursor movement...).
    """
    rows: dict[str, tuple[int, str, str, bool]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.description or binding.tooltip
        if not description:
            continue
        label = key_label(binding.key_display or key)
        group = 0 if binding.id else 1
        rows.setdefault(f"{description}|{label}", (group, label, description, active.enabled))
    ordered = sorted(rows.values(), key=lambda r: (r[0], not r[3], r[2].lower()))
    return [(label, description, enabled) for _, label, description, enabled in ordered]


class HelpScreen(ModalScreen[None]):
    """Lists the live bindings of the screen it was opened from, plus a few tips. Esc, ? or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help-close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str, bool]], screen_name: str) -> None:
        super().__init__()
        self.rows = rows
        self.screen_name = screen_name

    @classmethod
    def for_screen(cls, screen: Screen[Any]) -> HelpScreen:
        name = type(screen).__name__.removesuffix("Screen") or "Main"
        return cls(binding_rows(screen), name)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(literal(f"Keys on the {self.screen_name} screen", "bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self.render_rows(), id="help-keys")
                yield Static(Content("\n").join([literal("• " + tip, "dim") for tip in TIPS]), id="help-tips")
            yield Static(literal("Esc closes this help", "italic dim"))

    def render_rows(self) -> Content:
        if not self.rows:
            return literal("(no keys bound here)", "italic")
        width = max(len(k) for k, _, _ in self.rows) + 2
        lines = [
            assemble((f"{key:>{width}}  ", "bold $accent" if enabled else "dim"), (text, "" if enabled else "dim"))
            for key, text, enabled in self.rows
        ]
        return Content("\n").join(lines)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
