"""salvage(): what `imstui jobs export` can still save from a ledger file that will not open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imstui.core.ledger import Ledger
from imstui.core.ledger.salvage import salvage


def _fill(path: Path, count: int, pad: int = 0) -> None:
    with Ledger(path) as led:
        for i in range(count):
            row = led.record_intent(
                profile="default",
                region="r1",
                project_id="p1",
                source_image_id="src",
                source_image_name="base",
                name=f"copy-{i}" + "x" * pad,
            )
            led.attach_job_id(row, f"job-{i}")


def test_a_dropped_column_still_yields_every_row_and_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _fill(path, 3)
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE jobs DROP COLUMN progress")
    conn.close()
    before = path.read_bytes()
    found = salvage(path)
    assert [r.job_id for r in found.records] == ["job-0", "job-1", "job-2"] and found.damaged == []
    assert found.problem == "the jobs table has no progress column"
    assert path.read_bytes() == before  # read-only: the evidence is not touched


def test_damaged_pages_cost_only_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _fill(path, 400, pad=300)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    victim = data.index(b"copy-200x") // page  # the jobs-table leaf page holding row 201 (names are not indexed)
    assert victim > 1
    data[victim * page : (victim + 1) * page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    found = salvage(path)
    ids = {r.job_id for r in found.records}
    assert 300 < len(ids) < 400  # most rows saved, the damaged page's lost
    assert {"job-0", "job-399"} <= ids and "job-200" not in ids


def test_a_file_that_is_not_a_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    found = salvage(path)
    assert found.records == [] and found.problem is not None and "not a database" in found.problem
