"""The terminal itself: its window title (OSC 2), the bell, and noticing that it went away. The only module that
writes to Textual's driver.

Only on a real terminal: a headless app (Pilot tests) writes nothing. Titles are sanitised
(:func:`imstui.ui.text.terminal_title`): a job or profile name cannot smuggle escape codes into the terminal.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from textual.app import App

from imstui.ui.attention import TerminalAttention
from imstui.ui.text import terminal_title

__all__ = ["attention_for", "end_process_after", "on_hangup", "set_title", "stdin_alive", "write"]


def write(app: App[Any], data: str) -> None:
    """Send ``data`` (an escape sequence) straight to the terminal, bypassing the screen."""
    driver = app._driver
    if driver is not None and not app.is_headless:
        driver.write(data)


def set_title(app: App[Any], title: str) -> None:
    """Set the terminal window title from untrusted text (sanitised first)."""
    safe = terminal_title(title)
    if safe:
        write(app, f"\x1b]2;{safe}\x07")


def writer(app: App[Any]) -> Callable[[str], None]:
    return lambda data: write(app, data)


def attention_for(app: App[Any], prefix: str) -> TerminalAttention:
    """The title-with-counts and bell of the jobs panel, writing to ``app``'s terminal."""
    return TerminalAttention(writer(app), app.bell, prefix)


def on_hangup(callback: Callable[[], None]) -> None:
    """Call ``callback`` on SIGHUP (the terminal closed), where the event loop supports signal handlers."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, callback)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        pass


def stdin_alive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def end_process_after(grace: float, code: int) -> None:
    """End the process with ``code`` after ``grace`` seconds unless it has ended by then. The orderly shutdown
    writes to the terminal, and with the pty gone Textual's output thread can block it for ever (seen with ``tmux
    kill-session``: the kernel's SIGHUP comes with a SIGCONT, and the writes to the dead pty fail). Nothing is lost:
    every ledger write is an already committed SQLite transaction and the poller's GETs are safe to abandon."""
    timer = threading.Timer(grace, os._exit, args=(code,))
    timer.daemon = True
    timer.start()
