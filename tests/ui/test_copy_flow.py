"""The copy flow is explicit and bound to what is on screen: Enter never sends a copy, F2 copies only the image whose
verdict is shown for the id in the field, the confirmation starts on Back and names the source by name and id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Button, Input, Static

from imstui.api.errors import ImsServiceError
from imstui.core.ledger import LedgerUnwritableError
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.copy_form import FORM_FIELDS, CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen
from imstui.ui.screens.main import MainScreen

from .fakes import GOOD_ID, PROJECT, REGION, FakeApi, default_images, fake_app, image, wait_until
from .jobs_factory import failed, make_record
from .screen_text import screen_text

SECOND_ID = "9a8b7c6d-3333-4aec-80f5-ef9d8009428f"
KMS_KEY = "bd66288c-9081-460a-8227-4cbd0c814cb4"


def two_image_api() -> FakeApi:
    images = default_images()
    images[SECOND_ID] = image(SECOND_ID, name="db-second-image")
    return FakeApi(images)


async def enter_ten_times(pilot: Any, api: FakeApi) -> None:
    for _ in range(10):
        await pilot.press("enter")
    await pilot.pause()
    assert api.copies == [], "an Enter sent a copy"


async def paste(pilot: Any, app: Any, text: str) -> None:
    assert app.focused is not None
    app.focused.post_message(events.Paste(text))
    await pilot.pause()


async def open_lookup(pilot: Any, app: Any) -> LookupScreen:
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    screen: LookupScreen = app.screen
    return screen


async def test_enter_ten_times_at_every_stage_sends_no_copy(tmp_path: Path) -> None:
    api = two_image_api()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)
        id_field = lookup.query_one("#image-id", Input)
        await enter_ten_times(pilot, api)  # lookup, id field empty
        assert app.screen is lookup

        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None and lookup.image.id == GOOD_ID)
        assert id_field.has_focus  # not the copy button: Enter there would copy this image
        await enter_ten_times(pilot, api)  # after a lookup
        assert app.screen is lookup

        await pilot.press("ctrl+u")  # the id field emptied, a new id pasted: the old verdict is gone at once
        await paste(pilot, app, SECOND_ID)
        assert id_field.value == SECOND_ID and lookup.image is None
        assert lookup.query_one("#copy-button", Button).disabled
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is lookup  # F2 copies nothing before the pasted id is looked up
        await enter_ten_times(pilot, api)  # after pasting a new id: Enter only looks it up
        assert app.screen is lookup
        await wait_until(pilot, lambda: lookup.image is not None and lookup.image.id == SECOND_ID)

        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form: CopyFormScreen = app.screen
        assert form.image.id == SECOND_ID
        for field_id, _label, _check in FORM_FIELDS:
            form.query_one(f"#{field_id}", Input).focus()
            await pilot.pause()
            await enter_ten_times(pilot, api)  # in each form field
            assert app.screen is form

        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert confirm.query_one("#confirm-no", Button).has_focus
        text = screen_text(app)
        for expected in ("db-second-image", SECOND_ID, REGION, PROJECT, "db-second-image-copy"):
            assert expected in text
        await enter_ten_times(pilot, api)  # on the confirmation: Enter is Back
        assert app.screen is form

        # The deliberate key still works, for the image on screen.
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert [image_id for image_id, _ in api.copies] == [SECOND_ID]


async def test_enter_in_a_form_field_moves_to_the_next_field(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        order = [field_id for field_id, _label, _check in FORM_FIELDS]
        seen = []
        for _ in range(len(order) + 1):
            assert app.focused is not None
            seen.append(app.focused.id)
            await pilot.press("enter")
        assert seen == [*order, order[0]]  # from the last field back to the first, never to Submit


async def test_editing_the_id_clears_the_verdict_until_it_is_looked_up(tmp_path: Path) -> None:
    app = fake_app(tmp_path, two_image_api())
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        assert "ELIGIBLE" in screen_text(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert lookup.image is None and lookup.verdict is None
        assert "ELIGIBLE" not in screen_text(app) and "web-base-2026" not in screen_text(app)
        assert lookup.query_one("#copy-button", Button).disabled
        assert not app.active_bindings["f2"].enabled  # the footer shows F2 greyed out
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is lookup
        await pilot.press(GOOD_ID[-1])  # the same id again: still not looked up, so still no verdict
        await pilot.pause()
        assert lookup.image is None
        await pilot.press("enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        assert not lookup.query_one("#copy-button", Button).disabled


async def test_a_pasted_line_break_in_the_description_is_a_rule_violation(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form: CopyFormScreen = app.screen
        description = form.query_one("#description", Input)
        description.focus()
        await pilot.pause()
        await paste(pilot, app, "first line\nsecond line")
        assert "second line" in description.value  # nothing silently dropped
        assert "no line breaks" in screen_text(app) and "[description.line_break]" in screen_text(app)
        assert form.query_one("#submit-button", Button).disabled


@pytest.mark.parametrize(
    ("code", "field_id", "value"),
    [
        ("IMG.0095", "cmk_id", KMS_KEY),
        ("IMG.0097", "cmk_id", KMS_KEY),
        ("IMG.0009", "name", "taken-name"),
        ("IMG.0155", "enterprise_project_id", KMS_KEY),
    ],
)
async def test_retry_of_a_field_failure_marks_that_field_with_the_reason(
    tmp_path: Path, code: str, field_id: str, value: str
) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        original = failed(make_record(1, source_image_id=GOOD_ID, **{field_id: value}), code, "refused")
        form = CopyFormScreen(image(), retry_of=original)
        app.push_screen(form)
        await wait_until(pilot, lambda: app.screen is form and form.is_mounted)
        assert form.query_one(f"#{field_id}", Input).value == value  # pre-filled as it was
        note = form.query_one(f"#{field_id}-note", Static)
        assert note.display and code in screen_text(app)
        others = [f for f, _label, _check in FORM_FIELDS if f != field_id]
        assert not any(form.query_one(f"#{other}-note", Static).display for other in others)
        form.query_one(f"#{field_id}", Input).value = value[:-1] + ("0" if value[-1] != "0" else "1")
        await pilot.pause()
        assert not note.display  # the note was about the old value


async def test_a_rejection_in_the_form_marks_the_field_it_blames(tmp_path: Path) -> None:
    api = FakeApi()
    api.copy_error = ImsServiceError(400, "IMG.0009", "The image name already exists.", "req-1")
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form: CopyFormScreen = app.screen
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.query_one("#name-note", Static).display)
        assert "IMS refused this field: IMG.0009" in screen_text(app)


async def test_a_job_id_the_ledger_cannot_store_is_shown_with_its_import_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import imstui.core.submit as submit

    monkeypatch.setattr(submit, "ATTACH_RETRY_DELAYS", ())
    api = FakeApi()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        lookup = await open_lookup(pilot, app)

        def refuse(*_args: object) -> None:
            raise LedgerUnwritableError(tmp_path / "jobs.sqlite3", "disk full")

        assert app.session is not None
        monkeypatch.setattr(app.session.ledger, "attach_job_id", refuse)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: lookup.image is not None)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form: CopyFormScreen = app.screen
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.submitted)
        job_id = f"{1:032x}"
        text = screen_text(app)
        assert app.screen is form and "could not store its job id" in text
        assert job_id in text and f"imstui jobs import {job_id} --demo" in text
        assert "Copy submitted:" not in text
        assert len(api.copies) == 1
