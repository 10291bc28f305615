"""Scrub text that came from the network before anything else sees it.

Removes terminal escape sequences (CSI, OSC, DCS/SOS/PM/APC strings and two-byte ESC sequences), every other
C0 control character (tab and newline only where the field allows them), DEL, C1 controls (U+0080-U+009F,
including the 8-bit CSI/OSC introducers) and bidirectional-override/isolate characters (Trojan-Source style
spoofing). Lone surrogates (U+D800-U+DFFF: ``json.loads`` accepts ``"\\ud800"``, but such a string cannot be
encoded, so it would crash the first file, terminal or database write) become U+FFFD: the result always encodes as
strict UTF-8. Markup safety is a separate concern, handled in the UI by never passing a plain ``str`` to a markup
sink; this function deals only with bytes that a terminal would interpret.
"""

from __future__ import annotations

import re
from typing import Any

# ESC [ params intermediates final   (CSI)
_CSI = r"\x1b\[[0-?]*[ -/]*[@-~]?"
# ESC ] ... terminated by BEL or ESC \ (OSC); unterminated runs to the end of the string
_OSC = r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)"
# ESC P / X / ^ / _ ... ST  (DCS, SOS, PM, APC)
_STR = r"\x1b[PX^_][^\x1b]*(?:\x1b\\|$)"
# any other ESC + one char (ESC c, ESC 7, ESC ( B ...)
_ESC2 = r"\x1b[ -/]*[0-~]?"
# 8-bit C1 CSI / OSC / DCS introducers with their payloads
_C1_CSI = r"\x9b[0-?]*[ -/]*[@-~]?"
_C1_STR = r"[\x90\x98\x9d\x9e\x9f][^\x07\x9c\x1b]*(?:\x07|\x9c|\x1b\\|$)"

_SEQUENCES = re.compile("|".join((_CSI, _OSC, _STR, _C1_CSI, _C1_STR, _ESC2)))

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS_ALL = "".join(chr(c) for c in range(0x20)) + "\x7f" + "".join(chr(c) for c in range(0x80, 0xA0))
_REPLACEMENT = "\ufffd"
_SURROGATES = {c: _REPLACEMENT for c in range(0xD800, 0xE000)}
_DROP_SINGLE_LINE = {**str.maketrans(dict.fromkeys(_CONTROLS_ALL + _BIDI)), **_SURROGATES}
_DROP_MULTI_LINE = {**str.maketrans(dict.fromkeys(c for c in _CONTROLS_ALL + _BIDI if c not in "\n\t")), **_SURROGATES}
# Every escape sequence starts with ESC or a C1 introducer, both in _CONTROLS_ALL: a string with none of these
# characters (and no surrogate) is returned as it is (one scan instead of a substitution and a translation).
_SUSPECT = re.compile("[" + re.escape(_CONTROLS_ALL + _BIDI) + "\ud800-\udfff]")
_SUSPECT_MULTI_LINE = re.compile(
    "[" + re.escape("".join(c for c in _CONTROLS_ALL + _BIDI if c not in "\n\t")) + "\ud800-\udfff]"
)


def sanitize(value: str, *, multiline: bool = False) -> str:
    """Return ``value`` with escape sequences, control characters and bidi overrides removed, lone surrogates
    replaced by U+FFFD (the result always encodes as strict UTF-8).

    ``multiline=True`` keeps ``\\n`` and ``\\t`` (for free-text fields such as descriptions and failure reasons);
    otherwise they are removed too. ``\\r\\n`` becomes ``\\n`` in multiline mode.
    """
    if not value:
        return value if isinstance(value, str) else ""
    if type(value) is str and (_SUSPECT_MULTI_LINE if multiline else _SUSPECT).search(value) is None:
        return value
    text = _SEQUENCES.sub("", value)
    if multiline:
        text = text.replace("\r\n", "\n")
        return text.translate(_DROP_MULTI_LINE)
    return text.translate(_DROP_SINGLE_LINE)


def sanitize_opt(value: Any, *, multiline: bool = False) -> str | None:
    """Sanitize a JSON scalar that should be a string: ``None`` stays ``None``, other scalars become ``str``."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return None
    return sanitize(str(value), multiline=multiline)


def escape(value: str, limit: int = 300) -> str:
    """``value`` quoted with every non-printable-ASCII character as a ``\\uXXXX`` escape (JSON string syntax).

    For showing an untrusted value exactly (an id that does not fit its documented shape): nothing is removed,
    so the operator sees what the server sent. Beyond ``limit`` characters the text is cut and the cut is said
    (``… (5000 characters in all)``), never silent.
    """
    import json  # here, not at the top: the console's first screen imports this module, json comes later

    text = str(value)
    shown = json.dumps(text[:limit], ensure_ascii=True)
    # json.dumps leaves DEL and the printable ASCII as they are; DEL is a control: escape it too.
    shown = shown.replace("\x7f", "\\u007f")
    if len(text) > limit:
        shown += f"… ({len(text)} characters in all)"
    return shown
