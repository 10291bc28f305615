"""The app wires the jobs panel to the poller and to the other screens: retry -> copy form, open image -> lookup,
pause/poll keys -> poller; the status bar says what the poller is doing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from textual.widgets import Input

from imstui.ui.poller_text import describe_event, describe_status, local_clock
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen
from imstui.ui.screens.main import MainScreen
from imstui.ui.widgets.jobs_table import JobsPanel

from .fakes import GOOD_ID, FakeApi, fake_app, wait_until
from .screen_text import screen_text

NOW = datetime(2026, 3, 1, 14, 0, 0, tzinfo=timezone.utc)


def status(**values: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "running": True,
        "paused": False,
        "outstanding": 2,
        "next_poll_at": None,
        "backoff_until": None,
        "throttle": None,  # every PollerStatus field (wording.PollerState)
    }
    base.update(values)
    return SimpleNamespace(**base)


def test_poller_state_in_words() -> None:
    assert describe_status(status(next_poll_at=NOW + timedelta(seconds=8)), NOW) == "2 unfinished, next poll in 8s"
    until = NOW + timedelta(seconds=130)
    assert describe_status(status(backoff_until=until), NOW) == f"backing off until {local_clock(until)}"
    assert describe_status(status(paused=True), NOW).startswith("paused")
    assert describe_status(status(outstanding=0), NOW) == "idle"
    from imstui.api.errors import ImstuiError
    from imstui.core.poller import PollFailed

    failed = PollFailed(job_id="j1", error=ImstuiError("[/bad] boom"))
    assert describe_event(failed, NOW) == "poll failed for j1: [/bad] boom"


async def submit(pilot, app, name: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    await pilot.press(*GOOD_ID, "enter")
    await wait_until(pilot, lambda: getattr(app.screen, "can_copy", False))
    await pilot.press("f2")
    await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
    app.screen.query_one("#name", Input).value = name
    await pilot.press("f2")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_retry_of_a_failed_copy_opens_the_form_prefilled(tmp_path: Path) -> None:
    api = FakeApi()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await submit(pilot, app, "first-try")
        panel = app.screen.query_one(JobsPanel)
        job_id = next(iter(api.jobs))
        api.jobs[job_id] = {"status": "FAIL", "job_id": job_id, "error_code": "IMG.0097", "fail_reason": "key off"}
        await pilot.press("r")
        await wait_until(pilot, lambda: panel.records and panel.records[0].failed)
        assert "IMG.0097" in screen_text(app)
        panel.table.focus()
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form = app.screen
        assert form.retry_of is not None
        assert form.query_one("#name", Input).value == "first-try"
        assert "Retry a failed copy" in screen_text(app)


async def test_open_new_image_goes_to_lookup_and_pause_reaches_the_poller(tmp_path: Path) -> None:
    api = FakeApi()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await submit(pilot, app, "second")
        panel = app.screen.query_one(JobsPanel)
        job_id = next(iter(api.jobs))
        api.jobs[job_id] = {"status": "SUCCESS", "job_id": job_id, "entities": {"image_id": GOOD_ID}}
        await pilot.press("r")
        await wait_until(pilot, lambda: panel.records and panel.records[0].succeeded)
        panel.table.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: app.session.poller.paused)
        assert "paused" in screen_text(app)
        await pilot.press("p")
        await wait_until(pilot, lambda: not app.session.poller.paused)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await wait_until(pilot, lambda: app.screen.image is not None)
        assert app.screen.image.id == GOOD_ID
