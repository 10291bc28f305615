"""Fixtures for the simulator tests: an in-process sim on a ManualClock, and a real uvicorn one on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from imstui.sim import ManualClock, SimConfig, controlled_backend
from imstui.sim.demo import DemoBackend
from imstui.sim.server import RunningSim, run_in_thread

COPY_HEADERS = {"Content-Type": "application/json;charset=UTF-8"}


@pytest.fixture
def backend() -> DemoBackend:
    """INIT 2 s, RUNNING 20 s, purge 600 s after the end; the clock moves only when told."""
    return controlled_backend()


@pytest.fixture
async def client(backend: DemoBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend.client() as c:
        yield c


@pytest.fixture(scope="module")
def live_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def live_sim(live_clock: ManualClock) -> Iterator[RunningSim]:
    """The simulator under uvicorn on 127.0.0.1:<free port> in a thread (clock: ``live_clock``)."""
    config = SimConfig(clock=live_clock, seed=7, init_seconds=(1.0, 1.0), run_seconds=(10.0, 10.0), purge_after=3600.0)
    with run_in_thread(config) as running:
        yield running
