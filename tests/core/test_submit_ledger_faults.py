"""submit_copy when the ledger fails: refused before the POST, the id retried into the ledger after it (bounded),
and handed back, never lost, when the ledger will not take it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imstui.api.errors import ConfigurationError, ConnectError
from imstui.api.models import CopyRequest, Image
from imstui.core.ledger import Ledger, LedgerUnwritableError
from imstui.core.submit import ATTACH_BUDGET_SECONDS, ATTACH_RETRY_DELAYS, submit_copy

IMAGE = Image(id="11111111-2222-3333-4444-555555555555", name="web-base", status="active")
REQUEST = CopyRequest(name="web-copy")
JOB = "0123456789abcdef0123456789abcdef"
REGION = "ap-southeast-1"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


class FlakyLedger(Ledger):
    """A ledger whose named writes fail like a full disk, ``failures[name]`` times (-1: always)."""

    def __init__(self, path: Path, **failures: int) -> None:
        super().__init__(path)
        self.failures = failures
        self.attempts: dict[str, int] = {}

    def _maybe_fail(self, name: str) -> None:
        self.attempts[name] = self.attempts.get(name, 0) + 1
        left = self.failures.get(name, 0)
        if left:
            self.failures[name] = left - 1 if left > 0 else left
            raise LedgerUnwritableError(self.path, "the disk is full (database or disk is full)")

    def record_intent(self, **kw: Any) -> int:
        self._maybe_fail("record_intent")
        return super().record_intent(**kw)

    def attach_job_id(self, row_id: int, job_id: str) -> Any:
        self._maybe_fail("attach_job_id")
        return super().attach_job_id(row_id, job_id)

    def mark_rejected(self, row_id: int, code: str, message: str) -> Any:
        self._maybe_fail("mark_rejected")
        return super().mark_rejected(row_id, code, message)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


async def _submit(api: Any, ledger: Ledger, sleeps: Sleeps, seen: list[str] | None = None) -> Any:
    return await submit_copy(
        api,
        ledger,
        profile="default",
        image=IMAGE,
        request=REQUEST,
        on_job_id=seen.append if seen is not None else None,
        sleep=sleeps,
        clock=sleeps.clock,
    )


async def test_a_ledger_that_cannot_be_written_refuses_before_the_post(jobkit: Any, tmp_path: Path) -> None:
    api = jobkit.FakeApi()
    with FlakyLedger(tmp_path / "jobs.sqlite3", record_intent=-1) as ledger:
        with pytest.raises(ConfigurationError, match=r"the disk is full.*; nothing was submitted"):
            await _submit(api, ledger, Sleeps())
        assert ledger.list() == []
    assert api.copy_calls == []


async def test_the_job_id_write_is_retried_with_backoff(jobkit: Any, tmp_path: Path) -> None:
    api, sleeps = jobkit.FakeApi(), Sleeps()
    seen: list[str] = []
    ledger = FlakyLedger(tmp_path / "jobs.sqlite3", attach_job_id=2)
    with ledger:
        result = await _submit(api, ledger, sleeps, seen)
        stored = ledger.get(JOB)
    assert seen == [JOB] and result.recorded and result.job_id == JOB
    assert sleeps.calls == list(ATTACH_RETRY_DELAYS[:2]) and len(api.copy_calls) == 1
    assert stored is not None and stored.state == "submitted"


async def test_a_job_id_the_ledger_never_takes_comes_back_with_the_error(jobkit: Any, tmp_path: Path) -> None:
    api, sleeps = jobkit.FakeApi(), Sleeps()
    seen: list[str] = []
    ledger = FlakyLedger(tmp_path / "jobs.sqlite3", attach_job_id=-1)
    with ledger:
        result = await _submit(api, ledger, sleeps, seen)
        assert ledger.get(JOB) is None  # not on disk: the caller must say so
        attempts = ledger.attempts["attach_job_id"]
    assert seen == [JOB] and result.job_id == JOB and not result.recorded and not result.outcome_unknown
    assert isinstance(result.not_recorded, LedgerUnwritableError)
    assert result.record.job_id == JOB and result.record.name == "web-copy" and result.record.state == "submitted"
    assert sum(sleeps.calls) <= ATTACH_BUDGET_SECONDS and attempts == len(sleeps.calls) + 1 > 3
    assert len(api.copy_calls) == 1  # the POST itself is never repeated


async def test_slow_attempts_end_the_retries_within_the_budget(jobkit: Any, tmp_path: Path) -> None:
    """Each attempt waiting out a lock takes time: the budget is wall time, not a count."""
    api, sleeps = jobkit.FakeApi(), Sleeps()
    ledger = FlakyLedger(tmp_path / "jobs.sqlite3", attach_job_id=-1)
    with ledger:
        real = ledger._maybe_fail

        def slow(name: str) -> None:
            if name == "attach_job_id":
                sleeps.now += 10.0  # the busy timeout of one attempt
            real(name)

        ledger._maybe_fail = slow  # type: ignore[method-assign]
        result = await _submit(api, ledger, sleeps)
        attempts = ledger.attempts["attach_job_id"]
    assert not result.recorded and attempts <= 4 and sleeps.now <= ATTACH_BUDGET_SECONDS + 10.0


async def test_a_job_id_that_does_not_fit_makes_the_outcome_unknown_and_shows_it_escaped(
    jobkit: Any, tmp_path: Path
) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = "job\x1b]0;x\x07" + "f" * 150
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        result = await _submit(api, ledger, Sleeps())
        [row] = ledger.list()
    assert result.outcome_unknown and row.state == "outcome_unknown" and row.job_id is None
    assert "\\u001b]0;x\\u0007" in (row.fail_reason or "") and "may have been accepted" in (row.fail_reason or "")


async def test_a_rejection_the_ledger_cannot_record_is_still_reported(jobkit: Any, tmp_path: Path) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = ConnectError("connection refused")
    with FlakyLedger(tmp_path / "jobs.sqlite3", mark_rejected=-1) as ledger:
        with pytest.raises(ConnectError):
            await _submit(api, ledger, Sleeps())


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"profile": None, "demo": False}, f"imstui jobs import j-1 --region {REGION} --project-id {PROJECT}"),
        (
            {"profile": "ops.team", "demo": False},
            f"imstui jobs import j-1 --profile ops.team --region {REGION} --project-id {PROJECT}",
        ),
        ({"profile": "demo", "demo": True}, "imstui jobs import j-1 --demo"),
    ],
)
def test_the_record_later_command_is_one_the_cli_reads_back(kw: dict[str, Any], expected: str) -> None:
    import shlex

    from imstui.cli import build_parser
    from imstui.core.submit import import_command

    command = import_command("j-1", region=REGION, project_id=PROJECT, **kw)
    assert command == expected
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert (args.jobs_command, args.job_id) == ("import", "j-1")
    got = {name: getattr(args, name, None) for name in ("profile", "demo", "region", "project_id")}
    if kw["demo"]:
        assert got == {"profile": None, "demo": True, "region": None, "project_id": None}
    else:
        assert got == {"profile": kw["profile"], "demo": None, "region": REGION, "project_id": PROJECT}


async def test_a_row_forgotten_while_the_post_was_in_flight_still_gets_its_job(jobkit: Any, tmp_path: Path) -> None:
    api = jobkit.FakeApi()
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        api.on_copy = lambda: ledger.forget_row(ledger.list()[0].row_id)  # `imstui jobs forget #1` meanwhile
        result = await _submit(api, ledger, Sleeps())
        [row] = ledger.list()
    assert result.recorded and row.job_id == JOB and row.is_outstanding and row.region == jobkit.REGION
