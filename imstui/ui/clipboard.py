"""Copy text to the user's clipboard with OSC 52, so it works over SSH and inside tmux/screen.

Modelled on k9s ``internal/view/clipboard.go``: modes ``auto`` | ``osc52`` | ``off`` (``IMSTUI_CLIPBOARD``),
the sequence wrapped in a DCS passthrough when ``$TMUX`` (or ``$STY`` for GNU screen) is set, a size cap, and no
write when the output is not a terminal. The text is sanitised (no escape sequences or control characters besides
newline and tab) before it is encoded, so nothing copied can arm the terminal when pasted.

The planning part (:func:`plan_copy`) is pure; :func:`copy_text` performs the plan through a Textual app.

tmux notes (shown to the user): tmux forwards an application's plain OSC 52 only with ``set -g set-clipboard on``
(the default ``external`` drops it); the DCS passthrough form needs ``set -g allow-passthrough on``. In tmux imstui
sends both, so either setting is enough.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from imstui.api.sanitize import sanitize

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "ENV_MODE",
    "MAX_PAYLOAD_BYTES",
    "TMUX_HINT",
    "ClipboardMode",
    "CopyPlan",
    "CopyResult",
    "clean_text",
    "copy_text",
    "detect_multiplexer",
    "osc52_sequence",
    "parse_mode",
    "plan_copy",
]

ClipboardMode = Literal["auto", "osc52", "off"]
Multiplexer = Literal["tmux", "screen"]

ENV_MODE = "IMSTUI_CLIPBOARD"
# Cap on the base64 payload. Many terminals refuse larger OSC 52 writes (k9s uses 74 994 bytes).
MAX_PAYLOAD_BYTES = 100_000
TMUX_HINT = "needs `set -g set-clipboard on` (or `set -g allow-passthrough on`) in tmux"
SCREEN_HINT = "GNU screen passes OSC 52 through only with a terminal that supports it"

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"


@dataclass(frozen=True)
class CopyResult:
    """What happened; ``message`` is a plain sentence for a notification (no markup, no copied text)."""

    ok: bool
    message: str
    method: str = ""  # "osc52" | "osc52+tmux" | "osc52+screen" | "" when nothing was sent

    @property
    def severity(self) -> Literal["information", "warning"]:
        return "information" if self.ok else "warning"


@dataclass(frozen=True)
class CopyPlan:
    """The sanitised text, the escape sequences to write (in order), and the result to report."""

    text: str
    sequences: tuple[str, ...]
    result: CopyResult


def parse_mode(value: str | None) -> ClipboardMode:
    """``auto`` (the default, also for unknown values), ``osc52`` or ``off``."""
    lowered = (value or "").strip().lower()
    if lowered in ("off", "none", "0", "false", "no"):
        return "off"
    if lowered == "osc52":
        return "osc52"
    return "auto"


def detect_multiplexer(env: Mapping[str, str]) -> Multiplexer | None:
    if env.get("TMUX"):
        return "tmux"
    if env.get("STY"):
        return "screen"
    return None


def clean_text(text: str) -> str:
    """The text as it goes on the clipboard: escape sequences and control characters (but ``\\n``/``\\t``) removed."""
    return sanitize(text, multiline=True)


def osc52_payload(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def osc52_sequence(payload: str, multiplexer: Multiplexer | None = None) -> str:
    """``ESC ] 52 ; c ; <payload> BEL``, wrapped for tmux (``ESC P tmux; ESC ESC ] 52 ... BEL ESC \\``) or screen."""
    plain = f"{ESC}]52;c;{payload}{BEL}"
    if multiplexer == "tmux":
        # Inside a tmux DCS passthrough every ESC of the inner sequence is doubled.
        return f"{ESC}Ptmux;{plain.replace(ESC, ESC + ESC)}{ST}"
    if multiplexer == "screen":
        return f"{ESC}P{plain}{ST}"
    return plain


def plan_copy(
    text: str,
    what: str,
    *,
    mode: ClipboardMode = "auto",
    env: Mapping[str, str] | None = None,
    is_tty: bool = True,
) -> CopyPlan:
    """Decide what to write for copying ``text`` (described as ``what``, e.g. "job id").

    ``mode="auto"`` refuses when the output is not a terminal or ``TERM`` is ``dumb``; ``osc52`` always writes;
    ``off`` never does. The first sequence is always the plain OSC 52 (which tmux handles itself with
    ``set-clipboard on``); in tmux/screen the wrapped passthrough form follows.
    """
    env = os.environ if env is None else env
    clean = clean_text(text)
    if mode == "off":
        return CopyPlan(clean, (), CopyResult(False, f"clipboard is off ({ENV_MODE}=off): {what} not copied"))
    if not clean:
        return CopyPlan(clean, (), CopyResult(False, f"nothing to copy: no {what}"))
    if mode == "auto":
        if not is_tty:
            return CopyPlan(clean, (), CopyResult(False, f"{what} not copied: the output is not a terminal"))
        if env.get("TERM", "") == "dumb":
            return CopyPlan(clean, (), CopyResult(False, f"{what} not copied: TERM=dumb has no OSC 52"))
    payload = osc52_payload(clean)
    if len(payload) > MAX_PAYLOAD_BYTES:
        return CopyPlan(
            clean,
            (),
            CopyResult(False, f"{what} not copied: {len(payload)} bytes encoded, over the {MAX_PAYLOAD_BYTES} cap"),
        )
    multiplexer = detect_multiplexer(env)
    sequences = [osc52_sequence(payload)]
    if multiplexer is None:
        return CopyPlan(clean, tuple(sequences), CopyResult(True, f"copied {what} via OSC 52", "osc52"))
    sequences.append(osc52_sequence(payload, multiplexer))
    if multiplexer == "tmux":
        message = f"copied {what} via OSC 52 (tmux passthrough) — {TMUX_HINT}"
    else:
        message = f"copied {what} via OSC 52 (screen passthrough) — {SCREEN_HINT}"
    return CopyPlan(clean, tuple(sequences), CopyResult(True, message, f"osc52+{multiplexer}"))


def _output_is_tty() -> bool:
    # Textual's Linux driver writes to sys.__stderr__; check that stream (and stdout, for other drivers).
    for stream in (sys.__stderr__, sys.__stdout__):
        try:
            if stream is None or not stream.isatty():
                return False
        except (AttributeError, ValueError, OSError):
            return False
    return True


def copy_text(
    app: App[object],
    text: str,
    what: str,
    *,
    mode: ClipboardMode | None = None,
    env: Mapping[str, str] | None = None,
    is_tty: Callable[[], bool] | None = None,
) -> CopyResult:
    """Copy ``text`` through ``app``'s driver and return the result to show (``app.notify(result.message, ...)``).

    ``app.copy_to_clipboard`` sends the plain OSC 52 and records the text in ``app.clipboard`` (the in-app paste
    buffer); a tmux/screen passthrough sequence is then written through the driver. A headless app (tests) counts
    as a terminal: nothing reaches a real terminal there, but ``app.clipboard`` shows what would have been copied.
    """
    env = os.environ if env is None else env
    mode = parse_mode(env.get(ENV_MODE)) if mode is None else mode
    tty = app.is_headless or (is_tty or _output_is_tty)()
    plan = plan_copy(text, what, mode=mode, env=env, is_tty=tty)
    if not plan.sequences:
        return plan.result
    app.copy_to_clipboard(plan.text)
    driver = app._driver
    if driver is not None and not app.is_headless:
        for sequence in plan.sequences[1:]:
            driver.write(sequence)
    return plan.result
