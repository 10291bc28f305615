"""`imstui copy` when the ledger fails: refused before the POST (nothing sent), and after the answer the job id is
never lost (retried, else printed with the command that records it, exit 3). No traceback on any stream."""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ims_fake_server import IMAGE_ID, JOB_ID, PROJECT_ID, REGION, FakeIms, FakeSleep

from imstui.cli import main
from imstui.core.ledger import Ledger
from imstui.core.paths import default_ledger_path
from imstui.core.submit import ATTACH_BUDGET_SECONDS, ATTACH_RETRY_DELAYS

DISK_FULL = "database or disk is full"
READ_ONLY = "attempt to write a readonly database"
LOCKED = "database is locked"
ATTACH_SQL = "UPDATE jobs SET job_id"
INTENT_SQL = "INSERT INTO jobs"


class _FaultyConnection:
    """A ledger connection whose statements starting with ``prefix`` fail ``times`` times (None: always)."""

    def __init__(self, real: sqlite3.Connection, faults: dict[str, list[Any]]) -> None:
        self._real = real
        self._faults = faults

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        for prefix, fault in self._faults.items():
            message, left = fault
            if sql.lstrip().startswith(prefix) and (left is None or left > 0):
                if left is not None:
                    fault[1] = left - 1
                raise sqlite3.OperationalError(message)
        return self._real.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self._real.in_transaction

    def close(self) -> None:
        self._real.close()


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """``faults[sql_prefix] = [message, times]`` makes the ledger's statements fail like a full disk would."""
    table: dict[str, list[Any]] = {}
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        conn = real_connect(database, *args, **kwargs)
        return _FaultyConnection(conn, table) if str(database) == str(default_ledger_path()) else conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    yield table


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out and "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("message", [DISK_FULL, READ_ONLY, LOCKED])
def test_a_ledger_that_cannot_be_written_refuses_the_copy_before_anything_is_sent(
    fake: FakeIms, faults: dict[str, list[Any]], capsys: pytest.CaptureFixture[str], message: str
) -> None:
    faults[INTENT_SQL] = [message, None]
    code, out, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 2 and fake.seen("POST") == []
    [line] = err.strip().splitlines()  # one clear line
    assert line.startswith("error: cannot write the job ledger ") and str(default_ledger_path()) in line
    assert message in line and line.endswith("nothing was submitted")
    assert out == ""


def test_the_refusal_is_one_json_document_too(
    fake: FakeIms, faults: dict[str, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    faults[INTENT_SQL] = [DISK_FULL, None]
    code, out, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--json")
    doc = json.loads(out)
    assert code == 2 and fake.seen("POST") == [] and doc["ok"] is False
    assert "the disk is full" in doc["error"]["message"] and "nothing was submitted" in err


def test_a_ledger_write_that_fails_for_a_while_after_the_answer_is_retried(
    fake: FakeIms, faults: dict[str, list[Any]], sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    faults[ATTACH_SQL] = [LOCKED, 3]
    code, out, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 0 and f"job {JOB_ID}" in out and err == ""
    assert len(fake.seen("POST")) == 1  # the POST itself is never repeated
    assert sleep.calls == list(ATTACH_RETRY_DELAYS[:3])  # backing off between attempts
    with Ledger() as led:
        record = led.get(JOB_ID)
    assert record is not None and record.state == "submitted" and record.name == "web-copy"


@pytest.mark.parametrize("json_mode", [False, True], ids=["human", "json"])
def test_a_job_id_the_ledger_never_takes_is_printed_with_the_command_that_records_it(
    fake: FakeIms,
    faults: dict[str, list[Any]],
    sleep: FakeSleep,
    capsys: pytest.CaptureFixture[str],
    json_mode: bool,
) -> None:
    import json

    faults[ATTACH_SQL] = [DISK_FULL, None]
    code, out, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--wait", *(["--json"] if json_mode else []))
    assert code == 3 and len(fake.seen("POST")) == 1
    assert fake.seen("GET", "/job") == []  # not followed: nothing would keep its results
    assert 0 < sum(sleep.calls) <= ATTACH_BUDGET_SECONDS  # bounded, then it says so
    lines = err.strip().splitlines()
    assert f"IMS accepted the copy as job {JOB_ID}" in lines[0] and DISK_FULL in lines[0]
    command = lines[-1].split("record it once the ledger can be written again: ", 1)[1]
    assert command == f"imstui jobs import {JOB_ID} --region {REGION} --project-id {PROJECT_ID}"
    if json_mode:
        doc = json.loads(out)
        assert doc["ok"] is False and doc["job_id"] == JOB_ID and doc["recorded"] is False
        assert doc["record_command"] == command and doc["error"]["type"] == "LedgerUnwritableError"

    # Run while the disk is still full, the command fails in one line (no traceback); once there is room again,
    # it records the job under the same profile and region.
    faults[INTENT_SQL.replace("INSERT INTO", "INSERT OR IGNORE INTO")] = [DISK_FULL, None]
    code, _, err = _run(capsys, *shlex.split(command)[1:])
    [line] = err.strip().splitlines()
    assert code == 1 and line.startswith("error: cannot write the job ledger") and DISK_FULL in line
    faults.clear()
    code, _, err = _run(capsys, *shlex.split(command)[1:])
    assert code == 0, err
    with Ledger() as led:
        record = led.get(JOB_ID)
    assert record is not None and record.is_outstanding
    assert (record.region, record.project_id, record.profile) == (REGION, PROJECT_ID, "env")


def test_a_too_long_job_id_is_never_stored_shortened(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    long_id = "f" * 200
    fake.queue("POST", "/copy", httpx.Response(200, json={"job_id": long_id}))
    code, _, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 1 and len(fake.seen("POST")) == 1
    assert "outcome unknown" in err.lower() or "may have been accepted" in err
    with Ledger() as led:
        rows = led.list()
    assert [r.state for r in rows] == ["outcome_unknown"]
    assert all(r.job_id is None for r in rows)  # no shortened id that polls a job that does not exist


@pytest.mark.parametrize("content", [b"this is not a database" * 200, b""], ids=["garbage", "dropped-column"])
def test_a_damaged_ledger_refuses_the_copy_in_one_line_naming_the_file_and_the_way_out(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = default_ledger_path()
    if content:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    else:
        with Ledger() as led:
            led.import_job("job-1", "env", REGION, PROJECT_ID)
        conn = sqlite3.connect(path)
        conn.execute("ALTER TABLE jobs DROP COLUMN progress")
        conn.close()
    code, _, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 2 and fake.seen("POST") == []
    [line] = err.strip().splitlines()
    assert f"the job ledger {path} is damaged" in line and f"mv {path} {path}.damaged" in line
    assert line.endswith("nothing was submitted")


def test_ctrl_c_while_the_job_id_is_being_retried_into_the_ledger_still_prints_it(
    env: None, faults: dict[str, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    from ims_fake_server import fast_retry

    from imstui.core.context import client_overrides

    async def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    ims = FakeIms()
    faults[ATTACH_SQL] = [DISK_FULL, None]
    with client_overrides(transport=ims.transport(), retry=fast_retry(FakeSleep()), sleep=interrupted):
        code, _, err = _run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 130 and len(ims.seen("POST")) == 1
    [line] = err.strip().splitlines()
    assert f"IMS accepted the copy as job {JOB_ID}" in line
    assert line.endswith(f"record it with: imstui jobs import {JOB_ID} --region {REGION} --project-id {PROJECT_ID}")
