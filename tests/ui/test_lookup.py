"""Image lookup on the simulator: inline id validation, the attributes shown, eligible vs blocked images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


async def test_demo_browser_guides_a_newcomer_and_down_enter_looks_up(tmp_path: Path) -> None:
    from imstui.ui.widgets.image_browser import ImageBrowser

    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await wait_until(pilot, lambda: screen.model.done)
        text = screen_text(app)
        # Each row carries the lookup's own verdict in a word, and the demo case in plain words.
        assert "✓ eligible" in text and "✗ blocked" in text
        assert "demo: Linux" in text and "web-server-ubuntu22" in text and "Full-ECS image" in text
        assert "[/bad] [@click=app.quit]x[/]" in text  # a hostile demo name, shown literally (cut to the column)
        assert screen.query_one("#image-id", Input).has_focus
        ids = [row.image.id for row in screen.model.shown]
        target = ids.index(seed.FULL_ECS_ID)
        await pilot.press("down")  # from the empty id field into the list
        assert isinstance(app.focused, ImageBrowser)
        await pilot.press(*["down"] * target, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        assert screen.image is not None and screen.image.id == seed.FULL_ECS_ID
        assert screen.query_one("#image-id", Input).value == seed.FULL_ECS_ID
        text = screen_text(app)
        assert "BLOCKED" in text and "demo: Linux" not in text  # the list gives way to the result
        await pilot.press("escape")  # back to the list, on the same row
        await wait_until(pilot, lambda: screen.picker_shown)
        assert isinstance(app.focused, ImageBrowser) and screen.highlighted_pick() == seed.FULL_ECS_ID
        assert screen.query_one("#image-id", Input).value == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LookupScreen))
        assert app.is_running


async def test_recent_source_images_of_the_profile_are_noted_in_the_browser(tmp_path: Path) -> None:
    from datetime import timedelta

    from imstui.core.ledger import Ledger

    from .fakes import FROZEN

    ledger = Ledger(tmp_path / "demo-jobs.sqlite3")
    for minutes, profile, image_id, name in (
        (30, "demo", seed.ELIGIBLE_LINUX_ID, "web-server-ubuntu22"),
        (10, "demo", seed.ELIGIBLE_LINUX_ID, "web-server-ubuntu22"),
        (5, "other", seed.WINDOWS_ID, "someone-elses"),
    ):
        ledger.record_intent(
            profile=profile,
            region="ap-southeast-1",
            project_id="p",
            source_image_id=image_id,
            source_image_name=name,
            name=f"{name}-copy",
            submitted_at=FROZEN - timedelta(minutes=minutes),
        )
    ledger.close()
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await wait_until(pilot, lambda: screen.model.done)
        rows = [line for line in screen_text(app).splitlines() if "copied " in line and "ago" in line]
        assert len(rows) == 1, rows  # the newest copy of this profile's only source; not the other profile's
        assert seed.ELIGIBLE_LINUX_ID in rows[0] and "copied 10m ago" in rows[0]


async def test_a_connection_that_cannot_list_images_says_so_and_the_id_field_works(tmp_path: Path) -> None:
    from .fakes import GOOD_ID, fake_app

    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        assert "This connection cannot list images" in screen_text(app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        assert screen.image is not None and screen.image.id == GOOD_ID


async def test_lookup_before_connecting_names_the_credentials_key_that_works(tmp_path: Path) -> None:
    import asyncio

    from imstui.ui.app import ImstuiApp
    from imstui.ui.screens.credentials import CredentialsScreen

    from .fakes import FROZEN, GOOD_ID, FakeConnector

    class NeverConnects(FakeConnector):
        async def connect(self, profile: str | None) -> Any:
            await asyncio.Event().wait()

    app = ImstuiApp(NeverConnects(tmp_path), clock=lambda: FROZEN)
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: "Not connected yet" in screen_text(app))
        assert "(Esc, then a: credentials)" in " ".join(screen_text(app).split())
        await pilot.press("escape", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))


async def test_an_image_over_128_gib_is_blocked_as_the_server_refuses_it(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*seed.LARGE_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        text = " ".join(screen_text(app).split())
        assert "BLOCKED" in text and "ELIGIBLE" not in text
        assert "Larger than 128 GiB (__image_size 200.0 GiB)" in text and "not on min_disk" in text
        assert screen.query_one("#copy-button", Button).disabled
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is screen


async def test_the_full_ecs_image_size_is_unknown_not_zero(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*seed.FULL_ECS_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        text = " ".join(screen_text(app).split())
        assert "Size unknown" in text and "0.0 MiB" not in text


async def test_fields_the_server_sent_that_cannot_be_real_are_named_under_the_attributes(tmp_path: Path) -> None:
    # As `imstui image` says them: the field reads "unknown" above and the reason is below, shown literally.
    from .fakes import GOOD_ID, FakeApi, fake_app, image

    bad = image(GOOD_ID, min_disk="forty[b]\x1b[2J")
    assert bad.problems
    app = fake_app(tmp_path, FakeApi({GOOD_ID: bad}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press(*GOOD_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        await wait_until(pilot, lambda: "Server data read as unknown:" in screen_text(app))
        text = screen_text(app)
        assert text.split("Min disk", 1)[1].split("\n", 1)[0].strip() == "unknown"
        line = next(row for row in text.splitlines() if "! min_disk:" in row)
        assert "forty[b]" in line and "is not a number" in line and "\x1b" not in text
