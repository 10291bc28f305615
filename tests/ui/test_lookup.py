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


async def test_demo_pick_list_guides_a_newcomer_and_up_down_enter_looks_up(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        text = screen_text(app)
        # Each case is marked with the lookup's own verdict: ✓ eligible, ✗ blocked (over 128 GiB included).
        assert "✓ Linux" in text and "✗ full-ECS" in text and "✓ copy FAILS by itself" in text
        assert "✗ over 128 GiB" in text and "✓ eligible, ✗ blocked" in text
        assert seed.ELIGIBLE_LINUX_ID in text and "web-server-ubuntu22" in text
        assert seed.FAILING_CMK_ID in text and seed.INTERNAL_FAIL_ID in text
        assert "[/bad] [@click=app.quit]x[/] [b]bold" in text  # a hostile demo name, shown literally
        assert screen.query_one("#image-id", Input).has_focus
        await pilot.press("down", "down", "down", "up")  # eligible Linux -> small -> encrypted -> full-ECS -> encrypted
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        assert screen.image is not None and screen.image.id == seed.FULL_ECS_ID
        assert screen.query_one("#image-id", Input).value == seed.FULL_ECS_ID
        text = screen_text(app)
        assert "BLOCKED" in text and "Demo images" not in text  # the list gives way to the result
        screen.query_one("#image-id", Input).focus()
        screen.query_one("#image-id", Input).value = ""
        await pilot.pause()
        assert "Demo images" in screen_text(app)
        assert app.is_running


async def test_recent_source_images_of_the_profile_newest_first_without_duplicates(tmp_path: Path) -> None:
    from datetime import timedelta

    from imstui.core.ledger import Ledger

    from .fakes import BLOCKED_ID, FROZEN, GOOD_ID, PROJECT, REGION, FakeConnector

    ledger = Ledger(tmp_path / "jobs.sqlite3")
    for minutes, profile, image_id, name in (
        (30, "test", GOOD_ID, "web-base-2026"),
        (20, "test", BLOCKED_ID, "win-2019"),
        (10, "test", GOOD_ID, "web-base-2026"),
        (5, "other", "11111111-2222-4333-8444-555555555555", "someone-elses"),
    ):
        ledger.record_intent(
            profile=profile,
            region=REGION,
            project_id=PROJECT,
            source_image_id=image_id,
            source_image_name=name,
            name=f"{name}-copy",
            submitted_at=FROZEN - timedelta(minutes=minutes),
        )
    ledger.close()
    from imstui.ui.app import ImstuiApp

    app = ImstuiApp(FakeConnector(tmp_path, demo=False), clock=lambda: FROZEN)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_lookup(pilot, app)
        rows = [line for line in screen_text(app).splitlines() if "copied " in line and "ago" in line]
        assert len(rows) == 2, rows
        assert GOOD_ID in rows[0] and "web-base-2026" in rows[0] and "copied 10m ago" in rows[0]
        assert BLOCKED_ID in rows[1] and "win-2019" in rows[1]
        text = screen_text(app)
        assert "Recently copied from (profile test)" in text
        assert "someone-elses" not in text and "Demo images" not in text
        await pilot.press("enter")  # the newest is highlighted first
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
