"""Image lookup on the simulator: inline id validation, the attributes shown, eligible vs blocked images."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input

from imstui.sim import seed
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen

from .fakes import demo_app, wait_until
from .screen_text import screen_text


async def open_lookup(pilot, app) -> LookupScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    return app.screen


async def test_invalid_id_is_flagged_inline_and_not_looked_up(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*"not-a-uuid")
        field = screen.query_one("#image-id", Input)
        assert field.has_class("-invalid")
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "must be a UUID" in text and "[image_id.uuid]" in text
        assert screen.image is None


async def test_eligible_image_shows_attributes_and_can_proceed(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*f"  {seed.ELIGIBLE_LINUX_ID}\n".upper().strip(), "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        text = screen_text(app)
        for label in ("Name", "Status", "Type", "OS", "Size", "Min disk", "Encryption", "Enterprise project"):
            assert label in text
        assert "Created" in text and "Updated" in text
        assert "ELIGIBLE" in text and "BLOCKED" not in text
        assert not screen.query_one("#copy-button", Button).disabled
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))


async def test_blocked_image_names_each_condition_and_cannot_proceed(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*seed.WINDOWS_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        text = screen_text(app)
        assert "BLOCKED" in text and "Windows image" in text
        assert screen.query_one("#copy-button", Button).disabled
        await pilot.press("f2")
        await pilot.click("#copy-button")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)


async def test_unknown_image_says_not_found(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*"00000000-0000-4000-8000-000000000000", "enter")
        await wait_until(pilot, lambda: "No image with id" in screen_text(app))
        assert screen.query_one("#copy-button", Button).disabled


def test_os_line_names_the_bitness_once_and_default_enterprise_project_is_explained() -> None:
    from imstui.ui.screens.lookup import image_rows

    from .fakes import image

    rows = dict(image_rows(image(__os_bit="64")))
    assert rows["OS"] == "Linux Ubuntu 22.04 server 64bit"
    assert rows["Enterprise project"] == "0 (default)"
    rows = dict(
        image_rows(
            image(
                __os_version="CentOS 7.9", __os_bit="32", enterprise_project_id="b1f0c3d4-0000-4000-8000-000000000001"
            )
        )
    )
    assert rows["OS"] == "Linux CentOS 7.9 (32-bit)"
    assert rows["Enterprise project"] == "b1f0c3d4-0000-4000-8000-000000000001"
