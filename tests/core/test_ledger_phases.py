"""The ledger's SQL filters and :func:`imstui.core.jobs.phase_of` agree on every row, written through the real
Ledger API or crafted by hand; ``jobs --failed`` and the console's ``f`` see the same jobs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.models import Job
from imstui.core import jobs
from imstui.core.jobs import PHASE_SQL, Phase, phase_of
from imstui.core.ledger import DamagedRow, JobRecord, Ledger
from imstui.core.ledger.records import COLUMNS, parse_row
from imstui.core.ledger.schema import MIGRATIONS, split_sql

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _job(job_id: str, status: str) -> Job:
    return Job.from_api({"job_id": job_id, "status": status, "entities": {"process_percent": 0.5}})


def _intent(ledger: Ledger, name: str) -> int:
    return ledger.record_intent(
        profile="default", region="r1", project_id="p1", source_image_id="src", source_image_name="base", name=name
    )


def _submitted(ledger: Ledger, name: str, *statuses: str, gone: bool = False) -> None:
    ledger.attach_job_id(_intent(ledger, name), f"job-{name}")
    for status in statuses:
        ledger.update_from_job(f"job-{name}", _job(f"job-{name}", status), AT)
    if gone:
        ledger.mark_gone(f"job-{name}", AT)


def _every_phase(ledger: Ledger) -> None:
    _intent(ledger, "submitting")
    ledger.mark_rejected(_intent(ledger, "rejected"), "IMG.0009", "no")
    ledger.mark_outcome_unknown(_intent(ledger, "unknown"), "read timeout")
    _submitted(ledger, "waiting")
    _submitted(ledger, "starting", "INIT")
    _submitted(ledger, "running", "INIT", "RUNNING")
    _submitted(ledger, "paused", "PAUSED")  # a status imstui does not know
    _submitted(ledger, "succeeded", "RUNNING", "SUCCESS")
    _submitted(ledger, "failed", "FAIL")
    _submitted(ledger, "gone-running", "RUNNING", gone=True)
    _submitted(ledger, "gone-waiting", gone=True)
    _submitted(ledger, "gone-after-success", "SUCCESS", gone=True)
    _submitted(ledger, "gone-after-fail", "FAIL", gone=True)
    ledger.import_job("imported-1", "other", "r1", "p1", at=AT)


# Rows no imstui writes but a hand-edited or older file may hold. (name, state, status, gone, job_id)
_ODD = [
    ("lowercase-status", "submitted", "success", 0, "odd-1"),
    ("empty-status", "submitted", "", 0, "odd-2"),
    ("no-id-running", "submitted", "RUNNING", 0, None),
    ("gone-fail", "submitted", "FAIL", 1, "odd-4"),
    ("numeric-status", "submitted", 7, 0, "odd-5"),
]
_DAMAGED = [
    ("weird-state", "paused", None, 0, "bad-1"),
    ("gone-two", "submitted", "RUNNING", 2, "bad-2"),
]


def _craft(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for name, state, status, gone, job_id in _ODD + _DAMAGED:
            conn.execute(
                "INSERT INTO jobs (job_id, profile, region, submitted_at, state, status, gone, name) "
                "VALUES (?, 'default', 'r1', '2026-03-01T12:00:00+00:00', ?, ?, ?, ?)",
                (job_id, state, status, gone, name),
            )
    conn.close()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        _every_phase(led)
    _craft(path)
    led = Ledger(path)
    yield led
    led.close()


def _selected(ledger: Ledger, where: str) -> set[int]:
    return {int(row[0]) for row in ledger._read(f"SELECT row_id FROM jobs WHERE {where}")}


def test_every_phase_is_present_and_damaged_rows_are_listed_apart(ledger: Ledger) -> None:
    records = ledger.list()
    assert {phase_of(r) for r in records} == set(Phase)
    damaged = ledger.damaged()
    assert sorted(d.job_id or "" for d in damaged) == ["bad-1", "bad-2"]
    assert all(d.reason for d in damaged)
    assert len(records) + len(damaged) == len(_selected(ledger, "1"))


@pytest.mark.parametrize("phase", list(Phase))
def test_phase_sql_selects_exactly_the_rows_phase_of_puts_in_that_phase(ledger: Ledger, phase: Phase) -> None:
    readable = {r.row_id for r in ledger.list()}
    expected = {r.row_id for r in ledger.list() if phase_of(r) is phase}
    assert expected, f"no row in phase {phase}"
    assert _selected(ledger, PHASE_SQL[phase]) & readable == expected
    damaged_ids = {d.row_id for d in ledger.damaged()}
    assert not _selected(ledger, PHASE_SQL[phase]) & damaged_ids  # a state or gone flag no phase has


@pytest.mark.parametrize(
    ("only", "wanted"),
    [
        ("all", lambda r: True),
        ("failed", jobs.needs_attention),
        ("running", lambda r: phase_of(r) in jobs.IN_FLIGHT),
        ("outstanding", jobs.is_outstanding),
    ],
)
def test_list_filters_match_the_job_vocabulary(ledger: Ledger, only: str, wanted: object) -> None:
    every = ledger.list()
    selected = [r.row_id for r in ledger.list(only=only)]  # type: ignore[arg-type]
    assert selected == [r.row_id for r in every if wanted(r)]  # type: ignore[operator]


def test_record_predicates_are_the_vocabulary(ledger: Ledger) -> None:
    for record in ledger.list():
        assert record.is_outstanding == jobs.is_outstanding(record)
        assert record.needs_attention == jobs.needs_attention(record)
        assert record.failed == jobs.is_failed(record)
        assert record.succeeded == (phase_of(record) is Phase.SUCCEEDED)
        assert record.is_terminal == (phase_of(record) in (Phase.SUCCEEDED, Phase.FAILED))


def test_failed_filter_includes_a_job_the_server_forgot_before_it_finished(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        _submitted(led, "vanished", "RUNNING", gone=True)
        _submitted(led, "fine", "SUCCESS")
        [failed] = led.list(only="failed")
        assert failed.job_id == "job-vanished" and phase_of(failed) is Phase.GONE
        assert failed.needs_attention  # what the console's `f` shows
        # The ledger's own clause before the job vocabulary existed left it out: the two views disagreed.
        old = "(status = 'FAIL' OR state IN ('rejected', 'outcome_unknown'))"
        assert _selected(led, old) == set()


def test_outstanding_needs_a_job_id(ledger: Ledger) -> None:
    outstanding = ledger.outstanding()
    assert outstanding and all(isinstance(r, JobRecord) and r.job_id for r in outstanding)
    no_id = [r for r in ledger.list() if r.name == "no-id-running"]
    assert no_id and phase_of(no_id[0]) is Phase.RUNNING and no_id[0] not in outstanding


_ANY = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.sampled_from(["", "x", "1", "0", "yes", "2026-03-01T12:00:00+00:00"]),
    st.binary(max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    state=st.one_of(st.sampled_from(["submitting", "submitted", "outcome_unknown", "rejected", "SUBMITTED"]), _ANY),
    status=st.one_of(st.sampled_from(["INIT", "RUNNING", "SUCCESS", "FAIL", "UNKNOWN", "success", " FAIL"]), _ANY),
    gone=st.one_of(st.sampled_from([0, 1]), _ANY),
    job_id=st.one_of(st.sampled_from(["job-1"]), _ANY),
    progress=_ANY,
)
def test_any_row_reads_as_a_record_in_exactly_the_phase_its_sql_selects_or_as_damaged(
    state: object, status: object, gone: object, job_id: object, progress: object
) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        # the table, then its endpoint and tags columns
        for statement in split_sql(MIGRATIONS[0]) + split_sql(MIGRATIONS[4]) + split_sql(MIGRATIONS[5]):
            conn.execute(statement.replace(" NOT NULL", ""))
        conn.execute(
            "INSERT INTO jobs (job_id, profile, region, submitted_at, state, status, gone, progress) "
            "VALUES (?, 'p', 'r', '2026-03-01T12:00:00+00:00', ?, ?, ?, ?)",
            (job_id, state, status, gone, progress),
        )
        [row] = conn.execute(f"SELECT {COLUMNS} FROM jobs").fetchall()
        parsed = parse_row(row)  # never raises
        selected = {p for p in Phase if conn.execute(f"SELECT count(*) FROM jobs WHERE {PHASE_SQL[p]}").fetchone()[0]}
    finally:
        conn.close()
    if isinstance(parsed, DamagedRow):
        assert parsed.reason and parsed.row_id == 1
    else:
        assert selected == {phase_of(parsed)}
