"""Start the console: refuse unusable terminals before Textual is imported, then run :class:`ImstuiApp`.

The terminal check runs first so that ``imstui`` with stdout piped to a file or under ``TERM=dumb`` prints one line
pointing at the headless commands and exits 2, instead of writing kilobytes of escape codes.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
from typing import TextIO

EXIT_USAGE = 2

REFUSAL = (
    "imstui: the console needs an interactive terminal ({reason}).\n"
    "Use the headless commands instead, e.g. `imstui copy ...` and `imstui jobs ...` (see `imstui --help`).\n"
)


def terminal_problem(
    stdin: TextIO | None = None, stdout: TextIO | None = None, env: dict[str, str] | None = None
) -> str | None:
    """Why the console cannot run here (a short reason), or None when the terminal is usable."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    env = dict(os.environ) if env is None else env
    if stdout is None or not _isatty(stdout):
        return "stdout is not a terminal"
    if stdin is None or not _isatty(stdin):
        return "stdin is not a terminal"
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown"):
        return f"TERM={term or '(unset)'} cannot draw a full-screen interface"
    return None


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# Installed packages the console never uses whose presence alone costs it start-up time: httpcore imports trio (if
# installed) to support it beside asyncio (~95 ms here), httpx imports click for its own command line (~65 ms with
# what it pulls in). Both guard those imports with ``except ImportError``.
UNUSED_OPTIONAL_MODULES = ("trio", "click")


def skip_unused_optional_imports(modules: dict[str, object] | None = None) -> list[str]:
    """Mark :data:`UNUSED_OPTIONAL_MODULES` as absent for this process (``None`` in ``sys.modules``, the import
    system's own "not importable"), unless something loaded them already. Only the console's process does this,
    before the connection stack loads; returns the names marked."""
    table: dict[str, object] = sys.modules if modules is None else modules  # type: ignore[assignment]
    marked = [name for name in UNUSED_OPTIONAL_MODULES if name not in table]
    for name in marked:
        table[name] = None
    return marked


# Start-up allocates tens of thousands of long-lived objects (modules, classes, functions, the first screen's DOM)
# and frees almost none, so the cyclic collector's passes over them are wasted work (~10 % of the imports up to the
# first screen, measured). It is held from the start of the console until its connection stack has loaded
# (:func:`imstui.ui.session.preload_connection_stack` releases it), and at most STARTUP_GC_HOLD seconds.
STARTUP_GC_HOLD = 10.0
_held = threading.Lock()
_holding = [False]


def hold_collections(seconds: float = STARTUP_GC_HOLD) -> bool:
    """Pause the cyclic garbage collector for start-up (if it runs); :func:`release_collections` resumes it, and a
    timer does after ``seconds`` whatever happens. True if it was paused here."""
    with _held:
        if _holding[0] or not gc.isenabled():
            return False
        gc.disable()
        _holding[0] = True
    timer = threading.Timer(seconds, release_collections)
    timer.daemon = True
    timer.start()
    return True


def release_collections() -> None:
    """Resume the collector paused by :func:`hold_collections` (nothing if it did not pause it)."""
    with _held:
        if _holding[0]:
            _holding[0] = False
            gc.enable()


_CONSOLE = [False]  # this process runs the console (run_console): keep_long_lived acts only then


def keep_long_lived() -> None:
    """Move the objects alive now out of the cyclic collector's later full passes (``gc.freeze``, O(1)).

    For data that arrived to stay, such as a page of the image browser: 10,000 images are ~1 million objects, and a
    full collection walking them stalled the console for 45-80 ms now and then (a PageDown or a filter keystroke
    that happened to trigger it; measured with gc callbacks in benchmarks/browser_bench.py's console). Frozen
    objects are still freed by reference counting when the screen holding them goes. The young generations are
    collected first (a few ms at most), so only a garbage cycle that had already reached the oldest generation can
    be kept for good. Only in the console's own process (not in a test run that hosts many apps in one process)."""
    if _CONSOLE[0]:
        gc.collect(1)
        gc.freeze()


def run_console(args: argparse.Namespace) -> int:
    """Open the console for ``args`` (the parsed common options); returns the process exit code."""
    problem = terminal_problem()
    if problem is not None:
        sys.stderr.write(REFUSAL.format(reason=problem))
        return EXIT_USAGE

    skip_unused_optional_imports()
    _CONSOLE[0] = True
    hold_collections()
    from imstui.ui.app import ImstuiApp
    from imstui.ui.connectors import connector_for_args

    app = ImstuiApp(connector_for_args(args), demo=bool(getattr(args, "demo", False)), watch_terminal=True)
    result = app.run(mouse=True)
    if app.return_code not in (None, 0):
        return int(app.return_code or 1)
    return int(result or 0)
