"""The jobs commands on a ledger file that will not open, and `jobs watch` after a copy lost its answer: one clear
line, `jobs export` still saves what can be read, watch points at the unknown outcomes. No traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from ims_fake_server import JOB_ID, PROJECT_ID, REGION, FakeIms

from imstui.cli import main
from imstui.core.ledger import Ledger
from imstui.core.paths import default_ledger_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def _intent(led: Ledger, name: str) -> int:
    return led.record_intent(
        profile="env", region=REGION, project_id=PROJECT_ID, source_image_id="src", source_image_name="b", name=name
    )


def _ledger_without_a_column() -> Path:
    with Ledger() as led:
        led.attach_job_id(_intent(led, "first"), JOB_ID)
        led.attach_job_id(_intent(led, "last"), "job-last")
    path = default_ledger_path()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE jobs DROP COLUMN current_task")
    conn.close()
    return path


def test_a_ledger_that_will_not_open_is_one_line_that_starts_the_recovery(capsys: pytest.CaptureFixture[str]) -> None:
    path = _ledger_without_a_column()
    code, out, err = _run(capsys, "jobs")
    [line] = err.strip().splitlines()
    assert code == 1 and out == "" and f"the job ledger {path} is damaged" in line
    assert "imstui jobs export > jobs-saved.json" in line and f"mv {path} {path}.damaged" in line


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_of_a_ledger_that_will_not_open_saves_what_can_be_read(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = _ledger_without_a_column()
    before = path.read_bytes()
    code, out, err = _run(capsys, "jobs", "export", "--format", fmt)
    assert code == 1  # a script notices the ledger needs attention, and still gets the rows
    if fmt == "json":
        assert [r["job_id"] for r in json.loads(out)] == [JOB_ID, "job-last"]
    else:
        assert out.splitlines()[0].startswith("row_id,job_id") and JOB_ID in out and "job-last" in out
    assert f"the job ledger {path} is damaged" in err
    assert "exported the 2 row(s) that could still be read" in err and "no current_task column" in err
    assert path.read_bytes() == before  # the evidence is left as it was


def test_watch_points_at_copies_whose_outcome_is_unknown(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    with Ledger() as led:
        led.attach_job_id(_intent(led, "fine"), JOB_ID)
        led.mark_outcome_unknown(_intent(led, "lost-answer"), "read timeout")
    code, out, err = _run(capsys, "jobs", "watch")
    assert code == 0 and "1 succeeded" in out
    assert "1 copy request(s) of profile env have an unknown outcome" in err and "imstui jobs --failed" in err
