"""Get the user's attention when a job ends while they look elsewhere: the bell and the terminal title.

The title ("imstui: 3 running, 1 FAILED") is set with OSC 2 and reflects the job counts whenever they change, so a
backgrounded tmux window or terminal tab shows progress at a glance. It is built only from counts and a fixed
prefix, then stripped of anything but printable characters, so no server text can reach the terminal this way.
The previous title is pushed on the terminal's title stack (XTWINOPS ``CSI 22;2 t``) before the first change and
popped (``CSI 23;2 t``) on exit; terminals without a title stack ignore both, so the title then stays as last set.

"The user is elsewhere" (when the bell rings for a finished job) is documented in :func:`user_is_elsewhere`.
"""

from __future__ import annotations

from collections.abc import Callable

from imstui.api.sanitize import sanitize
from imstui.core.wording import JobCounts, count_words

__all__ = [
    "JobCounts",
    "TerminalAttention",
    "count_words",
    "title_sequence",
    "title_text",
    "user_is_elsewhere",
]

SAVE_TITLE = "\x1b[22;2t"
RESTORE_TITLE = "\x1b[23;2t"
TITLE_LIMIT = 80


def _clean(value: str) -> str:
    return "".join(ch for ch in sanitize(value) if ch.isprintable())


def title_text(counts: JobCounts, prefix: str = "imstui") -> str:
    """``imstui: 3 running, 1 FAILED, 1 UNKNOWN``; ``imstui: 4 done`` when all succeeded; ``imstui`` with no jobs.

    Problems are upper-case so they stand out in a tab bar; finished successes are counted only when nothing
    else is going on.
    """
    parts = count_words(counts, always_done=False)
    head = _clean(prefix) or "imstui"
    text = f"{head}: {', '.join(parts)}" if parts else head
    return text[:TITLE_LIMIT]


def title_sequence(title: str) -> str:
    """OSC 2 (window title) for ``title``, sanitised again (printable characters only, length-capped)."""
    return f"\x1b]2;{_clean(title)[:TITLE_LIMIT]}\x07"


def user_is_elsewhere(*, app_focused: bool, panel_on_active_screen: bool, row_visible: bool) -> bool:
    """The rule for ringing the bell when a job ends.

    The user is *elsewhere* if any of these holds: the terminal window/pane does not have focus (Textual's
    ``App.app_focus``, from focus-reporting terminals; tmux passes it with ``focus-events on``); the jobs panel is
    not on the screen being shown (a modal, the lookup or copy screen is on top, or the panel is hidden); or the
    job's row is not inside the visible part of the table (scrolled away or filtered out).
    """
    return not (app_focused and panel_on_active_screen and row_visible)


class TerminalAttention:
    """Writes the title and the bell through ``write`` (the Textual driver's write); remembers the last title."""

    def __init__(self, write: Callable[[str], None], bell: Callable[[], None], prefix: str = "imstui") -> None:
        self._write = write
        self._bell = bell
        self.prefix = prefix
        self._saved = False
        self.title: str | None = None
        self.bells = 0

    def show_counts(self, counts: JobCounts) -> str:
        """Set the title for ``counts`` if it changed; returns the title text."""
        title = title_text(counts, self.prefix)
        if title != self.title:
            if not self._saved:
                self._write(SAVE_TITLE)
                self._saved = True
            self._write(title_sequence(title))
            self.title = title
        return title

    def ring(self) -> None:
        self.bells += 1
        self._bell()

    def restore(self) -> None:
        """Pop the title saved before the first change (no-op if imstui never changed it)."""
        if self._saved:
            self._write(RESTORE_TITLE)
            self._saved = False
            self.title = None
