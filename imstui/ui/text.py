"""Turn untrusted strings (server data, user input) into renderables that are never parsed as markup.

Every server or user string that reaches a widget goes through one of these helpers: the result is a
:class:`~textual.content.Content` (or :class:`rich.text.Text` for DataTable cells) holding the literal characters,
with terminal control sequences removed by :func:`imstui.api.sanitize.sanitize`. Markup in the string (``[b]``,
``[/bad]``, ``[@click=app.quit]``) is shown as typed, never interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.content import Content

from imstui.api.sanitize import sanitize

__all__ = ["assemble", "lines", "literal", "literal_text", "plain", "terminal_title"]


def plain(value: object, *, multiline: bool = False) -> str:
    """``value`` as a sanitised plain ``str`` (no escape sequences, no control characters)."""
    if value is None:
        return ""
    return sanitize(str(value), multiline=multiline)


def literal(value: object, style: str = "", *, multiline: bool = False) -> Content:
    """A Content that shows ``value`` literally (markup not parsed), optionally styled as a whole."""
    content = Content(plain(value, multiline=multiline))
    return content.stylize(style) if style else content


def literal_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A rich Text that shows ``value`` literally (for DataTable cells and other rich renderables)."""
    return Text(plain(value, multiline=multiline), style=style, no_wrap=not multiline)


def assemble(*parts: str | Content | tuple[str, str]) -> Content:
    """Join pieces into one Content.

    A ``str`` piece is treated as *untrusted* and shown literally; a ``(text, style)`` tuple is also literal text
    with the given style; Content pieces are used as they are.
    """
    pieces: list[Content] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, tuple):
            pieces.append(literal(part[0], part[1]))
        else:
            pieces.append(literal(part))
    return Content("").join(pieces)


def lines(rows: Iterable[Content]) -> Content:
    """Join Content rows with newlines."""
    return Content("\n").join(list(rows))


def terminal_title(value: object, *, limit: int = 80) -> str:
    """A string safe to put into the terminal title (OSC 0/2): printable characters only, length-capped."""
    text = plain(value)
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:limit]
