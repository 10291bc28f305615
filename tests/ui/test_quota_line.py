"""The private-image quota before a copy: the lookup verdict and the copy form say "private images N of M used";
at the limit the lookup blocks (IMG.0015); when the quota call fails the verdict says so and does not block."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button

from imstui.api.errors import ApiError
from imstui.api.quota import ImageQuota
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen

from .fakes import GOOD_ID, FakeApi, fake_app, wait_until
from .screen_text import screen_text


async def _look_up(pilot, app) -> LookupScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    screen: LookupScreen = app.screen
    await pilot.press(*GOOD_ID, "enter")
    await wait_until(pilot, lambda: screen.image is not None)
    return screen


async def test_room_left_is_a_line_in_the_verdict_and_the_copy_form(tmp_path: Path) -> None:
    api = FakeApi()
    api.quota = ImageQuota(used=48, quota=50)
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await _look_up(pilot, app)
        text = screen_text(app)
        assert "ELIGIBLE" in text and "private images 48 of 50 used" in text
        assert not screen.query_one("#copy-button", Button).disabled
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        assert "private images 48 of 50 used" in screen_text(app)


async def test_at_the_limit_the_verdict_blocks_with_the_img_0015_explanation(tmp_path: Path) -> None:
    api = FakeApi()
    api.quota = ImageQuota(used=50, quota=50)
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await _look_up(pilot, app)
        text = screen_text(app)
        assert "BLOCKED" in text and "Private image quota reached (50 of 50 used)" in text and "IMG.0015" in text
        assert screen.query_one("#copy-button", Button).disabled
        assert api.copies == []


async def test_a_refused_quota_call_is_unknown_and_does_not_block(tmp_path: Path) -> None:
    api = FakeApi()
    api.quota = ApiError(403, "APIGW.0306", "API access denied.")
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await _look_up(pilot, app)
        text = screen_text(app)
        assert "ELIGIBLE" in text and "private image quota unknown" in text and "HTTP 403 APIGW.0306" in text
        assert not screen.query_one("#copy-button", Button).disabled


async def test_a_copy_form_opened_without_a_lookup_reads_the_quota_itself(tmp_path: Path) -> None:
    """A retry opens the form straight from the jobs panel: the form asks for the quota on its own."""
    api = FakeApi()
    api.quota = ImageQuota(used=7, quota=100)
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        app.open_copy_form(api.images[GOOD_ID])
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        await wait_until(pilot, lambda: "private images 7 of 100 used" in screen_text(app))
