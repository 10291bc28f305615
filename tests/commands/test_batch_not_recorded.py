"""A batch whose ledger refuses to store the job ids after the POSTs (``imstui copy ID ID ...`` on --demo, jobs
finish at once, virtual time): per item the id and the exact command that records it later, exit 3 as a single
copy; the batch items keep the ids (``batch show`` lists them), and the printed command records them."""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from ims_fake_server import FakeSleep

from imstui.cli import main
from imstui.commands import batch_run, copy
from imstui.core.context import client_overrides
from imstui.core.paths import default_ledger_path
from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend

SOURCES = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID)
ATTACH_SQL = "UPDATE jobs SET job_id"  # the job id into its row, after the answer
DISK_FULL = "database or disk is full"


class _Faulty:
    """A connection to the ledger whose statements starting with a prefix in ``faults`` fail like a full disk."""

    def __init__(self, real: sqlite3.Connection, faults: set[str]) -> None:
        self._real, self._faults = real, faults

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if any(sql.lstrip().startswith(prefix) for prefix in self._faults):
            raise sqlite3.OperationalError(DISK_FULL)
        return self._real.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    table: set[str] = set()
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        conn = real_connect(database, *args, **kwargs)
        return _Faulty(conn, table) if str(database) == str(default_ledger_path()) else conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return table


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoBackend]:
    chosen = controlled_backend(instant=True)
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    with client_overrides(sleep=FakeSleep()):
        yield chosen


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("json_mode", [False, True], ids=["human", "json"])
def test_each_unrecorded_job_id_is_printed_with_the_command_that_records_it(
    backend: DemoBackend, faults: set[str], capsys: pytest.CaptureFixture[str], json_mode: bool
) -> None:
    faults.add(ATTACH_SQL)
    argv = ("--demo", "copy", *SOURCES, "--name-template", "{name}-kept", "--yes", "--wait")
    code, out, err = run(capsys, *argv, *(["--json"] if json_mode else []))
    assert code == copy.EXIT_NOT_RECORDED == batch_run.EXIT_NOT_RECORDED == 3
    assert backend.state.copies_created == 2  # each POST once, never repeated
    job_ids = sorted(backend.state.jobs)
    commands: dict[int, str] = {}
    lines = err.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("error: item "):
            position = int(line.split()[2].rstrip(":"))
            assert "IMS accepted the copy as job" in line and DISK_FULL in line
            commands[position] = lines[n + 1].split("record it once the ledger can be written again: ", 1)[1]
    assert sorted(commands) == [1, 2]
    assert sorted(shlex.split(c)[3] for c in commands.values()) == job_ids
    assert all(shlex.split(c)[:3] == ["imstui", "jobs", "import"] and c.endswith(" --demo") for c in commands.values())
    if json_mode:
        doc = json.loads(out)
        assert doc["ok"] is False and {e["record_command"] for e in doc["not_recorded"]} == set(commands.values())
        assert all(i["recorded"] is False and i["job_id"] in job_ids for i in doc["items"])

    faults.clear()  # the disk has room again: batch show lists the ids and how to record them
    code, out, _ = run(capsys, "--demo", "batch", "show", "1")
    assert code == 0
    for command in commands.values():
        assert f"job {shlex.split(command)[3]}" in out and f"record it with: {command}" in out
    for command in commands.values():  # the printed command records each job
        assert run(capsys, *shlex.split(command)[1:])[0] == 0
    code, out, _ = run(capsys, "--demo", "batch", "show", "1", "--json")
    items = json.loads(out)["items"]
    assert all(i["recorded"] is True for i in items) and "record it with" not in out
