"""The copy form: inline validation, disabled submit, one POST per confirmation, confirmation text, outcomes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Button, Input

from imstui.api.errors import ImsServiceError, OutcomeUnknownError
from imstui.core.validation import default_copy_name
from imstui.sim import seed
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.main import MainScreen
from imstui.ui.widgets.jobs_table import JobsPanel
from imstui.ui.widgets.picker import ChoiceField

from .fakes import GOOD_ID, PROJECT, REGION, FakeApi, demo_app, fake_app, wait_until
from .screen_text import screen_text


async def open_form(pilot, app, image_id: str = GOOD_ID) -> CopyFormScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await pilot.pause()
    await pilot.press(*image_id, "enter")
    await wait_until(pilot, lambda: getattr(app.screen, "image", None) is not None)
    await pilot.press("f2")
    await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
    form: CopyFormScreen = app.screen
    # The key and enterprise project lists were loaded (or found unavailable: the fake has no KMS/EPS).
    await wait_until(pilot, lambda: all(p.loaded for p in form.query(ChoiceField)))
    return form


def test_default_name_is_source_plus_copy_trimmed_to_128() -> None:
    assert default_copy_name("web") == "web-copy"
    long = "n" * 128
    name = default_copy_name(long)
    assert len(name) == 128 and name.endswith("-copy")


async def test_fields_validate_on_every_change_and_submit_follows(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        name = form.query_one("#name", Input)
        submit = form.query_one("#submit-button", Button)
        assert name.value == "web-base-2026-copy" and not submit.disabled

        name.value = "bad/name"
        await pilot.pause()
        assert name.has_class("-invalid") and submit.disabled
        assert "[name.charset]" in screen_text(app)

        name.value = "good-name"
        await pilot.pause()
        assert not name.has_class("-invalid") and not submit.disabled

        for field_id, bad, rule in (
            ("description", "a <b> c", "description.angle_brackets"),
            ("cmk_id", "not-a-key", "cmk_id.uuid"),
            ("enterprise_project_id", "xyz", "enterprise_project_id.format"),
        ):
            widget = form.query_one(f"#{field_id}", Input)
            widget.value = bad
            await pilot.pause()
            assert widget.has_class("-invalid") and submit.disabled
            assert f"[{rule}]" in screen_text(app)
            widget.value = ""
            await pilot.pause()
            assert not submit.disabled

        name.value = ""
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.connector.api.copies == []


async def test_confirmation_names_region_project_source_and_target(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name", Input).value = "target-image"
        await pilot.pause()
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        for expected in (REGION, PROJECT, "web-base-2026", GOOD_ID, "target-image"):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CopyFormScreen) and app.connector.api.copies == []


async def test_repeated_enter_and_submit_send_one_post(tmp_path: Path) -> None:
    api = FakeApi()
    api.copy_gate = asyncio.Event()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name", Input).focus()
        await pilot.press("enter", "enter", "enter", "enter")  # Enter moves between fields, it never submits
        assert not isinstance(app.screen, ConfirmScreen) and api.copies == []
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y", "y")
        await wait_until(pilot, lambda: form.in_flight)
        assert form.query_one("#submit-button", Button).disabled
        form.action_submit()
        await pilot.press("f2", "enter", "y")
        await pilot.pause()
        api.copy_gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert len(api.copies) == 1


async def test_escape_while_the_post_is_in_flight_keeps_the_form_and_the_job_is_tracked(tmp_path: Path) -> None:
    api = FakeApi()
    api.copy_gate = asyncio.Event()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.in_flight)
        assert form.query_one("#cancel-button", Button).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form  # leaving would cancel the POST half-way (an untracked copy)
        api.copy_gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        panel = app.screen.query_one(JobsPanel)
        assert [(r.state, bool(r.job_id)) for r in panel.records] == [("submitted", True)]


async def test_success_puts_the_job_in_the_jobs_panel_at_once(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        await open_form(pilot, app, seed.ELIGIBLE_SMALL_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        panel = app.screen.query_one(JobsPanel)
        assert len(panel.records) == 1
        assert panel.records[0].job_id


async def test_outcome_unknown_is_shown_as_such_and_not_retried(tmp_path: Path) -> None:
    api = FakeApi()
    api.copy_error = OutcomeUnknownError("read timeout after the request was sent")
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.submitted)
        text = screen_text(app)
        assert "OUTCOME UNKNOWN" in text and "NOT retried" in text
        assert form.query_one("#submit-button", Button).disabled
        await pilot.press("f2")  # the form stays disabled: no confirmation, no second copy worker
        await wait_until(pilot, lambda: not any(w.group == "copy" and w.is_running for w in app.workers))
        assert not isinstance(app.screen, ConfirmScreen) and len(api.copies) == 1
        main = app.screen_stack[0]
        panel = main.query_one(JobsPanel)
        await wait_until(pilot, lambda: len(panel.records) == 1)
        assert panel.records[0].state == "outcome_unknown"


async def test_rejected_copy_shows_code_meaning_and_next_step(tmp_path: Path) -> None:
    api = FakeApi()
    api.copy_error = ImsServiceError(400, "IMG.0003", "[/bad] name format wrong", "req-1")
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "Next step" in screen_text(app))
        text = screen_text(app)
        assert "[/bad] name format wrong" in text and "Next step" in text
        assert isinstance(app.screen, CopyFormScreen) and not form.in_flight


async def test_prefilled_name_keeps_its_text_when_typing_appends_at_the_end(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        name = form.query_one("#name", Input)
        assert name.has_focus and name.value == "web-base-2026-copy"
        await pilot.press(*"-2")
        assert name.value == "web-base-2026-copy-2"
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"-dr")
        assert name.value == "web-base-2026-dr"
