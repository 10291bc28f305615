"""A 429 or IMG.0060 answer to a batch's copy POST lowers the account's shared request budget (the one the poller's
status checks draw from too), once per episode, and the budget recovers step by step (virtual time throughout)."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from imstui.api.client import ImsClient
from imstui.api.errors import ApiError, ThrottledError, ThrottleWindow
from imstui.api.models import CopyRequest
from imstui.core.batch import SENT, BatchSpec, BatchStore, BatchSubmitter, SourceRef, SubmitSettings, prepare_plan
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings
from imstui.core.poller.budget import RequestBudget
from imstui.core.poller.pacing import Pacer
from imstui.core.poller.schedule import Slot
from imstui.sim.demo import DemoBackend, controlled_backend
from imstui.sim.fleet import fleet_image_id

RATE = 10.0
SETTINGS = PollSettings(
    rate_per_second=RATE, burst=5, jitter=0.0, throttle_recovery_interval=60.0, throttle_recovery_factor=1.5
)


def _throttle(window: ThrottleWindow | None = None) -> ThrottledError:
    return ThrottledError(429, "APIGW.0308", "The throttling threshold has been reached", window=window)


def _flow_control() -> ApiError:
    return ApiError(400, "IMG.0060", "The number of tasks exceeds the flow control limit.")


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, delay: float) -> None:
        self.t += max(0.0, delay)


def _budget(settings: PollSettings = SETTINGS) -> tuple[RequestBudget, Pacer, _Clock]:
    clock = _Clock()
    pacer = Pacer(settings, random.Random(0))
    return RequestBudget(pacer, clock, clock.sleep), pacer, clock


# ------------------------------------------------------------------------------------------------ the budget


def test_a_senders_429_halves_the_rate_and_pauses_every_request_drawing_from_the_budget() -> None:
    budget, pacer, clock = _budget()
    assert budget.throttled(_throttle(), pause=30.0)
    assert budget.rate == RATE / 2 and budget.reduced
    assert budget.throttled_for() == pytest.approx(30.0)
    assert pacer.hold() == pytest.approx(30.0)  # the poller's status checks hold too
    assert pacer.max_in_flight() == 1  # and its first check after the pause goes alone
    clock.t = 30.0
    assert budget.throttled_for() == 0.0


def test_a_stated_limit_sets_the_rate_to_a_share_of_it() -> None:
    budget, _, _ = _budget()
    budget.throttled(_throttle(ThrottleWindow(seconds=300.0, limit=200)), pause=300.0)
    assert budget.rate == pytest.approx(0.5 * 200 / 300)


def test_img_0060_lowers_the_rate_without_pausing_the_status_checks() -> None:
    budget, pacer, _ = _budget()
    assert budget.throttled(_flow_control(), pause=2.0)
    assert budget.rate == RATE / 2
    assert budget.throttled_for() == 0.0 and pacer.hold() == 0.0 and pacer.max_in_flight() > 1


def test_refusals_of_requests_sent_together_lower_the_rate_once() -> None:
    budget, _, _ = _budget()
    seen = budget.reactions  # five POSTs sent before any answer
    assert budget.throttled(_throttle(), seen=seen, pause=10.0)
    for _ in range(4):
        assert not budget.throttled(_throttle(), seen=seen, pause=10.0)
    assert budget.rate == RATE / 2
    assert budget.throttled(_throttle(), seen=budget.reactions, pause=10.0)  # one sent after the reaction
    assert budget.rate == RATE / 4


def test_a_post_sent_before_the_poller_reacted_to_a_429_does_not_lower_the_rate_again() -> None:
    budget, pacer, clock = _budget()
    seen = budget.reactions  # a copy POST goes out...
    slot = Slot("job", due=0.0, interval=1.0)
    pacer.dispatched(slot)  # ...and a status check, refused by the gateway first: the poller reacts
    pacer.failed(slot, _throttle(), clock.t, slot.sent_seq)
    assert budget.rate == RATE / 2
    assert not budget.throttled(_throttle(), seen=seen, pause=60.0)  # the POST's 429: already covered
    assert budget.rate == RATE / 2


def test_the_rate_recovers_step_by_step_to_the_configured_budget() -> None:
    budget, _, clock = _budget()
    budget.throttled(_flow_control(), pause=10.0)
    clock.t = 10.0  # the pause is over: the first step comes a recovery interval later
    budget.take()
    assert budget.rate == RATE / 2
    rates = []
    for _ in range(6):
        clock.t += 60.0
        budget.take()
        rates.append(budget.rate)
    assert rates[:2] == [RATE / 2 * 1.5, RATE]  # 5 -> 7.5 -> 10 (capped), one step a recovery interval
    assert not budget.reduced and all(r == RATE for r in rates[1:])


def test_an_unlimited_budget_gets_a_rate_after_a_throttle_and_recovers_to_no_limit() -> None:
    budget, _, clock = _budget(PollSettings(rate_per_second=None, throttle_recovery_interval=60.0))
    budget.throttled(_throttle(), pause=5.0)
    assert budget.rate == 1.0
    assert budget.take() == 0.0 and budget.take() > 0  # one token, then at 1/s
    for _ in range(20):
        clock.t += 60.0
        budget.take()
    assert budget.rate is None and not budget.reduced


def test_a_standalone_budget_follows_the_same_rules() -> None:
    clock = _Clock()
    budget = RequestBudget.standalone(SETTINGS, clock, clock.sleep)
    budget.throttled(_throttle(), pause=20.0)
    assert budget.rate == RATE / 2 and budget.throttled_for() == pytest.approx(20.0)


# ------------------------------------------------------------------------------------------------ the submitter


def _sim_time() -> Any:
    spec = importlib.util.spec_from_file_location(
        "imstui_test_poller_sim", Path(__file__).with_name("test_poller_sim.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimTime


SimTime = _sim_time()
FAST = PollSettings(first_delay=2.0, initial_interval=2.0, max_interval=5.0, jitter=0.0, rate_per_second=RATE)


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


class _ThrottlesFirstCopy:
    """The client, except that the gateway refuses the first copy POST with a 429 (nothing created)."""

    def __init__(self, client: ImsClient) -> None:
        self._client = client
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        if self.refused == 0:
            self.refused += 1
            raise _throttle()
        return await self._client.copy_image(image_id, request)


def _checks(backend: DemoBackend) -> list[float]:
    """Simulator time of every status check it answers."""
    state, clock = backend.state, backend.manual_clock
    seen: list[float] = []
    real: Callable[..., Any] = state.job_document

    def job_document(*args: Any) -> Any:
        seen.append(clock.now())
        return real(*args)

    state.job_document = job_document  # type: ignore[method-assign,assignment]
    return seen


async def _run(
    backend: DemoBackend, ledger: Ledger, count: int, *, api: Any = None, with_poller: bool = True
) -> tuple[BatchStore, int, BatchSubmitter, Poller | None]:
    client = _client(backend)
    time = SimTime(backend)
    spec = BatchSpec(sources=tuple(SourceRef(fleet_image_id(n)) for n in range(count)), name_template="{name}-t{n}")
    plan, reads = await prepare_plan(client, spec)
    store = BatchStore(ledger)
    batch_id = store.create(
        plan, profile="sim", region=client.region, project_id=client.project_id, name_template="t", max_in_flight=count
    )
    batch = store.get(batch_id)
    assert batch is not None
    poller = None
    if with_poller:
        poller = Poller(client, ledger, profile="sim", settings=FAST, clock=time.clock, sleep=time.sleep, now=time.now)
    runner = asyncio.create_task(poller.run()) if poller is not None else None
    await asyncio.sleep(0)
    submitter = BatchSubmitter(
        api or client,
        ledger,
        store,
        batch,
        reads.images(),
        poller=poller,
        settings=SubmitSettings(max_in_flight=count, budget=FAST),
        sleep=time.sleep,
        clock=time.clock,
    )
    report = await submitter.run()
    if poller is not None and runner is not None:
        await poller.run_until_done(report.job_ids)
        poller.stop()
        await runner
    await client.aclose()
    return store, batch_id, submitter, poller


async def test_img_0060_during_submission_lowers_the_pollers_budget_and_every_item_is_sent_once(
    ledger: Ledger,
) -> None:
    backend = controlled_backend(generated_images=4, copy_burst=(2, 30.0))
    store, batch_id, submitter, poller = await _run(backend, ledger, 4)
    assert poller is not None and submitter.budget is poller.budget  # one budget for the account
    assert submitter.report.flow_waits >= 1
    assert poller.budget.rate is not None and poller.budget.rate < RATE  # lowered, not yet recovered
    assert [i.state for i in store.items(batch_id)] == [SENT] * 4
    assert len(set(submitter.report.job_ids)) == 4


async def test_a_429_to_a_copy_post_slows_and_pauses_the_pollers_status_checks(ledger: Ledger) -> None:
    backend = controlled_backend(generated_images=3)
    checks = _checks(backend)
    api = _ThrottlesFirstCopy(_client(backend))
    started = backend.manual_clock.now()
    store, batch_id, submitter, poller = await _run(backend, ledger, 3, api=api)
    assert poller is not None and api.refused == 1
    assert poller.budget.rate is not None and poller.budget.rate <= RATE / 2
    pause = FAST.throttle_initial  # no Retry-After, no stated window: the first throttle pauses a minute
    assert checks and min(checks) >= started + pause - 1e-6  # no status check during the pause
    assert [i.state for i in store.items(batch_id)] == [SENT] * 3 and submitter.report.posts == 4


async def test_without_a_poller_the_submissions_own_budget_backs_off(ledger: Ledger) -> None:
    backend = controlled_backend(generated_images=2)
    api = _ThrottlesFirstCopy(_client(backend))
    store, batch_id, submitter, _ = await _run(backend, ledger, 2, api=api, with_poller=False)
    assert submitter.budget.rate == RATE / 2 and submitter.budget.reduced
    assert [i.state for i in store.items(batch_id)] == [SENT] * 2
