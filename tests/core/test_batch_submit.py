"""Submitting a batch against the simulator (virtual time): N in flight, IMG.0060 waited out and sent again, a
maybe-sent copy never sent again; and how a resume settles the items a killed run had claimed."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from imstui.api.client import ImsClient
from imstui.api.errors import OutcomeUnknownError
from imstui.api.models import CopyRequest, Image
from imstui.core.batch import (
    PENDING,
    REJECTED,
    SENT,
    UNKNOWN,
    BatchBusyError,
    BatchSpec,
    BatchStore,
    BatchSubmitter,
    SourceRef,
    SubmitReport,
    SubmitSettings,
    build_plan,
    prepare_plan,
    reconcile,
)
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings
from imstui.sim.demo import DemoBackend, controlled_backend
from imstui.sim.fleet import fleet_image_id

PROFILE = "sim"
FAST = PollSettings(first_delay=2.0, initial_interval=2.0, max_interval=5.0, jitter=0.0, rate_per_second=None)


def _load_sim_time() -> Any:
    """The virtual time of the poller's simulator tests (one clock for the simulator, the poller and the
    submitter: it moves when a sleeper sleeps), loaded from that module by path whatever the import mode."""
    spec = importlib.util.spec_from_file_location(
        "imstui_test_poller_sim", Path(__file__).with_name("test_poller_sim.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimTime


SimTime = _load_sim_time()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        yield led


def _client(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


def _record_posts(backend: DemoBackend) -> list[tuple[str, str, int]]:
    """Every copy the simulator receives: (source id, "accepted" or the error code, unfinished jobs before it)."""
    state = backend.state
    real: Callable[..., str] = state.copy_image
    seen: list[tuple[str, str, int]] = []

    def copy_image(image_id: str, raw_body: bytes, project_id: str) -> str:
        before = state.unfinished_jobs
        try:
            job_id = real(image_id, raw_body, project_id)
        except Exception as exc:
            seen.append((image_id, str(getattr(exc, "code", type(exc).__name__)), before))
            raise
        seen.append((image_id, "accepted", before))
        return job_id

    state.copy_image = copy_image  # type: ignore[method-assign]
    return seen


async def _submit(
    backend: DemoBackend, ledger: Ledger, count: int, *, in_flight: int, api: Any = None
) -> tuple[BatchStore, int, SubmitReport]:
    client = _client(backend)
    time = SimTime(backend)
    spec = BatchSpec(sources=tuple(SourceRef(fleet_image_id(n)) for n in range(count)), name_template="{name}-b{n}")
    plan, reads = await prepare_plan(client, spec)
    assert len(plan.ready) == count
    store = BatchStore(ledger)
    batch_id = store.create(
        plan,
        profile=PROFILE,
        region=client.region,
        project_id=client.project_id,
        name_template="t",
        max_in_flight=in_flight,
    )
    batch = store.get(batch_id)
    assert batch is not None
    poller = Poller(client, ledger, profile=PROFILE, settings=FAST, clock=time.clock, sleep=time.sleep, now=time.now)
    runner = asyncio.create_task(poller.run())
    await asyncio.sleep(0)  # run() has begun (a stop() before it would be forgotten)
    submitter = BatchSubmitter(
        api or client,
        ledger,
        store,
        batch,
        reads.images(),
        poller=poller,
        settings=SubmitSettings(max_in_flight=in_flight, budget=FAST),
        sleep=time.sleep,
        clock=time.clock,
    )
    report = await submitter.run()
    await poller.run_until_done(report.job_ids)
    poller.stop()
    await runner
    await client.aclose()
    return store, batch_id, report


async def test_at_most_n_copies_run_at_once_and_every_item_is_sent_exactly_once(ledger: Ledger) -> None:
    backend = controlled_backend(generated_images=12)
    posts = _record_posts(backend)
    store, batch_id, report = await _submit(backend, ledger, 12, in_flight=3)
    assert sorted(source for source, _, _ in posts) == sorted(fleet_image_id(n) for n in range(12))
    assert all(outcome == "accepted" for _, outcome, _ in posts)
    assert max(before for _, _, before in posts) <= 2  # never a 4th copy while 3 ran
    assert report.peak_in_flight == 3 and report.posts == 12
    items = store.items(batch_id)
    assert {i.state for i in items} == {SENT} and len({i.job_id for i in items}) == 12
    assert all(ledger.get(str(i.job_id)).is_terminal for i in items)  # type: ignore[union-attr]


async def test_flow_control_is_waited_out_and_the_refused_copy_is_sent_again(ledger: Ledger) -> None:
    backend = controlled_backend(generated_images=5, copy_burst=(2, 30.0))
    posts = _record_posts(backend)
    store, batch_id, report = await _submit(backend, ledger, 5, in_flight=5)
    accepted = [source for source, outcome, _ in posts if outcome == "accepted"]
    refused = [source for source, outcome, _ in posts if outcome == "IMG.0060"]
    assert sorted(accepted) == sorted(fleet_image_id(n) for n in range(5))  # each created exactly once
    assert refused and report.flow_waits == len(refused)
    items = store.items(batch_id)
    assert {i.state for i in items} == {SENT}
    assert sum(i.flow_waits for i in items) == len(refused)
    assert [r for r in ledger.list() if r.state == "rejected"] == []  # the refusals that created nothing are gone


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


async def test_a_copy_whose_answer_was_lost_is_outcome_unknown_and_never_sent_again(ledger: Ledger) -> None:
    backend = controlled_backend(generated_images=3)
    posts = _record_posts(backend)
    api = _LosesOneAnswer(_client(backend), fleet_image_id(1))
    store, batch_id, _ = await _submit(backend, ledger, 3, in_flight=2, api=api)
    states = {i.source_image_id: i.state for i in store.items(batch_id)}
    assert states == {fleet_image_id(0): SENT, fleet_image_id(1): UNKNOWN, fleet_image_id(2): SENT}
    batch = store.get(batch_id)
    assert batch is not None
    reconcile(store, batch)  # a resume: nothing is pending, the unknown one stays unknown
    again = await BatchSubmitter(_client(backend), ledger, store, batch, {}).run()
    assert again.posts == 0 and len(posts) == 3
    assert store.item(batch_id, 2).state == UNKNOWN  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------ reconcile


def _stored(ledger: Ledger, count: int) -> tuple[BatchStore, int]:
    images = {
        fleet_image_id(n): Image(id=fleet_image_id(n), name=f"src{n}", status="active", owner="p", image_type="private")
        for n in range(count)
    }
    spec = BatchSpec(sources=tuple(SourceRef(i) for i in images), name_template="{name}-c")
    plan = build_plan(spec, images, project_id="p", quota=None, today=date(2026, 12, 2))
    store = BatchStore(ledger)
    return store, store.create(plan, profile=PROFILE, region="r", project_id="p", name_template="t", max_in_flight=5)


def _intent(ledger: Ledger, n: int) -> int:
    return ledger.record_intent(
        profile=PROFILE,
        region="r",
        project_id="p",
        source_image_id=fleet_image_id(n),
        source_image_name=None,
        name=f"src{n}-c",
    )


def test_a_resume_settles_each_claimed_item_from_what_its_copy_wrote_to_the_ledger(ledger: Ledger) -> None:
    store, batch_id = _stored(ledger, 6)
    _intent(ledger, 0)  # an older attempt with the same source and name, before the claim: not this item's
    for position in range(1, 7):
        assert store.claim(batch_id, position)
    # item 1: killed between the claim and the intent -> nothing was sent
    _intent(ledger, 1)  # item 2: killed with the POST in flight (intent, no answer)
    ledger.attach_job_id(_intent(ledger, 2), "ff8080814dbd65d7014dbe0d84db0013")  # item 3: answered
    ledger.mark_rejected(_intent(ledger, 3), "IMG.0060", "flow control")  # item 4: flow control, nothing created
    ledger.mark_rejected(_intent(ledger, 4), "IMG.0015", "quota")  # item 5: a definite refusal
    ledger.mark_outcome_unknown(_intent(ledger, 5), "timed out")  # item 6: maybe created
    batch = store.get(batch_id)
    assert batch is not None
    done = reconcile(store, batch)
    assert (done.resent, done.sent, done.unknown, done.rejected) == ((1, 4), (3,), (2, 6), (5,))
    items = {i.position: i for i in store.items(batch_id)}
    assert [items[p].state for p in range(1, 7)] == [PENDING, UNKNOWN, SENT, PENDING, REJECTED, UNKNOWN]
    assert items[3].job_id == "ff8080814dbd65d7014dbe0d84db0013" and items[3].job_row_id is not None
    assert items[1].job_row_id is None and "nothing was sent" in (items[1].reason or "")
    assert "never sent again" in (items[2].reason or "")
    assert reconcile(store, batch) == type(done)()  # settled once: a second resume changes nothing


def test_a_batch_another_live_process_is_sending_cannot_be_resumed_and_a_dead_ones_can(ledger: Ledger) -> None:
    store, batch_id = _stored(ledger, 1)
    with store._write() as conn:  # the batch as a live process (our parent) and then a dead one left it
        conn.execute("UPDATE batches SET owner_pid = ? WHERE batch_id = ?", (os.getppid(), batch_id))
    with pytest.raises(BatchBusyError, match=f"process {os.getppid()}"):
        store.acquire(batch_id)
    with store._write() as conn:
        conn.execute("UPDATE batches SET owner_pid = ? WHERE batch_id = ?", (2**22 + 12345, batch_id))
    store.acquire(batch_id)
    assert store.get(batch_id).owner_pid == os.getpid()  # type: ignore[union-attr]
    store.release(batch_id)
    assert store.get(batch_id).owner_pid is None  # type: ignore[union-attr]
