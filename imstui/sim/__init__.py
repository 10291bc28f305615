"""A local IMS simulator (Starlette): the ``--demo`` backend, ``imstui sim``, and the test double.

Public API::

    create_app(config: SimConfig | None = None) -> Starlette     # app.state.sim is the SimState
    SimConfig, SimState, ManualClock, SystemClock, FaultConfig
    demo_backend(speed=1.0, ...) -> DemoBackend                   # in process (httpx.ASGITransport)
    controlled_backend(instant=False, ...) -> DemoBackend         # ManualClock, seeded
    imstui.sim.seed                                               # catalogue ids (ELIGIBLE_LINUX_ID, ...)
    imstui.sim.server.run_in_thread(config) -> RunningSim         # real uvicorn on 127.0.0.1:<free port>

The HTTP layer (:mod:`imstui.sim.app`, Starlette) is imported when it is first needed: by ``create_app``,
``sim_state`` or ``SimulatedDrop`` here, or by a :class:`DemoBackend`'s first request. Its state, configuration and
seed do not need it, so the console's demo connects without loading Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imstui.sim.clock import Clock, ManualClock, SystemClock
from imstui.sim.config import SimConfig
from imstui.sim.demo import DemoBackend, controlled_backend, demo_backend
from imstui.sim.faults import FaultConfig, FaultSpec
from imstui.sim.state import ScriptedOutcome, SimState

if TYPE_CHECKING:
    from imstui.sim.app import SimulatedDrop, create_app, sim_state

__all__ = [
    "Clock",
    "DemoBackend",
    "FaultConfig",
    "FaultSpec",
    "ManualClock",
    "ScriptedOutcome",
    "SimConfig",
    "SimState",
    "SimulatedDrop",
    "SystemClock",
    "controlled_backend",
    "create_app",
    "demo_backend",
    "sim_state",
]

_FROM_APP = frozenset({"SimulatedDrop", "create_app", "sim_state"})


def __getattr__(name: str) -> Any:
    if name in _FROM_APP:
        from imstui.sim import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
