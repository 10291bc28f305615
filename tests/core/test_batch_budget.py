"""A batch submission draws one token per copy POST from the poller's request budget (``Poller.budget``), so the
POSTs and the status checks together stay within it (virtual time: the simulator's clock, no wall time)."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from imstui.api.client import ImsClient
from imstui.core.batch import BatchSpec, BatchStore, BatchSubmitter, SourceRef, SubmitSettings, build_plan
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings
from imstui.sim.demo import DemoBackend, controlled_backend
from imstui.sim.fleet import fleet_image_id

COUNT = 6
RATE = 0.5  # requests per second for the whole account
TIGHT = PollSettings(first_delay=2.0, initial_interval=2.0, max_interval=5.0, jitter=0.0, rate_per_second=RATE, burst=1)
UNLIMITED = PollSettings(rate_per_second=None)


def _sim_time() -> Any:
    path = Path(__file__).with_name("test_poller_sim.py")
    spec = importlib.util.spec_from_file_location("imstui_test_poller_sim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimTime


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "jobs.sqlite3") as led:
        yield led


def _requests(backend: DemoBackend) -> list[tuple[float, str]]:
    """(simulator time, "copy" or "job") of every copy POST and status check the simulator answers."""
    state, clock = backend.state, backend.manual_clock
    seen: list[tuple[float, str]] = []
    real_copy: Callable[..., str] = state.copy_image
    real_job: Callable[..., Any] = state.job_document

    def copy_image(*args: Any) -> str:
        seen.append((clock.now(), "copy"))
        return real_copy(*args)

    def job_document(*args: Any) -> Any:
        seen.append((clock.now(), "job"))
        return real_job(*args)

    state.copy_image = copy_image  # type: ignore[method-assign,assignment]
    state.job_document = job_document  # type: ignore[method-assign,assignment]
    return seen


async def _submit(ledger: Ledger, *, with_poller: bool) -> list[tuple[float, str]]:
    backend = controlled_backend(generated_images=COUNT)
    seen = _requests(backend)
    time = _sim_time()(backend)
    client = ImsClient(
        credentials=backend.credentials, region=backend.region, project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint, iam_endpoint=backend.iam_endpoint, transport=backend.transport,
    )  # fmt: skip
    images = {image.id: image for image in [await client.get_image(fleet_image_id(n)) for n in range(COUNT)]}
    seen.clear()  # the reads above are not part of the submission
    spec = BatchSpec(sources=tuple(SourceRef(i) for i in images), name_template="{name}-paced")
    plan = build_plan(spec, images, project_id=backend.project_id, quota=None, today=date(2026, 12, 2))
    store = BatchStore(ledger)
    batch_id = store.create(
        plan, profile="sim", region=backend.region, project_id=backend.project_id, name_template="t",
        max_in_flight=COUNT,
    )  # fmt: skip
    batch = store.get(batch_id)
    assert batch is not None
    poller = None
    if with_poller:
        poller = Poller(client, ledger, profile="sim", settings=TIGHT, clock=time.clock, sleep=time.sleep, now=time.now)
    runner = asyncio.create_task(poller.run()) if poller is not None else None
    await asyncio.sleep(0)
    submitter = BatchSubmitter(
        client, ledger, store, batch, images, poller=poller,
        settings=SubmitSettings(max_in_flight=COUNT, budget=UNLIMITED),  # its own budget: no limit at all
        sleep=time.sleep, clock=time.clock,
    )  # fmt: skip
    report = await submitter.run()
    if poller is not None and runner is not None:
        await poller.run_until_done(report.job_ids)
        poller.stop()
        await runner
    await client.aclose()
    assert report.posts == COUNT
    return sorted(seen)


async def test_with_a_poller_the_posts_take_their_tokens_from_its_budget_and_are_spread(ledger: Ledger) -> None:
    seen = await _submit(ledger, with_poller=True)
    posts = [at for at, kind in seen if kind == "copy"]
    assert len(posts) == COUNT
    assert all(b - a >= 1 / RATE - 1e-6 for a, b in itertools.pairwise(posts))  # one token each
    # POSTs and status checks together: never more than the budget (one token to start, then RATE a second).
    times = [at for at, _ in seen]
    for i in range(len(times)):
        for j in range(i + 1, len(times)):
            assert j - i + 1 <= 1 + RATE * (times[j] - times[i]) + 1e-6, (i, j, seen[i : j + 1])
    assert any(kind == "job" for _, kind in seen)


async def test_without_the_shared_budget_nothing_would_have_spread_them(ledger: Ledger) -> None:
    seen = await _submit(ledger, with_poller=False)
    posts = [at for at, kind in seen if kind == "copy"]
    assert len(posts) == COUNT and posts[-1] - posts[0] < 1 / RATE  # all at once: the spreading is the budget's
