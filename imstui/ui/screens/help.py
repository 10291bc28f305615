"""``?``: the keys of the screen underneath (live, read from Textual's active bindings, imstui's own only), then the
keys of every other screen, what each job status means (the Phase words) and the copy form's field rules."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from imstui.core.jobs import Phase
from imstui.core.validation import DESCRIPTION_MAX, NAME_MAX
from imstui.core.wording import look_of
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
    "up": "Up",
    "down": "Down",
}

# What each status word means (the words themselves come from imstui.core.wording).
PHASE_MEANINGS: dict[Phase, str] = {
    Phase.SUBMITTING: "the copy request is being sent; no job id yet",
    Phase.REJECTED: "IMS refused the request (see the error); nothing was created; you may retry",
    Phase.OUTCOME_UNKNOWN: "the request may have reached IMS but no answer came; check the images before a retry",
    Phase.WAITING: "IMS accepted the job and queued it",
    Phase.STARTING: "IMS is starting the job",
    Phase.RUNNING: "IMS is copying the image; progress is shown when IMS reports it",
    Phase.UNRECOGNISED: "IMS reported a status imstui does not know; it keeps polling",
    Phase.SUCCEEDED: "the copy finished; the new image id is shown",
    Phase.FAILED: "the job failed on the server (see the error and what to do); you may retry",
    Phase.GONE: "IMS no longer knows the job (it expired or was never seen finishing)",
}

FIELD_RULES = (
    f"Name: required, 1-{NAME_MAX} characters: letters, digits, - . _ space and Chinese characters; no space at the "
    "start or end.",
    f"Description: optional, up to {DESCRIPTION_MAX} characters on one line (no line breaks), no < or >, no control "
    "characters.",
    "KMS key: optional, a key id (UUID); empty copies with the source's encryption.",
    'Enterprise project: optional, "0" (the default project) or a UUID.',
)

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


def described(binding: Binding) -> str:
    """``Failed: Failed only (or all again)``: the footer's word, then the longer tooltip when there is one."""
    if binding.tooltip and binding.description and binding.tooltip != binding.description:
        return f"{binding.description}: {binding.tooltip}"
    return binding.description or binding.tooltip


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str, bool]]:
    """``(key, description, enabled)`` for every binding active on ``screen`` that has a description.

    imstui's own bindings (those with an ``id``) come first, then the generic widget keys (cursor movement...).
    """
    rows: dict[str, tuple[str, str, bool]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = described(binding)
        if not description or not binding.id:  # Textual's own widget keys (Ctrl+PageDown...) are not listed
            continue
        label = key_label(binding.key_display or key)
        rows.setdefault(f"{description}|{label}", (label, description, active.enabled))
    return sorted(rows.values(), key=lambda r: (not r[2], r[1].lower()))


def class_rows(*hosts: type[Any]) -> list[tuple[str, str]]:
    """``(keys, description)`` of the imstui bindings declared by ``hosts`` (keys sharing an action joined)."""
    rows: dict[str, tuple[list[str], str]] = {}
    for host in hosts:
        for binding in host.BINDINGS:
            if not isinstance(binding, Binding) or not binding.id or not binding.description:
                continue
            keys, _ = rows.setdefault(binding.action, ([], described(binding)))
            for key in binding.key.split(","):
                if key_label(key) not in keys:
                    keys.append(key_label(key))
    return [("/".join(keys), description) for keys, description in rows.values()]


def screen_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every screen's keys, by screen name (the app's own keys under "Everywhere")."""
    from imstui.ui.app import ImstuiApp
    from imstui.ui.screens.confirm import ConfirmScreen
    from imstui.ui.screens.copy_form import CopyFormScreen
    from imstui.ui.screens.credentials import CredentialsScreen
    from imstui.ui.screens.job_detail import JobDetailScreen
    from imstui.ui.screens.lookup import LookupScreen
    from imstui.ui.widgets.jobs_grid import JobsTable
    from imstui.ui.widgets.jobs_table import JobsPanel

    return [
        ("Everywhere", class_rows(ImstuiApp)),
        ("Jobs (main screen)", class_rows(JobsPanel, JobsTable)),
        ("Job details", class_rows(JobDetailScreen)),
        ("Lookup", class_rows(LookupScreen)),
        ("Copy form", class_rows(CopyFormScreen)),
        ("Confirm", class_rows(ConfirmScreen)),
        ("Credentials", class_rows(CredentialsScreen)),
    ]


def reference_text() -> Content:
    """The part of the help that is the same on every screen: each screen's keys, statuses, field rules."""
    lines: list[Content] = []
    for title, rows in screen_groups():
        lines.append(literal(f"\n{title}", "bold"))
        width = max((len(k) for k, _ in rows), default=0) + 2
        lines += [assemble((f"{key:>{width}}  ", "bold"), text) for key, text in rows]
    lines.append(literal("\nJob statuses", "bold"))
    for phase, meaning in PHASE_MEANINGS.items():
        lines.append(assemble((f"  {look_of(phase).label:<17} ", "bold"), meaning))
    lines.append(literal("\nCopy form fields", "bold"))
    lines += [literal("  " + rule) for rule in FIELD_RULES]
    return Content("\n").join(lines)


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
            yield Static(literal(f"Keys on the {self.screen_name} screen (others below)", "bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self.render_rows(), id="help-keys")
                yield Static(reference_text(), id="help-reference")
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
