"""Deterministic console scenes, shared by the snapshot tests and ``scripts/screenshots.py``.

Each scene is an app (frozen clock, in-process data only) plus a ``run_before(pilot)`` coroutine that drives it to
the screen to capture. Nothing depends on the wall clock: job rows carry fixed timestamps and the app's clock is
frozen at :data:`NOW`.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from imstui.api.models import JobStatus
from imstui.core.ledger import JobRecord
from imstui.sim import seed
from imstui.ui.app import ImstuiApp

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
RunBefore = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    name: str
    description: str
    build: Callable[[], ImstuiApp]
    run_before: RunBefore


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="imstui-scene-"))


async def _settle(pilot: Any, predicate: Callable[[], object], steps: int = 300) -> None:
    for _ in range(steps):
        if predicate():
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def demo_console() -> ImstuiApp:
    from imstui.ui.connectors import DemoConnector

    return ImstuiApp(DemoConnector(speed=1.0, ledger_path=_tmp() / "jobs.sqlite3"), clock=lambda: NOW)


def fake_console() -> ImstuiApp:
    from tests.ui.fakes import FakeConnector

    return ImstuiApp(FakeConnector(_tmp()), clock=lambda: NOW)


def profile_console() -> ImstuiApp:
    from imstui.ui.connectors import ProfileConnector

    args = argparse.Namespace(demo=False, profile=None, region=None, project_id=None, endpoint=None, iam_endpoint=None)
    return ImstuiApp(ProfileConnector(args), clock=lambda: NOW)


def job_records() -> list[JobRecord]:
    base = {
        "profile": "test",
        "region": "ap-southeast-1",
        "project_id": "0123456789abcdef0123456789abcdef",
        "description": None,
        "cmk_id": None,
        "enterprise_project_id": None,
        "state": "submitted",
        "poll_count": 4,
        "last_polled_at": NOW - timedelta(seconds=4),
    }
    running = JobRecord(
        row_id=1,
        job_id="ff8080814dbd65d7014dbe0d84db0013",
        source_image_id=seed.ELIGIBLE_LINUX_ID,
        source_image_name="ubuntu-22.04-web",
        name="ubuntu-22.04-web-copy",
        submitted_at=NOW - timedelta(minutes=3),
        status=JobStatus.RUNNING,
        progress=0.42,
        **base,  # type: ignore[arg-type]
    )
    succeeded = replace(
        running,
        row_id=2,
        job_id="9a175ac892fa13420193001c2e62205a",
        source_image_id=seed.ELIGIBLE_SMALL_ID,
        source_image_name="centos-data",
        name="centos-data-copy",
        submitted_at=NOW - timedelta(minutes=12),
        status=JobStatus.SUCCESS,
        progress=1.0,
        new_image_id="b7d1c0de-5a5e-4f00-9c1e-0123456789ab",
        terminal_at=NOW - timedelta(minutes=9),
    )
    failed = replace(
        running,
        row_id=3,
        job_id="edc89b490d7d4392898e19b2deb34797",
        source_image_id=seed.ENCRYPTED_ID,
        source_image_name="db-encrypted",
        name="db-encrypted-copy",
        cmk_id=seed.FAILING_CMK_ID,
        submitted_at=NOW - timedelta(minutes=7),
        status=JobStatus.FAIL,
        progress=None,
        error_code=seed.FAILING_CMK_ERROR[0],
        fail_reason=seed.FAILING_CMK_ERROR[1],
        terminal_at=NOW - timedelta(minutes=5),
    )
    return [running, succeeded, failed]


async def _connected(pilot: Any) -> None:
    app = pilot.app
    await _settle(pilot, lambda: app.session is not None and app.poller_text)


async def _lookup(pilot: Any, image_id: str) -> None:
    from imstui.ui.screens.lookup import LookupScreen

    app = pilot.app
    await _connected(pilot)
    await pilot.press("l")
    await _settle(pilot, lambda: isinstance(app.screen, LookupScreen))
    await pilot.press(*image_id, "enter")
    await _settle(pilot, lambda: getattr(app.screen, "image", None) is not None)


async def lookup_picker(pilot: Any) -> None:
    from textual.widgets import OptionList

    from imstui.ui.screens.lookup import LookupScreen

    app = pilot.app
    await _connected(pilot)
    await pilot.press("l")
    await _settle(pilot, lambda: isinstance(app.screen, LookupScreen))
    await _settle(pilot, lambda: app.screen.query_one("#image-picker", OptionList).option_count > 0)


async def lookup_eligible(pilot: Any) -> None:
    await _lookup(pilot, seed.ENCRYPTED_ID)


async def lookup_blocked(pilot: Any) -> None:
    await _lookup(pilot, seed.FULL_ECS_ID)


async def copy_form_errors(pilot: Any) -> None:
    from textual.widgets import Input

    from imstui.ui.screens.copy_form import CopyFormScreen

    app = pilot.app
    await _lookup(pilot, seed.ELIGIBLE_LINUX_ID)
    await pilot.press("f2")
    await _settle(pilot, lambda: isinstance(app.screen, CopyFormScreen))
    form = app.screen
    form.query_one("#name", Input).value = " web/copy"
    form.query_one("#cmk_id", Input).value = "not-a-key"
    form.query_one("#description", Input).value = "nightly <build>"
    form.query_one("#name", Input).focus()
    await _settle(pilot, lambda: True)


async def jobs_panel(pilot: Any) -> None:
    from imstui.core.poller import PollerStatus
    from imstui.ui.messages import PollerEvent
    from imstui.ui.widgets.jobs_table import JobsPanel

    app = pilot.app
    await _connected(pilot)
    panel = app.screen.query_one(JobsPanel)
    panel.load(job_records())
    panel.table.move_cursor(row=0)
    # The rows are shown without going through the (fake) ledger, so tell the app what a poller following the
    # running row would say: one job outstanding, next poll in 8 s (the clock is frozen, so it stays so).
    status = PollerStatus(
        running=True, paused=False, outstanding=1, next_poll_at=NOW + timedelta(seconds=8), backoff_until=None
    )
    app.post_message(PollerEvent(status))
    await _settle(pilot, lambda: panel.table.row_count == 3 and "8s" in app.poller_text)


async def job_detail(pilot: Any) -> None:
    from imstui.ui.screens.job_detail import JobDetailScreen
    from imstui.ui.widgets.jobs_table import JobsPanel

    app = pilot.app
    await jobs_panel(pilot)
    panel = app.screen.query_one(JobsPanel)
    panel.table.move_cursor(row=panel.table.get_row_index("row-3"))
    await pilot.pause()
    await pilot.press("d")
    await _settle(pilot, lambda: isinstance(app.screen, JobDetailScreen))


async def credentials(pilot: Any) -> None:
    from imstui.ui.screens.credentials import CredentialsScreen

    app = pilot.app
    await _settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
    await _settle(pilot, lambda: app.screen.backend_info is not None)


async def help_screen(pilot: Any) -> None:
    from imstui.ui.screens.help import HelpScreen

    app = pilot.app
    await _connected(pilot)
    await pilot.press("question_mark")
    await _settle(pilot, lambda: isinstance(app.screen, HelpScreen))


SCENES: tuple[Scene, ...] = (
    Scene("jobs", "main screen: jobs panel with running, succeeded and failed copies", fake_console, jobs_panel),
    Scene("job_detail", "job detail of a failed copy (error code explained)", fake_console, job_detail),
    Scene("lookup_picker", "lookup: the demo images to pick from (id field empty)", demo_console, lookup_picker),
    Scene("lookup_eligible", "lookup: an eligible (encrypted) image with a warning", demo_console, lookup_eligible),
    Scene("lookup_blocked", "lookup: a blocked full-ECS image", demo_console, lookup_blocked),
    Scene("copy_form_errors", "copy form with inline validation errors", demo_console, copy_form_errors),
    Scene("credentials", "credentials: first run, insecure keyring verdict and remedies", profile_console, credentials),
    Scene("help", "help: live key bindings of the main screen", demo_console, help_screen),
)
