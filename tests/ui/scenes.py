"""Deterministic console scenes, shared by the snapshot tests and ``scripts/screenshots.py``.

Each scene is an app (frozen clock, in-process data only) plus a ``run_before(pilot)`` coroutine that drives it to
the screen to capture. Nothing depends on the wall clock: job rows carry fixed timestamps and the app's clock is
frozen at :data:`NOW`. Nothing depends on machine speed either: every step waits for a *state* (a screen, a
value, no worker left running, no message or animation pending), never for an amount of time, and a state that is
never reached fails the scene with its name instead of capturing whatever is on the screen by then.
"""

from __future__ import annotations

import argparse
import tempfile
import time
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


#: Only a fence against a scene that can never get there (the test then fails saying what it waited for); a
#: passing scene never waits for it, so it is generous enough for a machine under any load.
DEADLINE = 120.0
#: Workers that run for the app's whole life (the poller loop): "quiet" does not wait for them to end.
LONG_LIVED_GROUPS = frozenset({"poller"})


def busy_workers(app: Any) -> list[Any]:
    """The app's workers still pending or running, except the long-lived ones."""
    return [w for w in app.workers if not w.is_finished and w.group not in LONG_LIVED_GROUPS]


async def wait_for(pilot: Any, predicate: Callable[[], object], what: str) -> None:
    """Let the app run until ``predicate()`` holds; fail with ``what`` if it never does."""
    app = pilot.app
    start = time.monotonic()
    while not predicate():
        if app._exception is not None:  # the app crashed: nothing more will happen
            raise AssertionError(f"the app failed before: {what}") from app._exception
        if time.monotonic() - start > DEADLINE:
            raise AssertionError(f"scene never reached: {what}")
        await pilot.pause(0.01)


async def quiet(pilot: Any) -> None:
    """Wait until nothing is left to change the screen: no worker busy, every queued message and scheduled
    animation processed (checked again after each round, since a finishing worker can post more)."""
    app = pilot.app
    while True:
        await wait_for(pilot, lambda: not busy_workers(app), f"workers done (busy: {busy_workers(app)})")
        await pilot.wait_for_scheduled_animations()
        if not busy_workers(app):
            return


async def _settle(pilot: Any, predicate: Callable[[], object], what: str) -> None:
    await wait_for(pilot, predicate, what)
    await quiet(pilot)


def demo_console() -> ImstuiApp:
    from imstui.ui.connectors import DemoConnector

    return ImstuiApp(DemoConnector(speed=1.0, ledger_path=_tmp() / "jobs.sqlite3"), clock=lambda: NOW)


def fake_console() -> ImstuiApp:
    from .fakes import FakeConnector

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
    # The poller's first status (it sends one when it starts, then only on a change) has been shown: nothing from
    # the poller can overwrite what a scene sets after this.
    app = pilot.app
    await _settle(
        pilot,
        lambda: app.session is not None and app.poller_status is not None and app.poller_text,
        "connected, the poller's first status shown",
    )


async def _open_lookup(pilot: Any) -> None:
    from imstui.ui.screens.lookup import LookupScreen

    app = pilot.app
    await _connected(pilot)
    await pilot.press("l")
    await _settle(pilot, lambda: isinstance(app.screen, LookupScreen), "the lookup screen")


async def _lookup(pilot: Any, image_id: str) -> None:
    app = pilot.app
    await _open_lookup(pilot)
    await pilot.press(*image_id, "enter")
    await _settle(pilot, lambda: getattr(app.screen, "image", None) is not None, f"image {image_id} shown")


async def lookup_picker(pilot: Any) -> None:
    app = pilot.app
    await _open_lookup(pilot)
    screen = app.screen
    await _settle(
        pilot,
        lambda: screen.model.loaded > 0 and not screen._loading,
        "the account's images listed",
    )


async def lookup_eligible(pilot: Any) -> None:
    await _lookup(pilot, seed.ENCRYPTED_ID)


async def lookup_blocked(pilot: Any) -> None:
    await _lookup(pilot, seed.FULL_ECS_ID)


async def copy_form_errors(pilot: Any) -> None:
    from textual.widgets import Input, Static

    from imstui.ui.screens.copy_form import CopyFormScreen

    app = pilot.app
    await _lookup(pilot, seed.ELIGIBLE_LINUX_ID)
    await pilot.press("f2")
    await _settle(pilot, lambda: isinstance(app.screen, CopyFormScreen), "the copy form")
    form = app.screen
    values = {"name": " web/copy", "cmk_id": "not-a-key", "description": "nightly <build>"}
    for field_id, value in values.items():
        form.query_one(f"#{field_id}", Input).value = value
    form.query_one("#name", Input).focus()

    def errors_shown() -> bool:
        return all(str(form.query_one(f"#{f}-error", Static).content) for f in values)

    await _settle(pilot, lambda: errors_shown() and app.focused is form.query_one("#name", Input), "three errors")


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
    await _settle(pilot, lambda: panel.table.row_count == 3 and "8s" in app.poller_text, "3 rows, next poll in 8s")


async def job_detail(pilot: Any) -> None:
    from imstui.ui.screens.job_detail import JobDetailScreen
    from imstui.ui.widgets.jobs_table import JobsPanel

    app = pilot.app
    await jobs_panel(pilot)
    panel = app.screen.query_one(JobsPanel)
    failed_row = panel.table.get_row_index("row-3")
    panel.table.move_cursor(row=failed_row)
    await _settle(pilot, lambda: panel.table.cursor_row == failed_row, "the cursor on the failed row")
    await pilot.press("d")
    await _settle(pilot, lambda: isinstance(app.screen, JobDetailScreen), "the job detail screen")


async def credentials(pilot: Any) -> None:
    from textual.containers import VerticalScroll
    from textual.widgets import Input

    from imstui.ui.screens.credentials import CredentialsScreen

    app = pilot.app
    await _settle(pilot, lambda: isinstance(app.screen, CredentialsScreen), "the credentials screen")
    screen = app.screen
    await _settle(pilot, lambda: screen.backend_info is not None, "the keyring verdict")
    # What a flaky run got wrong (the form scrolled down to "Profile name" when the keyring check answered before
    # the first refresh): the screen opens at its top with the name field focused, however fast the check is.
    body = screen.query_one("#credentials-body", VerticalScroll)
    assert app.focused is screen.query_one("#profile-name", Input), app.focused
    assert body.scroll_offset == (0, 0), body.scroll_offset


async def help_screen(pilot: Any) -> None:
    from imstui.ui.screens.help import HelpScreen

    app = pilot.app
    await _connected(pilot)
    await pilot.press("question_mark")
    await _settle(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")


async def batch_form(pilot: Any) -> None:
    """The batch form (ui/screens/batch_form.py) for two eligible images and a Windows one, template with {date}
    (the frozen clock's day): the preview's targets and verdicts and the totals with the quota."""
    from textual.widgets import Input

    from imstui.ui.screens.batch_form import BatchFormScreen

    app = pilot.app
    await _connected(pilot)
    ids = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, seed.WINDOWS_ID)
    form = BatchFormScreen([await app.session.api.get_image(i) for i in ids])
    await app.push_screen(form)
    await _settle(pilot, lambda: form.plan is not None and form.plan.quota is not None, "the plan with the quota")
    form.query_one("#name_template", Input).value = "{name}-{date}"
    await _settle(pilot, lambda: "20260301" in (form.plan.items[0].target_name if form.plan else ""), "dated names")


SCENES: tuple[Scene, ...] = (
    Scene("jobs", "main screen: jobs panel with running, succeeded and failed copies", fake_console, jobs_panel),
    Scene("job_detail", "job detail of a failed copy (error code explained)", fake_console, job_detail),
    Scene("lookup_picker", "lookup: the demo images to pick from (id field empty)", demo_console, lookup_picker),
    Scene("lookup_eligible", "lookup: an eligible (encrypted) image with a warning", demo_console, lookup_eligible),
    Scene("lookup_blocked", "lookup: a blocked full-ECS image", demo_console, lookup_blocked),
    Scene("copy_form_errors", "copy form with inline validation errors", demo_console, copy_form_errors),
    Scene("credentials", "credentials: first run, insecure keyring verdict and remedies", profile_console, credentials),
    Scene("help", "help: live key bindings of the main screen", demo_console, help_screen),
    Scene("batch_form", "batch form: live preview of targets and verdicts, totals and quota", demo_console, batch_form),
)
