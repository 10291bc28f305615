"""The top status bar: profile, region, project, keyring verdict, poller state and the DEMO marker.

Always exactly one line. When the terminal is too narrow for everything, the lower-priority parts give way first:
the project id is shortened (first 8 characters + "…"), then the keyring verdict, the project and the "imstui"
label and field names go, then the poller text is cut. DEMO, the plaintext warning, the profile, the region and
the poller state stay as long as anything fits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from imstui.ui.text import literal, plain

if TYPE_CHECKING:
    from imstui.core.session import Session

SHORT_PROJECT = 8


def short_id(value: str, keep: int = SHORT_PROJECT) -> str:
    """``0123abcd…`` for a long id (ids stay whole when they are short already)."""
    return value if len(value) <= keep + 1 else value[:keep] + "…"


@dataclass(frozen=True)
class StatusValues:
    demo: bool = False
    profile: str = ""
    region_id: str = ""
    project: str = ""
    keyring: str = ""
    keyring_warning: bool = False
    plaintext: bool = False
    poller: str = ""
    connection: str = ""


def keyring_label(session: Session) -> str:
    """The words for the session's secret store (empty: demo or environment keys)."""
    info = session.keyring
    if info is None:
        return ""
    if session.plaintext:
        return f"{info.name} PLAINTEXT (opted in)"
    return f"{info.name} ({'secure' if info.secure else 'INSECURE'})"


def session_values(values: StatusValues, session: Session) -> StatusValues:
    """``values`` with the fields that come from the connected session."""
    return replace(
        values,
        profile=session.profile,
        region_id=session.region,
        project=session.project_id or "",
        keyring=keyring_label(session),
        keyring_warning=session.keyring is not None and not session.keyring.secure,
        plaintext=session.plaintext,
    )


# How much to give up, level by level: (short project, keyring shown, project shown, labels shown).
_LEVELS: tuple[tuple[bool, bool, bool, bool], ...] = (
    (False, True, True, True),
    (True, True, True, True),
    (True, False, True, True),
    (True, False, False, True),
    (True, False, False, False),
)


def _field(label: str, value: str, style: str, labels: bool) -> Content:
    shown = literal(value, style)
    return Content.assemble(literal(f"{label} ", "dim"), shown) if labels else shown


def status_parts(values: StatusValues, level: int) -> list[Content]:
    short, keyring, project, labels = _LEVELS[level]
    parts: list[Content] = [literal("imstui", "bold")] if labels else []
    if values.demo:
        parts.append(literal(" DEMO ", "bold reverse"))
    if values.plaintext:
        parts.append(literal("SECRETS IN PLAINTEXT" if labels else "PLAINTEXT", "bold reverse $error"))
    if values.connection:
        parts.append(literal(values.connection, "italic"))
    if values.profile:
        parts.append(_field("profile", values.profile, "bold", labels))
    if values.region_id:
        parts.append(_field("region", values.region_id, "", labels))
    if values.poller:
        parts.append(_field("poll", values.poller, "", labels))
    if values.keyring and (keyring or values.keyring_warning):
        text = values.keyring if keyring else "INSECURE"
        style = "bold $warning" if values.keyring_warning else ""
        parts.append(_field("keyring", text, style, labels))
    if values.project and project:
        parts.append(_field("project", short_id(plain(values.project)) if short else values.project, "", labels))
    return parts


def status_line(values: StatusValues, width: int) -> Content:
    """The bar's text for ``width`` cells: the fullest level that fits, else the last one cut with an ellipsis."""
    separator = Content("  ")
    line = Content("")
    for level in range(len(_LEVELS)):
        line = separator.join(status_parts(values, level))
        if line.cell_length <= width:
            return line
    return line.truncate(max(1, width), ellipsis=True)


class StatusBar(Widget):
    """One line of connection state. Every value is untrusted text shown literally. The app keeps every bar's
    ``values`` equal to its own ``status`` (a new bar asks for them with :class:`StatusBar.Mounted`)."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    values: reactive[StatusValues] = reactive(StatusValues(connection="connecting…"))
    """Set by the app from its ``status`` reactive (the one source of these fields)."""

    class Mounted(Message):
        """A bar appeared (a new screen): the app gives it the current values."""

        def __init__(self, bar: StatusBar) -> None:
            super().__init__()
            self.bar = bar

    def on_mount(self) -> None:
        self.post_message(StatusBar.Mounted(self))

    def render(self) -> Content:
        return status_line(self.values, self.content_size.width or self.size.width)
