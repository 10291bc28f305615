"""The simulator's ``latency`` fault is the service's response time: the answer leaves ``latency`` after the request
came in, its processing included (not ``latency`` + the processing), and the request is processed when it comes."""

from __future__ import annotations

from typing import Any

import pytest

from imstui.sim import controlled_backend, seed

from .conftest import COPY_HEADERS


class Stopwatch:
    """The simulator's clock in these tests: moves only when the fake sleep or the processing says so."""

    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def stopwatch(monkeypatch: pytest.MonkeyPatch) -> tuple[Stopwatch, list[float]]:
    watch = Stopwatch()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        watch.t += seconds

    monkeypatch.setattr("imstui.sim.app._clock", watch)
    monkeypatch.setattr("imstui.sim.app.asyncio.sleep", fake_sleep)
    return watch, slept


async def test_processing_time_counts_in_the_latency(
    stopwatch: tuple[Stopwatch, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch, slept = stopwatch
    backend = controlled_backend(faults="latency=0.02")
    real_settle = backend.state.settle

    def slow_settle() -> None:  # the request's processing takes 3 ms of the simulator's clock
        watch.t += 0.003
        real_settle()

    monkeypatch.setattr(backend.state, "settle", slow_settle)
    async with backend.client() as client:
        started = watch.t
        response = await client.get("/v2/cloudimages", params={"limit": "1"})
    assert response.status_code == 200
    assert slept == [pytest.approx(0.017)]
    assert watch.t - started == pytest.approx(0.02)  # answered 20 ms after it came, not 23


async def test_processing_longer_than_the_latency_is_not_delayed_further(
    stopwatch: tuple[Stopwatch, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch, slept = stopwatch
    backend = controlled_backend(faults="latency=0.02")
    real_settle = backend.state.settle

    def slower_settle() -> None:
        watch.t += 0.05
        real_settle()

    monkeypatch.setattr(backend.state, "settle", slower_settle)
    async with backend.client() as client:
        assert (await client.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200
    assert slept == [0.0]


async def test_a_copy_is_made_when_it_arrives_then_answered_after_the_latency(
    stopwatch: tuple[Stopwatch, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, slept = stopwatch
    backend = controlled_backend(faults="copy.latency=0.5")
    made_before_the_wait: list[int] = []

    async def watching_sleep(seconds: float) -> None:
        made_before_the_wait.append(backend.state.copies_created)
        slept.append(seconds)

    monkeypatch.setattr("imstui.sim.app.asyncio.sleep", watching_sleep)
    async with backend.client() as client:
        response = await client.post(
            f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", content=b'{"name": "x"}', headers=COPY_HEADERS
        )
    assert response.status_code == 200
    assert made_before_the_wait == [1] and slept == [0.5]


async def test_the_latency_counts_from_when_the_app_first_sees_the_request(
    stopwatch: tuple[Stopwatch, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.routing import Router

    watch, slept = stopwatch
    backend = controlled_backend(faults="latency=0.02")
    route = Router.__call__

    async def slow_routing(self: Router, scope: Any, receive: Any, send: Any) -> None:  # routing takes 2 ms
        watch.t += 0.002
        await route(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", slow_routing)
    async with backend.client() as client:
        started = watch.t
        assert (await client.get("/v2/cloudimages", params={"limit": "1"})).status_code == 200
    assert slept == [pytest.approx(0.018)]
    assert watch.t - started == pytest.approx(0.02)


def test_a_simulator_with_latency_keeps_time_on_a_sub_millisecond_loop() -> None:
    import selectors
    import socket

    from imstui.sim.config import SimConfig
    from imstui.sim.faults import FaultConfig
    from imstui.sim.server import make_server, precise_timer_loop

    with socket.socket() as sock:
        slow, _ = make_server(SimConfig(faults=FaultConfig.parse("job.latency=0-0.02")), sock)
        plain, _ = make_server(SimConfig(faults=FaultConfig.parse("5xx=0.1")), sock)
    assert slow.config.get_loop_factory() is precise_timer_loop
    assert plain.config.loop == "auto"
    loop = precise_timer_loop()
    try:
        assert isinstance(loop._selector, selectors.SelectSelector)  # type: ignore[attr-defined]
    finally:
        loop.close()
