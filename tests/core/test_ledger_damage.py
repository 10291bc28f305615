"""A damaged ledger: odd rows are listed as damaged while every other row still reads; a damaged file is one clear
LedgerError naming it and how to recover; job ids are stored byte-exact or refused whole, never shortened."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from imstui.api.models import Job
from imstui.core.ledger import (
    InvalidJobIdError,
    Ledger,
    LedgerDamagedError,
    LedgerUnwritableError,
    PollUpdate,
)
from imstui.core.ledger.records import MAX_TEXT

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _intent(ledger: Ledger, name: str = "copy-1") -> int:
    return ledger.record_intent(
        profile="default", region="r1", project_id="p1", source_image_id="src", source_image_name="base", name=name
    )


def _raw(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


# -- job ids -------------------------------------------------------------------------------------------------------


def test_a_job_id_of_the_documented_maximum_is_stored_byte_exact(tmp_path: Path) -> None:
    job_id = "a" + "b" * 126 + "c"  # 128 characters
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        led.attach_job_id(_intent(led), job_id)
        stored = led.get(job_id)
    assert stored is not None and stored.job_id == job_id and len(job_id) == 128


def test_every_id_the_api_accepts_from_a_copy_answer_is_stored(tmp_path: Path) -> None:
    from imstui.api.fields import is_api_id

    job_id = "_x-" + "9" * 61  # fits the API's rule (64 characters, may start with '_'), not the import rule
    assert is_api_id(job_id)
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        led.attach_job_id(_intent(led), job_id)
        assert led.get(job_id) is not None


@pytest.mark.parametrize(
    ("job_id", "shown"),
    [
        ("f" * 129, '"' + "f" * 129 + '"'),
        ("f" * 127 + "…", '\\u2026"'),  # what a client that clips would hand over
        ("job-\ud800", "\\ud800"),
        ("job-\u202eevil", "\\u202e"),
        ("job\x1b[31m", "\\u001b"),
        (" job-1", '" job-1"'),
    ],
    ids=["129-chars", "ellipsis", "lone-surrogate", "bidi", "escape", "blank"],
)
def test_a_job_id_that_does_not_fit_is_refused_showing_the_raw_value_escaped(
    tmp_path: Path, job_id: str, shown: str
) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        row = _intent(led)
        with pytest.raises(InvalidJobIdError) as caught:
            led.attach_job_id(row, job_id)
        [record] = led.list()
    assert shown in str(caught.value) and "128" in str(caught.value)
    assert record.state == "submitting" and record.job_id is None  # nothing shortened was stored
    str(caught.value).encode("utf-8")  # printable anywhere (the surrogate is escaped, not embedded)


def test_import_refuses_an_id_that_does_not_fit_and_stores_a_good_one_exactly(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        with pytest.raises(InvalidJobIdError, match=r"x{40}"):
            led.import_job("x" * 300, "default", "r1", "p1")
        assert led.list() == []
        assert led.import_job("  ff8080814dbd65d7014dbe0d84db0013\n", "default", "r1", "p1").job_id == (
            "ff8080814dbd65d7014dbe0d84db0013"
        )


def test_free_text_is_still_capped(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        row = led.get_row(_intent(led, "n" * (MAX_TEXT + 500)))
    assert row is not None and row.name == "n" * MAX_TEXT


# -- damaged rows --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("submitted_at", "yesterday-ish", "submitted_at 'yesterday-ish' is not a timestamp"),
        ("progress", "abc", "progress 'abc' is not a number"),
        ("progress", 42.0, "outside 0..1"),
        ("poll_count", "many", "poll_count 'many' is not a whole number"),
        ("last_polled_at", b"\x01", "last_polled_at is a bytes, not text"),
        ("state", "paused", "state 'paused' is not one imstui writes"),
        ("name", b"\x00blob", "name is a bytes, not text"),
    ],
)
def test_a_row_that_cannot_be_parsed_is_listed_as_damaged_and_the_others_still_show(
    tmp_path: Path, column: str, value: object, reason: str
) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        for name in ("before", "odd", "after"):
            led.attach_job_id(_intent(led, name), f"job-{name}")
    _raw(path, f"UPDATE jobs SET {column} = ? WHERE job_id = 'job-odd'", (value,))
    with Ledger(path) as led:
        assert [r.job_id for r in led.list()] == ["job-before", "job-after"]
        assert [r.job_id for r in led.list(only="outstanding")] == ["job-before", "job-after"]
        [damaged] = led.damaged()
        assert damaged.job_id == "job-odd" and damaged.row_id == 2 and reason in damaged.reason
        assert damaged.describe().startswith("ledger row #2 (job job-odd) cannot be read: ")
        assert led.get("job-odd") is None and led.get("job-after") is not None
        assert [r.job_id for r in led.changes_since(0).changed] == ["job-before", "job-after"]
        # A poll batch touching the damaged row still records the other jobs' results (and leaves it alone).
        job = Job.from_api({"job_id": "x", "status": "RUNNING", "entities": {"process_percent": 0.3}})
        results = led.apply_polls([PollUpdate("job-odd", AT, job=job), PollUpdate("job-after", AT, job=job)])
        assert results[0] == (None, None) and results[1][1] is not None and results[1][1].progress == 0.3
        assert led.forget_row(2) and led.damaged() == []  # and it can be removed by row id


def test_null_where_the_schema_wants_a_value_is_a_damaged_row(tmp_path: Path) -> None:
    """A hand-rebuilt file without the NOT NULL constraints: the parser still refuses the NULLs."""
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        led.attach_job_id(_intent(led, "fine"), "job-fine")
    conn = sqlite3.connect(path)
    with conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(jobs)")]
        conn.execute("ALTER TABLE jobs RENAME TO jobs_old")
        conn.execute(f"CREATE TABLE jobs ({', '.join(columns)})")
        conn.execute("INSERT INTO jobs SELECT * FROM jobs_old")
        conn.execute("DROP TABLE jobs_old")
        conn.execute(
            "INSERT INTO jobs (row_id, job_id, profile, region, submitted_at, state) "
            "VALUES (7, 'job-null', NULL, 'r1', '2026-03-01T12:00:00+00:00', 'submitted')"
        )
    conn.close()
    with Ledger(path) as led:
        assert [r.job_id for r in led.list()] == ["job-fine"]
        [damaged] = led.damaged()
        assert (damaged.row_id, damaged.job_id, damaged.profile) == (7, "job-null", None)
        assert "profile is missing" in damaged.reason


# -- damaged files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        ("ALTER TABLE jobs DROP COLUMN progress", "the jobs table has no progress column"),
        ("DELETE FROM meta", "change counter"),
        ("DROP TABLE removed", "the removed table is missing"),
        ("DROP TABLE jobs", "the jobs table is missing"),
    ],
)
def test_schema_damage_is_one_clear_error_naming_the_file_and_the_way_out(
    tmp_path: Path, damage: str, detail: str
) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        led.attach_job_id(_intent(led), "job-1")
    _raw(path, damage)
    with pytest.raises(LedgerDamagedError) as caught:
        Ledger(path)
    message = str(caught.value)
    assert detail in message and str(path) in message and f"mv {path} {path}.damaged" in message
    assert "imstui jobs import" in message and "\n" not in message


def test_damaged_pages_are_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        for i in range(300):
            led.attach_job_id(_intent(led, f"copy-{i}" + "x" * 200), f"job-{i}")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 6 * page
    data[page : len(data)] = bytes((i * 131 + 7) % 251 for i in range(len(data) - page))  # all but page 1
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerDamagedError, match=r"is damaged \(.*malformed.*\).*mv "):
        with Ledger(path) as led:
            led.list()


def test_a_lock_held_longer_than_the_wait_is_a_clear_write_error_and_reads_still_work(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        led.attach_job_id(_intent(led), "job-1")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the busy timeout
    try:
        with Ledger(path, timeout_ms=50) as led:  # opening (and its sweep) does not need the write lock
            assert [r.job_id for r in led.list()] == ["job-1"]
            with pytest.raises(LedgerUnwritableError, match="locked longer than the wait allows"):
                _intent(led)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk_is_a_clear_write_error_and_the_rows_already_written_still_read(tmp_path: Path) -> None:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        led.attach_job_id(_intent(led, "kept"), "job-kept")
        pages = led._conn.execute("PRAGMA page_count").fetchone()[0]
        led._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, as on a full disk
        with pytest.raises(LedgerUnwritableError, match=r"cannot write the job ledger .*: the disk is full"):
            for _ in range(100):
                _intent(led, "n" * 3000)
        rows = led.list()
    assert rows[0].job_id == "job-kept" and all(r.state == "submitting" for r in rows[1:])


def test_one_damaged_page_is_found_when_the_ledger_opens_not_halfway_through_a_listing(
    one_page_damaged: tuple[Path, int],
) -> None:
    path, number = one_page_damaged
    expected = rf"is damaged \(database disk image is malformed: Page {number}\b"
    with pytest.raises(LedgerDamagedError, match=expected):
        Ledger(path)


def test_pages_left_unchecked_at_opening_are_checked_by_verify_pages(
    tmp_path: Path, one_page_damaged: tuple[Path, int]
) -> None:
    # The console opens with check_pages=False and verifies once its first screen is up: the same error then.
    path, number = one_page_damaged
    led = Ledger(path, check_pages=False, sweep=False)
    try:
        assert led.pages_checked is False
        with pytest.raises(LedgerDamagedError, match=rf"malformed: Page {number}\b.*mv "):
            led.verify_pages()
        assert led.pages_checked is False
    finally:
        led.close()
    good = tmp_path / "good.sqlite3"
    with Ledger(good) as ok:
        _intent(ok)
    with Ledger(good, check_pages=False) as ok:
        ok.verify_pages()
        assert ok.pages_checked is True and len(ok.list()) == 1
