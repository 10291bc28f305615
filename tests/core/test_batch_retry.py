"""Retrying a batch's failed items: only copies that definitely created nothing (refused) or whose job FAILED go
back to pending, as new attempts linked to the previous one; unknown outcomes and jobs in flight never do."""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from imstui.api.client import ImsClient
from imstui.api.errors import OutcomeUnknownError
from imstui.api.models import CopyRequest, Image, Job, JobStatus
from imstui.core.batch import PENDING, SENT, UNKNOWN, BatchSpec, BatchStore, BatchSubmitter, SourceRef, build_plan
from imstui.core.batch.outcome import outcomes
from imstui.core.batch.retry import retry_failed, retry_plan
from imstui.core.batch.submit import SubmitSettings
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings
from imstui.sim.demo import DemoBackend, controlled_backend
from imstui.sim.fleet import fleet_image_id
from imstui.sim.state import ScriptedOutcome

PROFILE = "sim"
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
FAST = PollSettings(first_delay=2.0, initial_interval=2.0, max_interval=5.0, jitter=0.0, rate_per_second=None)


def _sim_time() -> Any:
    path = Path(__file__).with_name("test_poller_sim.py")
    spec = importlib.util.spec_from_file_location("imstui_test_poller_sim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimTime


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        yield led


def _images(count: int) -> dict[str, Image]:
    return {
        fleet_image_id(n): Image(id=fleet_image_id(n), name=f"src{n}", status="active", owner="p", image_type="private")
        for n in range(count)
    }


def _stored(ledger: Ledger, count: int, *, region: str = "r", project_id: str = "p") -> tuple[BatchStore, int]:
    images = _images(count)
    spec = BatchSpec(sources=tuple(SourceRef(i) for i in images), name_template="{name}-c")
    plan = build_plan(spec, images, project_id=project_id, quota=None, today=date(2026, 12, 2))
    store = BatchStore(ledger)
    batch_id = store.create(
        plan, profile=PROFILE, region=region, project_id=project_id, name_template="t", max_in_flight=1
    )
    return store, batch_id


def _sent(ledger: Ledger, store: BatchStore, batch_id: int, position: int, status: str | None) -> int:
    """Item ``position`` claimed, its copy answered with a job id, the job last seen with ``status``."""
    job_id = f"ff8080814dbd65d7014dbe0d84db{position:04d}"
    assert store.claim(batch_id, position)
    row = ledger.record_intent(
        profile=PROFILE, region="r", project_id="p", source_image_id=fleet_image_id(position - 1),
        source_image_name=None, name=f"src{position - 1}-c",
    )  # fmt: skip
    ledger.attach_job_id(row, job_id)
    if status is not None:
        ledger.update_from_job(job_id, Job(job_id=job_id, status=JobStatus(status), raw_status=status), AT)
    store.settle(batch_id, position, SENT, job_row_id=row, job_id=job_id)
    return row


def test_only_refused_and_failed_items_are_retried_and_everything_else_says_why_not(ledger: Ledger) -> None:
    store, batch_id = _stored(ledger, 7)
    assert store.claim(batch_id, 1)
    store.settle(batch_id, 1, "rejected", error_code="IMG.0015", reason="quota exceeded")  # refused: nothing made
    failed_row = _sent(ledger, store, batch_id, 2, "FAIL")
    _sent(ledger, store, batch_id, 3, "SUCCESS")
    assert store.claim(batch_id, 4)
    store.settle(batch_id, 4, UNKNOWN, reason="no answer within 30 s")  # may exist
    _sent(ledger, store, batch_id, 5, "RUNNING")
    _sent(ledger, store, batch_id, 6, None)
    ledger.mark_gone("ff8080814dbd65d7014dbe0d84db0006", AT)  # forgotten before it ended: may have made an image
    # item 7: still pending

    plan = retry_plan(store, batch_id)
    assert [c.position for c in plan.retry] == [1, 2] and plan.refused == ()
    assert "IMG.0015" in plan.retry[0].why and plan.retry[1].previous_row == failed_row

    asked = retry_plan(store, batch_id, [3, 4, 5, 6, 7, 99])
    why = {r.position: r.why for r in asked.refused}
    assert asked.retry == ()
    assert why[3] == "succeeded" and "outcome unknown" in why[4] and "still running" in why[5]
    assert "forgotten" in why[6] and "batch resume" in why[7] and "no item 99" in why[99]

    done = retry_failed(store, batch_id)
    assert [c.position for c in done.retry] == [1, 2]
    items = {i.position: i for i in store.items(batch_id)}
    assert items[1].state == PENDING and items[2].state == PENDING
    assert items[2].job_row_id == failed_row and items[2].job_id is None  # linked to its previous attempt
    assert ledger.get_row(failed_row).status is JobStatus.FAIL  # type: ignore[union-attr]  # history kept
    assert [items[p].state for p in (3, 4, 5, 6)] == [SENT, UNKNOWN, SENT, SENT]  # untouched
    shown = {o.item.position: o for o in outcomes(store, ledger, batch_id)}
    assert shown[2].word == PENDING and not shown[2].finished and shown[2].previous is not None
    assert retry_failed(store, batch_id).retry == ()  # once pending, nothing more to retry


class _LosesOneAnswer:
    """The client, except that the answer to the copy of ``lost`` is lost after IMS created the job."""

    def __init__(self, client: ImsClient, lost: str) -> None:
        self._client, self._lost = client, lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        job_id = await self._client.copy_image(image_id, request)
        if image_id == self._lost:
            raise OutcomeUnknownError("no answer within 30 s; the copy may have been accepted")
        return job_id


async def _run(backend: DemoBackend, ledger: Ledger, store: BatchStore, batch_id: int, api: Any) -> int:
    sim_time = _sim_time()(backend)
    client: ImsClient = api._client if isinstance(api, _LosesOneAnswer) else api
    batch = store.get(batch_id)
    assert batch is not None
    poller = Poller(
        client, ledger, profile=PROFILE, settings=FAST, clock=sim_time.clock, sleep=sim_time.sleep, now=sim_time.now
    )
    runner = asyncio.create_task(poller.run())
    await asyncio.sleep(0)
    items = store.items(batch_id)
    images = {i.source_image_id: Image(id=i.source_image_id, name=i.source_image_name or "") for i in items}
    submitter = BatchSubmitter(
        api, ledger, store, batch, images, poller=poller, settings=SubmitSettings(max_in_flight=1, budget=FAST),
        sleep=sim_time.sleep, clock=sim_time.clock,
    )  # fmt: skip
    report = await submitter.run()
    await poller.run_until_done(report.job_ids)
    poller.stop()
    await runner
    return report.posts


async def test_a_retried_failed_copy_is_sent_once_more_as_a_new_attempt_and_an_unknown_one_never(
    ledger: Ledger,
) -> None:
    backend = controlled_backend(generated_images=3)
    client = ImsClient(
        credentials=backend.credentials, region=backend.region, project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint, iam_endpoint=backend.iam_endpoint, transport=backend.transport,
    )  # fmt: skip
    images = _images(3)
    spec = BatchSpec(sources=tuple(SourceRef(i) for i in images), name_template="{name}-r")
    plan = build_plan(spec, images, project_id=backend.project_id, quota=None, today=date(2026, 12, 2))
    store = BatchStore(ledger)
    batch_id = store.create(
        plan, profile=PROFILE, region=backend.region, project_id=backend.project_id, name_template="t", max_in_flight=1
    )
    backend.state.script_next_copy(ScriptedOutcome("IMG.0061", "Unknown system error.", fail_at=0.2))  # item 1
    assert await _run(backend, ledger, store, batch_id, _LosesOneAnswer(client, fleet_image_id(1))) == 3
    first = {o.item.position: o for o in outcomes(store, ledger, batch_id)}
    assert [first[p].word for p in (1, 2, 3)] == ["failed", "outcome_unknown", "succeeded"]
    old_row = first[1].item.job_row_id
    assert old_row is not None

    done = retry_failed(store, batch_id)  # every failed item: only item 1 (item 2's copy may exist)
    assert [c.position for c in done.retry] == [1]
    copies_before = backend.state.copies_created
    assert await _run(backend, ledger, store, batch_id, client) == 1  # one POST: item 1, nothing else
    assert backend.state.copies_created == copies_before + 1

    after = {o.item.position: o for o in outcomes(store, ledger, batch_id)}
    assert [after[p].word for p in (1, 2, 3)] == ["succeeded", "outcome_unknown", "succeeded"]
    new = after[1].record
    assert new is not None and new.row_id != old_row and new.retry_of == old_row  # a new attempt, linked
    assert ledger.get_row(old_row).status is JobStatus.FAIL  # type: ignore[union-attr]  # the old row stays
    await client.aclose()
