"""Getting connected from the command line's options: a stored profile, or the built-in simulator (``--demo``).

This is the edge where the simulator meets the rest: the one module outside ``imstui.sim`` (and the ``imstui sim``
command) that imports it. The core stays unaware of the simulator (it opens a session from any
:class:`~imstui.core.context.ConnectionSettings`); the console's demo connector and the headless commands' ``--demo``
both come here, and the seeded images reach the console's pick list as the session's
:class:`~imstui.core.session.DemoCatalogue`. The simulator (Starlette, the seed) is imported only when a demo
session or client is opened.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the session stack (context, ledger, poller) loads only when a session is opened: fast starts
    import httpx

    from imstui.api.client import ImsClient
    from imstui.core.context import ConnectionSettings
    from imstui.core.poller import PollSettings
    from imstui.core.session import DemoCatalogue, PollerTiming, Session
    from imstui.sim.demo import DemoBackend

__all__ = [
    "DEMO_SPEED_ENV",
    "demo_catalogue",
    "demo_poll_settings",
    "demo_speed",
    "demo_state_path",
    "open_client",
    "open_demo_session",
    "session_for_args",
    "warm_demo_requests",
]

DEMO_SPEED_ENV = "IMSTUI_DEMO_SPEED"
DEMO_STATE_FILE = "demo-sim.json"  # the simulator's jobs, kept across restarts (imstui.sim.persist)
_DEMO_SOURCES = ("credentials", "region", "project_id", "ims_endpoint", "iam_endpoint")


def demo_speed(env: Mapping[str, str] | None = None) -> float:
    """``IMSTUI_DEMO_SPEED`` (a factor: 10 makes simulated jobs ten times faster); 1.0 when unset or invalid."""
    raw = (os.environ if env is None else env).get(DEMO_SPEED_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def demo_poll_settings(speed: float) -> PollSettings:
    """Poll settings for the simulator: no request budget, intervals shortened by the demo speed factor."""
    from imstui.core.poller import PollSettings

    base = PollSettings()
    factor = max(1.0, speed)
    return PollSettings(
        first_delay=max(0.2, base.first_delay / factor),
        initial_interval=max(0.3, base.initial_interval / factor),
        max_interval=max(1.0, base.max_interval / factor),
        min_interval=max(0.2, base.min_interval / factor),
        rate_per_second=None,
    )


def demo_catalogue() -> DemoCatalogue:
    """The seeded demo images (in the seed's order of cases) and how to see a copy fail in the demo."""
    from imstui.api.models import Image
    from imstui.core.session import DemoCatalogue, SeededImage
    from imstui.sim import seed

    project = "0" * 32
    docs = {str(item.get("id")): item for item in seed.catalogue(project)}
    images = tuple(
        SeededImage(key, image_id, str(docs[image_id].get("name") or ""), Image.from_api(docs[image_id]))
        if image_id in docs
        else SeededImage(key, image_id, "")
        for key, image_id in seed.DEMO_IMAGES.items()
    )
    hint = (
        f"A copy FAILS mid-way with KMS key {seed.FAILING_CMK_ID} ({seed.FAILING_CMK_ERROR[0]});\n"
        f"the image {seed.INTERNAL_FAIL_ID} fails by itself ({seed.INTERNAL_FAIL_ERROR[0]})."
    )
    return DemoCatalogue(images, hint, project)


def demo_state_path(ledger_path: Path | None = None) -> Path:
    """Where the demo simulator keeps its state: next to the ledger (default: the state dir's)."""
    from imstui.core.paths import state_dir

    return (ledger_path.parent if ledger_path is not None else state_dir()) / DEMO_STATE_FILE


def _demo_backend(speed: float, ledger_path: Path | None = None) -> tuple[ConnectionSettings, DemoBackend]:
    from imstui.core.context import ConnectionSettings
    from imstui.sim.demo import demo_backend
    from imstui.sim.persist import attach

    backend = demo_backend(speed=speed)
    attach(backend.state, demo_state_path(ledger_path))  # demo jobs survive a restart, as real ones do
    settings = ConnectionSettings(
        region=backend.region,
        credentials=backend.credentials,
        project_id=backend.project_id,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        demo=True,
        sources=dict.fromkeys(_DEMO_SOURCES, "demo"),
    )
    return settings, backend


def open_demo_session(
    speed: float = 1.0,
    *,
    ledger_path: Path | None = None,
    poll_settings: PollSettings | None = None,
    timing: PollerTiming | None = None,
    defer_http: bool = False,
) -> Session:
    """A session on a fresh in-process simulator (jobs ``speed`` times faster), with the demo catalogue. An active
    :func:`~imstui.core.context.client_overrides` transport replaces the simulator's (tests). ``defer_http``: as
    :func:`~imstui.core.session.open_session`'s (the simulator's transport is built with the client's HTTP stack)."""
    from imstui.core.context import current_overrides
    from imstui.core.session import open_session

    settings, backend = _demo_backend(speed, ledger_path)
    transport = current_overrides().transport or backend.make_transport
    return open_session(
        settings,
        ledger_path=ledger_path,
        poll_settings=poll_settings or demo_poll_settings(speed),
        timing=timing,
        transport=transport,
        catalogue=demo_catalogue(),
        defer_http=defer_http,
    )


def warm_demo_requests() -> None:
    """Import what a demo session's first request needs: the simulator's HTTP layer (Starlette), which a demo
    session opens without (:class:`~imstui.sim.demo.DemoBackend` builds it on first use). The console runs this in a
    thread once it shows the session connected, so that its first lookup does not load it on the event loop."""
    import imstui.sim.app  # noqa: F401


def session_for_args(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
    poll_settings: PollSettings | None = None,
    timing: PollerTiming | None = None,
) -> Session:
    """The headless commands' session: the simulator for ``--demo``, else the settings of
    :func:`~imstui.core.context.resolve_settings`. ``profile`` names the ledger profile (default: the settings')."""
    from imstui.core.context import resolve_settings
    from imstui.core.poller import PollSettings
    from imstui.core.session import open_session

    if getattr(args, "demo", False):
        return open_demo_session(poll_settings=poll_settings or PollSettings(), timing=timing)
    settings = resolve_settings(args, environ)
    return open_session(settings, profile=profile, poll_settings=poll_settings, timing=timing)


def open_client(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ImsClient:
    """An :class:`~imstui.api.client.ImsClient` for ``args`` (``--demo``: the simulator). ``transport`` (or an
    active :func:`~imstui.core.context.client_overrides`) replaces the network, for tests."""
    from imstui.core.context import client_from_settings, current_overrides, resolve_settings

    if getattr(args, "demo", False):
        settings, backend = _demo_backend(1.0)
        return client_from_settings(settings, transport=transport or current_overrides().transport or backend.transport)
    return client_from_settings(resolve_settings(args, environ), transport=transport)
