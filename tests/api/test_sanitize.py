"""Server text is scrubbed of anything a terminal would interpret before the UI sees it."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from imstui.api.sanitize import escape, sanitize, sanitize_opt

C0 = {chr(c) for c in range(0x20)}
C1 = {chr(c) for c in range(0x80, 0xA0)}
DEL = {"\x7f"}
BIDI = {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)} | {"\u200e", "\u200f"}
FORBIDDEN_SINGLE = C0 | C1 | DEL | BIDI
FORBIDDEN_MULTI = FORBIDDEN_SINGLE - {"\n", "\t"}

HOSTILE = "\x1b]52;c;UFdORUQ=\x07\x1b[2J\x1b]0;HACKED\x07"


# --- unit cases -------------------------------------------------------------------------------------------------


def test_known_hostile_string_loses_every_escape() -> None:
    """Clipboard write (OSC 52), clear screen (CSI 2J) and title change (OSC 0) are all dropped with their payloads."""
    out = sanitize(HOSTILE)
    assert "\x1b" not in out and "\x07" not in out
    assert out == ""
    assert sanitize(f"image {HOSTILE}name") == "image name"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # SGR colour
        ("\x1b[2J\x1b[Hhome", "home"),  # clear + cursor home
        ("a\x1b[?1049hb", "ab"),  # private-mode CSI (alt screen)
        ("a\x1b[1;31;4mb", "ab"),
        ("a\x1b[", "a"),  # unterminated CSI at the end
        ("a\x1b]0;title\x07b", "ab"),  # OSC, BEL-terminated
        ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink, ST-terminated
        ("a\x1b]52;c;UFdORUQ=", "a"),  # unterminated OSC swallows the rest
        ("a\x1bP1$r0m\x1b\\b", "ab"),  # DCS
        ("a\x1b_APC payload\x1b\\b", "ab"),  # APC
        ("a\x1b^PM payload\x1b\\b", "ab"),  # PM
        ("a\x1bXSOS payload\x1b\\b", "ab"),  # SOS
        ("a\x1bPunterminated", "a"),
        ("a\x1bcb", "ab"),  # RIS (full reset)
        ("a\x1b7b\x1b8c", "abc"),  # save/restore cursor
        ("a\x1b(Bb", "ab"),  # charset designation
        ("a\x1b", "a"),  # lone ESC
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("a\x9d0;title\x07b", "ab"),  # 8-bit OSC, BEL-terminated
        ("a\x9d0;title\x9cb", "ab"),  # 8-bit OSC, 8-bit ST
        ("a\x90dcs\x9cb", "ab"),  # 8-bit DCS
        ("a\x9fapc\x1b\\b", "ab"),  # 8-bit APC, 7-bit ST
        ("a\x85b\x9cc", "abc"),  # other C1 (NEL, stray ST)
        ("a\x00b\x07c\x08d\x7fe", "abcde"),  # NUL, BEL, BS, DEL
        ("a\rb", "ab"),  # carriage return (overwrite attack)
        ("tab\there\nnewline", "tabherenewline"),  # single-line fields drop \t and \n
        ("x\u202eevil\u202cy", "xevily"),  # RLO/PDF (Trojan Source)
        ("x\u202a\u202b\u202d\u2066\u2067\u2068\u2069y", "xy"),  # LRE RLE LRO LRI RLI FSI PDI
        ("x\u200e\u200f\u061cy", "xy"),  # LRM RLM ALM
    ],
)
def test_escapes_and_controls_are_removed(raw: str, expected: str) -> None:
    assert sanitize(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "web-server-01",
        "copy of image (v2) — final",
        "镜像复制-测试",  # CJK
        "イメージ",
        "이미지",
        "emoji 🚀✅ 👩‍💻",  # includes a ZWJ sequence
        "صورة",  # Arabic letters are fine; only the bidi controls go
        "[bold]not markup here[/bold]",  # markup safety is the UI's job, not sanitize's
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert sanitize(text) == text
    assert sanitize(text, multiline=True) == text


def test_multiline_keeps_newlines_and_tabs_only() -> None:
    raw = "line one\r\n\tline two\x1b[31m red\x1b[0m\nline\rthree\x0b\x0c"
    assert sanitize(raw, multiline=True) == "line one\n\tline two red\nlinethree"
    assert sanitize(raw) == "line oneline two redlinethree"


def test_sanitize_opt_handles_json_scalars() -> None:
    assert sanitize_opt(None) is None
    assert sanitize_opt({"a": 1}) is None
    assert sanitize_opt(["x"]) is None
    assert sanitize_opt(42) == "42"
    assert sanitize_opt("a\x1b[2Jb\nc") == "abc"
    assert sanitize_opt("a\nb", multiline=True) == "a\nb"


# --- properties -------------------------------------------------------------------------------------------------

_SPECIALS = [*sorted(FORBIDDEN_SINGLE), "\x1b[", "\x1b]", "\x1bP", "\x1b_", "\x1b\\", "\x9b", "\x9d", "\x9c", "\r\n"]
hostile_text = st.lists(
    st.one_of(st.sampled_from(_SPECIALS), st.text(max_size=8), st.sampled_from(["0;", "52;c;", "2J", "31m", "?1049h"])),
    max_size=20,
).map("".join)

safe_chars = st.characters(
    blacklist_categories=["Cs"],
    blacklist_characters="".join(FORBIDDEN_SINGLE | {"\u061c"}),
)
safe_text = st.text(safe_chars, max_size=12)

well_formed_sequences = st.one_of(
    st.builds(lambda p, f: f"\x1b[{p}{f}", st.sampled_from(["", "0", "1;31", "?25", "2"]), st.sampled_from("mJHhlK")),
    st.builds(lambda p, t: f"\x1b]{p}{t}", st.text(safe_chars, max_size=8), st.sampled_from(["\x07", "\x1b\\"])),
    st.builds(
        lambda i, p: f"\x1b{i}{p}\x1b\\", st.sampled_from("PX^_"), st.text(safe_chars.filter(lambda c: c != "\x1b"))
    ),
    st.sampled_from(["\x1bc", "\x1b7", "\x1b8", "\x1b(B", "\x1b=", "\x1b>"]),
    st.builds(lambda p, f: f"\x9b{p}{f}", st.sampled_from(["", "1;31", "?25"]), st.sampled_from("mJh")),
    st.builds(lambda p, t: f"\x9d{p}{t}", st.text(safe_chars, max_size=8), st.sampled_from(["\x07", "\x9c"])),
)


@settings(max_examples=300)
@given(text=hostile_text, multiline=st.booleans())
def test_output_never_contains_terminal_controls_and_is_idempotent(text: str, multiline: bool) -> None:
    out = sanitize(text, multiline=multiline)
    forbidden = FORBIDDEN_MULTI if multiline else FORBIDDEN_SINGLE
    assert not (set(out) & forbidden), repr(out)
    assert sanitize(out, multiline=multiline) == out


@settings(max_examples=200)
@given(text=safe_text, multiline=st.booleans())
def test_safe_text_is_returned_unchanged(text: str, multiline: bool) -> None:
    assert sanitize(text, multiline=multiline) == text


@settings(max_examples=200)
@given(chunks=st.lists(st.tuples(safe_text, well_formed_sequences), max_size=6), tail=safe_text)
def test_well_formed_sequences_are_removed_exactly(chunks: list[tuple[str, str]], tail: str) -> None:
    """Complete escape sequences vanish and the text around them survives intact."""
    raw = "".join(text + seq for text, seq in chunks) + tail
    assert sanitize(raw) == "".join(text for text, _ in chunks) + tail


@settings(max_examples=200)
@given(lines=st.lists(safe_text, max_size=6), sep=st.sampled_from(["\n", "\t", "\r\n"]))
def test_multiline_preserves_line_structure(lines: list[str], sep: str) -> None:
    raw = sep.join(lines)
    expected = ("\n" if sep == "\r\n" else sep).join(lines)
    assert sanitize(raw, multiline=True) == expected
    assert sanitize(raw) == "".join(lines)


# --- unencodable code points ------------------------------------------------------------------------------------

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
any_text = st.lists(st.one_of(st.characters(), SURROGATES, st.sampled_from(_SPECIALS)), max_size=40).map("".join)
_PAIRED = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def test_a_lone_surrogate_from_json_becomes_a_replacement_character() -> None:
    """``json.loads`` accepts ``"\\ud800"``; the string it gives cannot be written anywhere until it is replaced."""
    name = json.loads('{"name": "web\\ud800-01\\udfff"}')["name"]
    with pytest.raises(UnicodeEncodeError):
        name.encode("utf-8")
    assert sanitize(name) == "web\ufffd-01\ufffd"
    assert sanitize(name, multiline=True) == "web\ufffd-01\ufffd"
    assert sanitize("\x1b[31m\ud800\x1b[0m") == "\ufffd"


@settings(max_examples=500)
@given(text=any_text, multiline=st.booleans())
def test_any_string_comes_out_strict_utf8_without_controls(text: str, multiline: bool) -> None:
    out = sanitize(text, multiline=multiline)
    out.encode("utf-8")  # strict: raises on any surrogate left behind
    forbidden = FORBIDDEN_MULTI if multiline else FORBIDDEN_SINGLE
    assert not (set(out) & (forbidden | {"\u061c"})), repr(out)
    assert sanitize(out, multiline=multiline) == out


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("abc", '"abc"'),
        ("a\ud800b", '"a\\ud800b"'),
        ("a\x1b[2Jb", '"a\\u001b[2Jb"'),
        ("a\x7fb", '"a\\u007fb"'),
        ("a\u202eb", '"a\\u202eb"'),
    ],
)
def test_escape_shows_every_character_as_printable_ascii(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_escape_says_when_it_cuts() -> None:
    assert escape("f" * 500, limit=10) == '"ffffffffff"… (500 characters in all)'


@settings(max_examples=300)
@given(text=any_text)
def test_escape_is_reversible_printable_ascii(text: str) -> None:
    assume(not _PAIRED.search(text))  # two adjacent halves read back as one character: JSON cannot tell them apart
    shown = escape(text, limit=1000)
    assert shown.isascii() and shown.isprintable()
    assert json.loads(shown) == text
