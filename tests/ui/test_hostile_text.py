"""Hostile server and user text through every screen: shown literally, never parsed as markup, app stays alive."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from imstui.api.errors import ImsServiceError
from imstui.sim import seed
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen
from imstui.ui.text import terminal_title
from imstui.ui.widgets.jobs_table import JobsPanel

from .fakes import GOOD_ID, HOSTILE_ID, FakeApi, demo_app, fake_app, wait_until
from .screen_text import screen_text

MARKUP = ("[/bad]", "[@click=app.quit]x[/]", "[b]")
ESCAPES = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b]0;pwned\x07"


async def look_up(pilot, app, image_id: str) -> LookupScreen:  # type: ignore[no-untyped-def]
    if not isinstance(app.screen, LookupScreen):
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    screen = app.screen
    screen.query_one("#image-id", Input).value = ""
    screen.look_up(image_id)
    await wait_until(pilot, lambda: screen.image is not None and screen.image.id == image_id)
    return screen


async def test_simulator_hostile_images_are_shown_literally(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await look_up(pilot, app, seed.HOSTILE_MARKUP_ID)
        text = screen_text(app)
        assert "[/bad] [@click=app.quit]x[/] [b]bold[/b] [red]img" in text
        assert "[b]not bold[/b] [@click=app.quit]click to quit[/]" in text
        await look_up(pilot, app, seed.HOSTILE_ESCAPES_ID)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "red" in text and "link" in text
        assert "\x1b" not in app.export_screenshot()
        # the copy form pre-fills `<name>-copy`: the name rule names the bad characters, literally
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form = app.screen
        form.query_one("#name", Input).value = "[/bad] [@click=app.quit]x[/]"
        await pilot.pause()
        text = screen_text(app)
        assert "[name.charset]" in text and "'['" in text and "'/'" in text
        assert app.is_running


async def test_hostile_server_error_notification_job_failure_and_title(tmp_path: Path) -> None:
    api = FakeApi()
    hostile = "[/bad] [@click=app.quit]x[/] [b]" + ESCAPES
    api.copy_error = ImsServiceError(400, "IMG.0062", hostile, "[b]req")
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await look_up(pilot, app, HOSTILE_ID)
        assert "[/bad] [@click=app.quit]x[/] [b]bold" in screen_text(app)

        # server error on the copy form
        await look_up(pilot, app, GOOD_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "IMG.0062" in screen_text(app))
        text = screen_text(app)
        assert "[/bad] [@click=app.quit]x[/] [b]" in text and "\x1b" not in text

        # a notification built from server text
        app.notify_untrusted(hostile, title="[b]title")
        await wait_until(pilot, lambda: "[@click=app.quit]x[/]" in screen_text(app))  # shown literally

        # a job that FAILs with a hostile reason reaches the jobs panel as literal text
        api.copy_error = None
        form = app.screen
        assert isinstance(form, CopyFormScreen)
        app.pop_screen()
        app.pop_screen()
        await pilot.pause()
        await look_up(pilot, app, GOOD_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        panel = app.screen_stack[0].query_one(JobsPanel)
        await wait_until(pilot, lambda: any(r.job_id for r in panel.records))
        job_id = next(r.job_id for r in panel.records if r.job_id)
        api.jobs[job_id] = {"status": "FAIL", "job_id": job_id, "fail_reason": hostile, "error_code": "IMG.0014"}
        app.action_poll_now()
        await wait_until(pilot, lambda: any(r.status is not None and r.status.value == "FAIL" for r in panel.records))
        await pilot.press("f")
        await pilot.pause()
        text = screen_text(app)
        assert "[/bad]" in text and "\x1b" not in text
        assert app.is_running

    assert terminal_title("imstui " + hostile) == "imstui [/bad] [@click=app.quit]x[/] [b]"
