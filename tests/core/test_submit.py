"""Copy submission through the ledger: intent before the POST, never retried, every outcome leaves a row."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from imstui.api.errors import (
    ConnectError,
    ImsServiceError,
    OutcomeUnknownError,
    ProtocolError,
)
from imstui.api.models import CopyRequest, Image
from imstui.core.ledger import Ledger
from imstui.core.submit import submit_copy

IMAGE = Image(id="11111111-2222-3333-4444-555555555555", name="web-base", status="active")
REQUEST = CopyRequest(name="web-copy", description="nightly", enterprise_project_id="0")


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    led = Ledger(tmp_path / "jobs.sqlite3")
    yield led
    led.close()


async def _submit(api: Any, ledger: Ledger, **kw: Any) -> Any:
    return await submit_copy(api, ledger, profile="default", image=IMAGE, request=REQUEST, **kw)


async def test_intent_is_on_disk_before_the_post_and_job_id_after(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    seen_during_post: list[Any] = []
    with Ledger(ledger.path) as other:  # what another process (or a crash dump) would see mid-POST
        api.on_copy = lambda: seen_during_post.extend(other.list())
        result = await _submit(api, ledger)
    [during] = seen_during_post
    assert during.state == "submitting" and during.job_id is None
    assert during.source_image_id == IMAGE.id and during.source_image_name == "web-base" and during.name == "web-copy"
    assert result.job_id == "0123456789abcdef0123456789abcdef"
    assert result.record.state == "submitted" and result.record.is_outstanding
    assert result.record.project_id == jobkit.PROJECT and result.record.region == jobkit.REGION
    assert result.record.description == "nightly" and result.record.enterprise_project_id == "0"
    assert len(api.copy_calls) == 1


async def test_outcome_unknown_leaves_a_visible_row_and_is_not_retried(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = OutcomeUnknownError("no answer within 60 s; the copy may have been accepted")
    result = await _submit(api, ledger)
    assert result.job_id is None and result.outcome_unknown
    assert isinstance(result.outcome_error, OutcomeUnknownError)
    [row] = ledger.list()
    assert row.state == "outcome_unknown" and row.source_image_id == IMAGE.id and row.name == "web-copy"
    assert "may have been accepted" in (row.fail_reason or "")
    assert len(api.copy_calls) == 1


async def test_an_odd_200_is_treated_as_outcome_unknown(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = ProtocolError("the copy answer has no job_id")
    result = await _submit(api, ledger)
    assert result.job_id is None and ledger.list()[0].state == "outcome_unknown"
    assert str(result.outcome_error).startswith("outcome unknown — the copy answer has no job_id")  # as every case says
    assert len(api.copy_calls) == 1


async def test_a_copy_answer_without_job_id_from_the_real_client_warns_once(ledger: Ledger) -> None:
    import httpx

    from imstui.api.client import ImsClient
    from imstui.api.credentials import Credentials
    from imstui.api.secret import Secret

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "accepted"})

    api = ImsClient(
        credentials=Credentials("AKEXAMPLE0000000001", Secret("sk-example")),
        region="ap-southeast-1",
        project_id="0123456789abcdef0123456789abcdef",
        transport=httpx.MockTransport(answer),
    )
    async with api:
        result = await _submit(api, ledger)
    [row] = ledger.list()
    assert result.job_id is None and row.state == "outcome_unknown"
    assert (row.fail_reason or "").lower().count("may have been accepted") == 1


async def test_rejection_is_recorded_and_reraised(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = ImsServiceError(400, "IMG.0130", "The full-ECS image cannot be exported or replicated.")
    with pytest.raises(ImsServiceError):
        await _submit(api, ledger, retry_of=7)
    [row] = ledger.list()
    assert row.state == "rejected" and row.error_code == "IMG.0130" and "full-ECS" in (row.fail_reason or "")
    assert row.retry_of == 7 and row.failed
    assert len(api.copy_calls) == 1


async def test_connection_refused_means_not_sent(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = ConnectError("connection refused")
    with pytest.raises(ConnectError):
        await _submit(api, ledger)
    [row] = ledger.list()
    assert row.state == "rejected" and row.error_code == "NOT_SENT"


async def test_cancellation_mid_post_leaves_outcome_unknown(jobkit: Any, ledger: Ledger) -> None:
    api = jobkit.FakeApi()
    api.copy_answer = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError):
        await _submit(api, ledger)
    [row] = ledger.list()
    assert row.state == "outcome_unknown" and "interrupted" in (row.fail_reason or "")


_BLOCKED_SUBMIT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from imstui.api.models import CopyRequest, Image
    from imstui.core.ledger import Ledger
    from imstui.core.submit import submit_copy

    class HangingApi:
        region = "ap-southeast-1"
        project_id = "p1"
        async def ensure_project_id(self):
            return "p1"
        async def copy_image(self, image_id, request):
            print("posting", flush=True)
            await asyncio.sleep(3600)

    async def main():
        ledger = Ledger(Path(sys.argv[1]))
        await submit_copy(HangingApi(), ledger, profile="default", image=Image(id="src-1", name="web"),
                          request=CopyRequest(name="web-copy"))

    asyncio.run(main())
    """
)


def test_kill_9_during_the_post_leaves_a_row_that_becomes_outcome_unknown(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", _BLOCKED_SUBMIT, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "posting"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Ledger(path, sweep=False) as led:
        [row] = led.list()
        assert row.state == "submitting" and row.name == "web-copy" and row.source_image_id == "src-1"
        assert [r.row_id for r in led.sweep_stale_submissions()] == [row.row_id]  # the submitter was reaped
        after = led.get_row(row.row_id)
        assert after is not None and after.state == "outcome_unknown" and after.job_id is None
