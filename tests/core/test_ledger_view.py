"""The console's jobs view in SQL (imstui.core.ledger.view) selects, counts, orders and locates exactly the rows the
Python rules would (the panel's search text, the phase filters, the column sort), on any mix of rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.models import JobStatus
from imstui.core.jobs import ATTENTION, FINISHED, JobState, phase_of
from imstui.core.ledger import JobRecord, Ledger
from imstui.core.ledger.records import parse_row
from imstui.core.ledger.view import SORT_COLUMNS, JobsView, PhaseCounts, ViewSpec, record_row
from imstui.ui.widgets.jobs_cells import sort_records
from imstui.ui.widgets.jobs_text import record_matches

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
NAMES = [None, "", "web-gold", "WEB-x", "db", "Ünïcode-Web", "STRAẞE", "straße", "数据库-web", "Kelvin-\u212a"]
NEEDLES = ["", "web", "ü", "strasse", "k", "failed", "succe", "run", "fail", "1", "img.0", "数据", "%", "_", "zz"]


@st.composite
def records(draw: st.DrawFn) -> list[JobRecord]:
    n = draw(st.integers(min_value=0, max_value=25))
    out = []
    for row_id in range(1, n + 1):
        states: list[JobState] = ["submitted", "submitted", "submitting", "rejected", "outcome_unknown"]
        state = draw(st.sampled_from(states))
        submitted = state == "submitted"
        status = draw(st.sampled_from([None, *JobStatus])) if submitted else None
        out.append(
            JobRecord(
                row_id=row_id,
                job_id=f"ff80{row_id:028x}" if submitted else None,
                profile="default",
                region="r",
                project_id="p",
                source_image_id=draw(st.sampled_from([None, "SRC-1", "src-2"])),
                source_image_name=draw(st.sampled_from(NAMES)),
                name=draw(st.sampled_from(NAMES)),
                description=None,
                cmk_id=None,
                enterprise_project_id=None,
                submitted_at=NOW - timedelta(minutes=draw(st.integers(0, 5))),
                state=state,
                status=status,
                progress=draw(st.sampled_from([None, 0.0, 0.25, 1.0])),
                new_image_id=draw(st.sampled_from([None, "", "img-a", "IMG-b"])),
                error_code=draw(st.sampled_from([None, "IMG.0015", "img.0060"])),
                last_polled_at=draw(st.sampled_from([None, NOW, NOW - timedelta(seconds=30)])),
                gone=draw(st.booleans()) if submitted else False,
            )
        )
    return out


def _expected(rows: list[JobRecord], spec: ViewSpec) -> list[int]:
    shown = []
    for record in rows:
        phase = phase_of(record)
        if spec.failed_only and phase not in ATTENTION:
            continue
        if spec.hide_finished and phase in FINISHED:
            continue
        if record_matches(record, spec.needle):
            shown.append((f"row-{record.row_id}", record))
    return [r.row_id for _, r in sort_records(shown, spec.sort, spec.descending)]


@settings(max_examples=60, deadline=None)
@given(
    rows=records(),
    needle=st.sampled_from(NEEDLES),
    failed_only=st.booleans(),
    hide_finished=st.booleans(),
    sort=st.sampled_from(SORT_COLUMNS),
    descending=st.booleans(),
)
def test_the_sql_view_is_the_python_rules(
    rows: list[JobRecord], needle: str, failed_only: bool, hide_finished: bool, sort: str, descending: bool
) -> None:
    view = JobsView.in_memory(rows)
    spec = ViewSpec(needle, failed_only, hide_finished, sort, descending)
    expected = _expected(rows, spec)
    assert [r.row_id for r in view.page(spec, 0, 1000)] == expected
    assert view.count(spec) == len(expected)
    assert [r.row_id for r in view.page(spec, 2, 3)] == expected[2:5]
    for i, row_id in enumerate(expected):
        assert view.position(spec, row_id) == i
    for record in rows:
        assert spec.matches(record) == (record.row_id in expected)
        assert view.position(spec, record.row_id) == (
            expected.index(record.row_id) if record.row_id in expected else None
        )
    view.close()


@given(rows=records())
def test_a_record_stored_as_a_row_reads_back_the_same(rows: list[JobRecord]) -> None:
    for record in rows:
        assert parse_row(record_row(record)) == record


def test_phase_counts_follow_each_rows_latest_phase() -> None:
    counts = PhaseCounts()
    running = JobRecord(
        row_id=5000,
        job_id="j",
        profile="p",
        region="r",
        project_id=None,
        source_image_id=None,
        source_image_name=None,
        name=None,
        description=None,
        cmk_id=None,
        enterprise_project_id=None,
        submitted_at=NOW,
        state="submitted",
        status=JobStatus.RUNNING,
    )
    assert counts.put(5000, phase_of(running))
    assert not counts.put(5000, phase_of(running))  # the same change told twice counts once
    done = replace(running, status=JobStatus.SUCCESS)
    assert counts.put(5000, phase_of(done))
    assert counts.phase(5000) == phase_of(done) and counts.total() == 1
    assert counts.put(5000, None) and counts.total() == 0


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "jobs.sqlite3")


def test_a_ledger_view_reads_its_scope_only_on_its_own_connection(ledger: Ledger) -> None:
    for i, profile in enumerate(["default", "other", "default"]):
        row = ledger.record_intent(
            profile=profile, region="r", project_id="p", source_image_id="s", source_image_name=None, name=f"n{i}"
        )
        ledger.attach_job_id(row, f"{i:032x}")
    view = JobsView.open(ledger.path, "default")
    try:
        assert [r.name for r in view.page(ViewSpec(), 0, 10)] == ["n2", "n0"]
        assert view.count(ViewSpec()) == 2
        version, counts = view.phase_counts()
        assert version == ledger.data_version() and counts.total() == 2
        assert counts.phase(1) is not None and counts.phase(2) is None and counts.phase(3) is not None
        assert view.by_job(f"{1:032x}") is None  # another profile's job
        with pytest.raises(Exception):  # noqa: B017 - read only: sqlite3.OperationalError
            view._conn.execute("DELETE FROM jobs")
    finally:
        view.close()
        ledger.close()


def test_a_read_the_file_cannot_answer_shows_no_rows_and_says_why_once(one_page_damaged: tuple[Path, int]) -> None:
    # The console paints through this view: a damaged page must never raise into the screen (it stopped the
    # console's connecting half-way, leaving it "connected" with no poller); the failure is kept and said once.
    from imstui.core.ledger import LedgerDamagedError

    path, _ = one_page_damaged
    view = JobsView.open(path, None)
    said: list[Exception] = []
    view.on_failure = said.append
    try:
        assert view.failure is None
        assert view.page(ViewSpec(), 0, 400) == []
        assert view.count(ViewSpec()) >= 0 and view.records() == []
        assert isinstance(view.failure, LedgerDamagedError) and "malformed" in str(view.failure)
        assert said == [view.failure]
    finally:
        view.close()
