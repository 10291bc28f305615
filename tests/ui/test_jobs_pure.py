"""Pure pieces of the jobs panel: status words, ages, OSC 52 payloads, terminal titles, incident summary."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imstui import __version__
from imstui.api.catalogue import explain
from imstui.api.credentials import Credentials
from imstui.api.models import JobStatus
from imstui.api.secret import Secret
from imstui.core.jobs import Phase
from imstui.core.wording import (
    LOOKS,
    JobCounts,
    PhaseLook,
    format_age,
    format_ago,
    format_progress,
    format_size,
    look_of,
)
from imstui.ui.attention import (
    RESTORE_TITLE,
    SAVE_TITLE,
    TerminalAttention,
    title_sequence,
    title_text,
    user_is_elsewhere,
)
from imstui.ui.clipboard import MAX_PAYLOAD_BYTES, TMUX_HINT, osc52_sequence, parse_mode, plan_copy
from imstui.ui.widgets.jobs_text import detail_fields, explanation_lines, incident_summary, record_matches

from .jobs_factory import NOW, failed, make_record, succeeded

# ----------------------------------------------------------------------------- status words


@pytest.mark.parametrize(
    ("state", "status", "gone", "label"),
    [
        ("submitted", JobStatus.RUNNING, False, "● RUNNING"),
        ("submitted", JobStatus.SUCCESS, False, "✔ SUCCEEDED"),
        ("submitted", JobStatus.FAIL, False, "✖ FAILED"),
        ("outcome_unknown", None, False, "? OUTCOME UNKNOWN"),
        ("submitted", JobStatus.INIT, False, "… STARTING"),
        ("submitted", JobStatus.RUNNING, True, "⌛ GONE"),
        ("submitted", JobStatus.SUCCESS, True, "✔ SUCCEEDED"),  # finished before it was purged: the result stands
        ("submitting", None, False, "↑ SUBMITTING"),
        ("rejected", None, False, "✖ REJECTED"),
        ("submitted", None, False, "… WAITING"),
        ("submitted", JobStatus.UNKNOWN, False, "◌ UNRECOGNISED"),
    ],
)
def test_every_state_reads_as_a_glyph_and_a_word(state: str, status: JobStatus | None, gone: bool, label: str) -> None:
    record = make_record(1, state=state, status=status, gone=gone, job_id=None if state != "submitted" else "j-1")
    assert look_of(record).label == label


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_has_a_distinct_word_that_names_it_and_an_ascii_glyph(phase: Phase) -> None:
    look: PhaseLook = LOOKS[phase]
    assert look.word == phase.value.replace("_", " ").upper()  # the word is the phase's own name
    assert look.ascii_label.isascii() and look.ascii_label.endswith(look.word)
    assert [other.word for other in LOOKS.values()].count(look.word) == 1


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "unknown"),
        (0, "unknown"),  # a full-ECS image has no size of its own: not "0.0 MiB"
        (512 * 1024**2, "512.0 MiB (536,870,912 bytes)"),
        (40 * 1024**3, "40.0 GiB (42,949,672,960 bytes)"),
    ],
)
def test_sizes_are_said_in_binary_units(size: int | None, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m"),
        (187, "3m07s"),
        (600, "10m"),
        (3 * 3600 + 5 * 60, "3h05m"),
        (90000, "1d01h"),
    ],
)
def test_ages_are_compact(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


@given(st.floats(allow_nan=True, allow_infinity=True) | st.none())
def test_any_progress_reads_as_a_percent_or_not_reported(progress: float | None) -> None:
    text = format_progress(progress)
    assert text == "–" or (text.endswith("%") and 0 <= int(text[:-1]) <= 100)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_age_reads_as_a_compact_age(seconds: float) -> None:
    text = format_age(seconds)
    assert text and text[0].isdigit() and text.isascii()


def test_polled_ago_text() -> None:
    assert format_ago(None, NOW) == "never"
    assert format_ago(NOW - timedelta(seconds=12), NOW) == "12s ago"
    assert format_ago(NOW + timedelta(seconds=3), NOW) == "just now"  # clock skew does not show negative ages
    assert format_progress(0.424) == "42%"
    assert format_progress(None) == "–"


# ----------------------------------------------------------------------------- clipboard


def test_osc52_plain_and_tmux_wrapped_sequences() -> None:
    payload = base64.b64encode(b"job-1").decode()
    assert osc52_sequence(payload) == f"\x1b]52;c;{payload}\x07"
    assert osc52_sequence(payload, "tmux") == f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\"
    assert osc52_sequence(payload, "screen") == f"\x1bP\x1b]52;c;{payload}\x07\x1b\\"


def test_copy_inside_tmux_sends_plain_and_passthrough_and_says_what_tmux_needs() -> None:
    plan = plan_copy("job-1", "job id", env={"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "screen"}, is_tty=True)
    payload = base64.b64encode(b"job-1").decode()
    assert plan.sequences == (f"\x1b]52;c;{payload}\x07", f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\")
    assert plan.result.ok
    assert plan.result.message == f"copied job id via OSC 52 (tmux passthrough) — {TMUX_HINT}"
    assert "set -g set-clipboard on" in plan.result.message


def test_copy_outside_tmux_sends_one_plain_sequence() -> None:
    plan = plan_copy("job-1", "job id", env={"TERM": "xterm-256color"}, is_tty=True)
    assert len(plan.sequences) == 1
    assert plan.result.message == "copied job id via OSC 52"


def test_copy_refuses_without_terminal_dumb_term_off_mode_and_oversize() -> None:
    assert not plan_copy("x", "job id", env={}, is_tty=False).result.ok
    assert plan_copy("x", "job id", env={}, is_tty=False).sequences == ()
    assert not plan_copy("x", "job id", env={"TERM": "dumb"}, is_tty=True).result.ok
    off = plan_copy("x", "job id", mode="off", env={}, is_tty=True)
    assert (off.sequences, off.result.ok) == ((), False)
    # osc52 forces the write even when the output does not look like a terminal
    assert plan_copy("x", "job id", mode="osc52", env={}, is_tty=False).result.ok
    big = plan_copy("a" * MAX_PAYLOAD_BYTES, "job report", env={}, is_tty=True)
    assert not big.result.ok and big.sequences == () and "cap" in big.result.message
    assert parse_mode("OFF") == "off" and parse_mode("osc52") == "osc52" and parse_mode("weird") == "auto"


def test_copied_text_is_sanitised_before_encoding() -> None:
    hostile = "job-1\x1b]52;c;SGFja2Vk\x07\x1b[2J\x9b31m\u202etail\nline2"
    plan = plan_copy(hostile, "job id", env={}, is_tty=True)
    decoded = base64.b64decode(plan.sequences[0].split(";")[2].rstrip("\x07")).decode()
    assert decoded == "job-1tail\nline2"
    assert "\x1b" not in decoded and "\u202e" not in decoded


# ----------------------------------------------------------------------------- attention


def test_title_text_for_counts() -> None:
    assert title_text(JobCounts(running=3, failed=1)) == "imstui: 3 running, 1 FAILED"
    assert title_text(JobCounts(running=0, failed=0, unknown=2, succeeded=5)) == "imstui: 2 UNKNOWN"
    assert title_text(JobCounts(succeeded=4)) == "imstui: 4 done"
    assert title_text(JobCounts()) == "imstui"
    # a hostile prefix (e.g. a profile name) cannot smuggle escape sequences into the title
    assert title_text(JobCounts(running=1), prefix="p\x1b]0;pwned\x07\x07x") == "px: 1 running"
    assert title_sequence("a\x07b\x1b[2Jc") == "\x1b]2;abc\x07"


def test_counts_from_records() -> None:
    records = [
        make_record(1),
        failed(make_record(2)),
        succeeded(make_record(3)),
        make_record(4, state="outcome_unknown", job_id=None, status=None),
        make_record(5, state="rejected", job_id=None, status=None, error_code="IMG.0009"),
        make_record(6, gone=True),
        make_record(7, state="submitting", job_id=None, status=None),
    ]
    assert JobCounts.of(records) == JobCounts(running=2, failed=2, unknown=2, succeeded=1)


def test_terminal_attention_saves_sets_and_restores_title() -> None:
    written: list[str] = []
    bells: list[int] = []
    attention = TerminalAttention(written.append, lambda: bells.append(1))
    attention.show_counts(JobCounts(running=2))
    attention.show_counts(JobCounts(running=2))  # unchanged: nothing written
    attention.show_counts(JobCounts(running=1, failed=1))
    attention.ring()
    attention.restore()
    assert written == [
        SAVE_TITLE,
        "\x1b]2;imstui: 2 running\x07",
        "\x1b]2;imstui: 1 running, 1 FAILED\x07",
        RESTORE_TITLE,
    ]
    assert bells == [1]


def test_user_is_elsewhere_rule() -> None:
    assert not user_is_elsewhere(app_focused=True, panel_on_active_screen=True, row_visible=True)
    assert user_is_elsewhere(app_focused=False, panel_on_active_screen=True, row_visible=True)
    assert user_is_elsewhere(app_focused=True, panel_on_active_screen=False, row_visible=True)
    assert user_is_elsewhere(app_focused=True, panel_on_active_screen=True, row_visible=False)


# ----------------------------------------------------------------------------- incident summary / details


def test_incident_summary_has_everything_a_ticket_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    sk = "SK-very-secret-0123456789abcdef"
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", sk)
    credentials = Credentials(ak="AKEXAMPLE0000000000", sk=Secret(sk), security_token=Secret("tok-secret-xyz"))
    record = failed(make_record(7, cmk_id="kms-key-1"), code="IMG.0015", reason="quota [b]exceeded[/b]")
    text = incident_summary(record, explain, version="9.9.9")
    info = explain("IMG.0015")
    assert info is not None
    for expected in (
        record.job_id,
        record.source_image_id,
        "base-image-7",
        "ap-southeast-1",
        record.project_id,
        "✖ FAILED",
        "IMG.0015",
        "quota [b]exceeded[/b]",
        info.meaning,
        info.next_step,
        "2024-05-01 11:59:50 UTC",  # finished
        "2024-05-01 11:30:07 UTC",  # submitted
        "9.9.9",
        "kms-key-1",
    ):
        assert expected is not None and expected in text, expected
    assert sk not in text and "tok-secret-xyz" not in text and credentials.ak not in text
    assert incident_summary(record, explain).rstrip().endswith(__version__)


def test_incident_summary_of_a_request_that_never_got_a_job_id() -> None:
    record = make_record(3, state="outcome_unknown", job_id=None, status=None, fail_reason="read timeout")
    text = incident_summary(record, explain)
    assert "(none: the copy request got no job id)" in text
    assert "? OUTCOME UNKNOWN" in text
    assert "a retry may create a second copy" in text


def test_explanation_for_an_unknown_code_and_poll_error() -> None:
    record = replace(failed(make_record(1), code="IMG.9999", reason="odd"), last_poll_error="HTTP 503")
    lines = dict(explanation_lines(record, explain))
    assert lines["error"] == "IMG.9999"
    assert "not in imstui's table" in lines["meaning"]
    assert "next step" in lines
    assert lines["poll error"] == "HTTP 503"
    assert explanation_lines(make_record(2), explain) == []


def test_detail_fields_cover_every_ledger_field_with_local_and_utc_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    record = failed(make_record(4, description="multi\nline"))
    rows = dict(detail_fields(record, NOW))
    assert rows["Job id"] == record.job_id
    assert rows["Submitted"] == "2024-05-01 11:30:04 UTC"  # the tests run with TZ=UTC: the time once
    assert rows["Status"] == "FAILED" and "Ledger state" not in rows
    assert rows["Last polled"].endswith("5s ago")
    assert rows["Error code"] == "IMG.0015"
    assert rows["Description"] == "multi\nline"
    assert "Current task" in rows and "Imported" in rows
    assert len(rows) >= 24
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    paris = dict(detail_fields(record, NOW))["Submitted"]
    monkeypatch.undo()
    time.tzset()
    assert paris == "2024-05-01 13:30:04 CEST (2024-05-01 11:30:04 UTC)"  # local and UTC when they differ


def test_filter_matches_name_ids_status_and_code_case_insensitively() -> None:
    record = failed(make_record(12, name="Web-Gold"))
    assert record.job_id is not None and record.source_image_id is not None
    assert record_matches(record, "web-g")
    assert record_matches(record, record.job_id[-6:].upper())
    assert record_matches(record, "failed")
    assert record_matches(record, "img.0015")
    assert record_matches(record, record.source_image_id[:8])
    assert not record_matches(record, "running")
    assert record_matches(record, "  ")
