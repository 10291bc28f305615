"""The in-process simulator behind ``--demo`` and the tests: no port, no thread, just an ASGI transport.

backend = demo_backend()                       # demo timing: copies take ~15-40 s, some fail
backend = controlled_backend()                 # tests: a ManualClock you advance, seeded RNG
backend.clock.advance(60)                      # (ManualClock only) move jobs on
async with backend.client() as client: ...     # an httpx.AsyncClient signing like the real client
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from imstui.api.credentials import Credentials
from imstui.api.lazy import lazy_module
from imstui.sim.clock import Clock, ManualClock
from imstui.sim.config import SimConfig
from imstui.sim.faults import FaultConfig
from imstui.sim.state import SimState

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette
    from starlette.types import Receive, Scope, Send

    from imstui.api import signer
else:  # loaded with the first request (a demo console shows its session connected before)
    httpx = lazy_module("httpx")
    signer = lazy_module("imstui.api.signer")

LOOPBACK_ENDPOINT = "http://127.0.0.1"


@dataclass
class DemoBackend:
    """Everything a client needs to talk to an in-process simulator.

    The Starlette app (:attr:`app`) is built from :attr:`state` when it is first needed (the first request, or
    reading ``app``), and the transport (:attr:`transport`) when it is first read: the demo console connects, and
    its seeded state is there, before Starlette or httpx is imported."""

    state: SimState
    config: SimConfig
    credentials: Credentials
    region: str
    project_id: str
    ims_endpoint: str = LOOPBACK_ENDPOINT
    iam_endpoint: str = LOOPBACK_ENDPOINT
    _app: Starlette | None = field(default=None, init=False, repr=False)
    _transport: httpx.ASGITransport | None = field(default=None, init=False, repr=False)
    _building: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def transport(self) -> httpx.ASGITransport:
        """The in-process transport to the simulator (one per backend, built on first use)."""
        transport = self._transport
        if transport is None:
            with self._building:
                transport = self._transport
                if transport is None:
                    transport = self._transport = httpx.ASGITransport(app=self._asgi, client=("127.0.0.1", 50000))
        return transport

    def make_transport(self) -> httpx.ASGITransport:
        """:attr:`transport`, as a function: what a client deferring its HTTP stack calls when it builds it."""
        return self.transport

    @property
    def app(self) -> Starlette:
        """The simulator's ASGI app over :attr:`state` (built once, on first use)."""
        app = self._app
        if app is None:
            with self._building:
                app = self._app
                if app is None:
                    from imstui.sim.app import app_for

                    app = self._app = app_for(self.state)
        return app

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    @property
    def clock(self) -> Clock:
        return self.config.clock

    @property
    def manual_clock(self) -> ManualClock:
        """The clock as a :class:`ManualClock` (raises if this backend runs on real time)."""
        clock = self.config.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("this backend runs on real time; use controlled_backend() for a ManualClock")
        return clock

    def client(self, *, project: bool = True, credentials: Credentials | None = None) -> httpx.AsyncClient:
        """An AsyncClient over the in-process transport that signs each request (SdkHmacAuth)."""
        auth = signer.SdkHmacAuth(credentials or self.credentials, self.project_id if project else None)
        return httpx.AsyncClient(transport=self.transport, base_url=self.ims_endpoint, auth=auth)


def backend_for(config: SimConfig) -> DemoBackend:
    return DemoBackend(
        state=SimState(config),
        config=config,
        credentials=config.credentials(),
        region=config.region,
        project_id=config.project_id,
    )


def demo_backend(
    speed: float = 1.0,
    *,
    faults: str | FaultConfig | None = None,
    seed: int | None = None,
    clock: Clock | None = None,
    **overrides: Any,
) -> DemoBackend:
    """The ``--demo`` simulator: demo credentials (or ``IMSTUI_SIM_*``), real time, copies of ~15-40 s / speed.

    The seeded failure cases fail (``FAILING_CMK_ID``, ``INTERNAL_FAIL_ID``); other copies succeed unless
    ``fail_probability`` is given. ``overrides`` are :class:`SimConfig` fields.
    """
    values: dict[str, Any] = {"speed": speed, "seed": seed}
    if faults is not None:
        values["faults"] = FaultConfig.parse(faults) if isinstance(faults, str) else faults
    if clock is not None:
        values["clock"] = clock
    values.update(overrides)
    return backend_for(SimConfig.from_env(**values))


def controlled_backend(
    *,
    instant: bool = False,
    faults: str | FaultConfig | None = None,
    seed: int = 0,
    start: float | None = None,
    **overrides: Any,
) -> DemoBackend:
    """For tests: a :class:`ManualClock` (``backend.manual_clock.advance(s)``), seeded RNG, demo credentials.

    Job timing is fixed and documented: INIT 2 s, then RUNNING 20 s (``instant=True``: finished at once).
    Purge after 600 s (``purge_after=`` to change). Environment overrides are not read.
    """
    values: dict[str, Any] = {
        "clock": ManualClock(start),
        "seed": seed,
        "init_seconds": (0.0, 0.0) if instant else (2.0, 2.0),
        "run_seconds": (0.0, 0.0) if instant else (20.0, 20.0),
    }
    if faults is not None:
        values["faults"] = FaultConfig.parse(faults) if isinstance(faults, str) else faults
    values.update(overrides)
    return backend_for(SimConfig(**values))
