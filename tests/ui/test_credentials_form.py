"""The credentials form at the sizes operators use: results in view, the region against the known list, the
endpoints stored per profile (plain http refused except loopback), and no first-run toast over the buttons."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from creds import iamfake
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from imstui.ui.screens.credentials import CredentialsScreen

from .fakes import wait_until
from .screen_text import screen_text
from .test_credentials import console, fill

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SK = "SK-FORM-0123456789abcdef"
AK = "HPUAFORMTESTAK004242"
SIZES = pytest.mark.parametrize("size", [(120, 34), (80, 24)], ids=["120x34", "80x24"])


async def opened(pilot: Any) -> CredentialsScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
    screen = app.screen
    assert isinstance(screen, CredentialsScreen)
    screen.first_run = False  # stay on the screen after saving
    await wait_until(pilot, lambda: screen.backend_info is not None)
    return screen


def in_view(screen: CredentialsScreen, widget: Widget) -> bool:
    """The widget is drawn whole inside the screen: not below the last row, not scrolled away, and nothing (a toast)
    drawn over it — the widget is what is at the start and the end of each of its rows."""
    region = widget.region
    if not region.height or not screen.region.contains_region(region):
        return False
    points = [(x, y) for y in range(region.y, region.bottom) for x in (region.x, region.right - 1)]
    return all(screen.get_widget_at(x, y)[0] is widget for x, y in points)


def profile_table(screen: CredentialsScreen, name: str) -> dict[str, Any]:
    data = tomllib.loads(screen.store.path.read_text())
    table: dict[str, Any] = data["profiles"][name]
    return table


def result(screen: CredentialsScreen) -> Static:
    return screen.query_one("#credentials-result", Static)


@SIZES
async def test_save_and_test_results_are_in_view(size: tuple[int, int]) -> None:
    app = console()
    with iamfake.serve_iam(AK, SK) as iam_url:
        async with app.run_test(size=size) as pilot:
            screen = await opened(pilot)
            values = {"profile-name": "prod", "profile-region": "ap-southeast-1", "profile-ak": AK, "profile-sk": SK}
            await fill(pilot, screen, **values, **{"profile-iam-endpoint": iam_url})
            screen.query_one("#profile-sk", Input).focus()  # the operator is at the bottom of the form
            await pilot.press("f2")
            await wait_until(pilot, lambda: "Saved profile" in str(result(screen).render()))
            await pilot.pause()
            assert in_view(screen, result(screen)), (result(screen).region, screen.region)
            assert "✓ Saved profile prod" in screen_text(app)
            assert in_view(screen, screen.query_one("#save-button", Button))

            await pilot.press("f3")
            await wait_until(pilot, lambda: "works" in str(result(screen).render()))
            await pilot.pause()
            assert in_view(screen, result(screen)), (result(screen).region, screen.region)
            words = " ".join(screen_text(app).split())  # the line wraps at 80 columns
            assert "✓ Profile prod works: region ap-southeast-1, project " + iamfake.PROJECT_ID in words
            assert profile_table(screen, "prod")["iam_endpoint"] == iam_url


@SIZES
async def test_an_unknown_region_is_warned_about_and_saved_only_when_confirmed(size: tuple[int, int]) -> None:
    app = console()
    async with app.run_test(size=size) as pilot:
        screen = await opened(pilot)
        await fill(
            pilot,
            screen,
            **{"profile-name": "odd", "profile-region": "ap-southeast-9", "profile-ak": AK, "profile-sk": SK},
        )
        note = screen.query_one("#region-note", Static)
        assert "ap-southeast-9 is not a known IMS region" in str(note.render())
        await pilot.press("f2")
        await pilot.pause()
        assert "Press Save (F2) again to save it anyway" in str(result(screen).render())
        assert in_view(screen, result(screen))
        assert screen.store.find("odd") is None
        assert screen.query_one("#profile-sk", Input).value == SK  # nothing saved: the keys are still in the form
        await pilot.press("f2")
        await wait_until(pilot, lambda: screen.store.find("odd") is not None)
        assert profile_table(screen, "odd")["region"] == "ap-southeast-9"


async def test_a_known_region_has_no_warning_and_is_completed_from_the_list() -> None:
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        region = screen.query_one("#profile-region", Input)
        region.focus()
        await pilot.press(*"cn-north-")
        await pilot.pause()
        assert "is not a known IMS region" in str(screen.query_one("#region-note", Static).render())
        await pilot.press(*"4")
        await pilot.pause()
        assert str(screen.query_one("#region-note", Static).render()).strip() == ""
        region.value = ""
        await pilot.press(*"eu-west-10")
        await wait_until(pilot, lambda: region._suggestion == "eu-west-101")
        await pilot.press("right")
        assert region.value == "eu-west-101"
        iam = screen.query_one("#profile-iam-endpoint", Input)
        assert iam.placeholder == "https://iam.eu-west-101.myhuaweicloud.eu"


async def test_endpoints_are_stored_per_profile_and_shown_again() -> None:
    app = console()
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await opened(pilot)
        values = {"profile-name": "lab", "profile-region": "ap-southeast-1", "profile-ak": AK, "profile-sk": SK}
        await fill(
            pilot,
            screen,
            **values,
            **{"profile-endpoint": "https://ims.lab.example/", "profile-iam-endpoint": "http://127.0.0.1:8099"},
        )
        await pilot.press("f2")
        await wait_until(pilot, lambda: screen.store.find("lab") is not None)
        table = profile_table(screen, "lab")
        assert table["endpoint"] == "https://ims.lab.example"
        assert table["iam_endpoint"] == "http://127.0.0.1:8099"
        screen.action_new()
        screen.edit("lab")
        await pilot.pause()
        assert screen.query_one("#profile-endpoint", Input).value == "https://ims.lab.example"
        assert screen.query_one("#profile-iam-endpoint", Input).value == "http://127.0.0.1:8099"


@pytest.mark.parametrize("field", ["profile-endpoint", "profile-iam-endpoint"])
async def test_plain_http_to_a_remote_host_is_refused(field: str) -> None:
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        values = {"profile-name": "leak", "profile-region": "ap-southeast-1", "profile-ak": AK, "profile-sk": SK}
        await fill(pilot, screen, **values, **{field: "http://ims.example.com"})
        await pilot.press("f2")
        await wait_until(pilot, lambda: "refusing plain http://" in str(result(screen).render()))
        assert in_view(screen, result(screen))
        assert "plain http is allowed only to localhost/127.0.0.1/::1" in " ".join(screen_text(app).split())
        assert screen.store.find("leak") is None


@SIZES
async def test_first_run_shows_no_toast_over_the_buttons(size: tuple[int, int]) -> None:
    app = console()
    async with app.run_test(size=size) as pilot:
        screen = await opened(pilot)
        await pilot.pause()
        assert "First run: create a profile" in screen_text(app)
        assert list(app._notifications) == []
        assert "Set up a profile" not in screen_text(app)
        for button in screen.query(Button):
            assert in_view(screen, button), button.id  # nothing (a toast) drawn over it


async def test_in_demo_mode_only_back_is_offered() -> None:
    from textual.widgets import Footer

    from .scenes import demo_console, wait_for

    app = demo_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "the demo session")
        app.open_credentials(first_run=False)
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialsScreen), "the credentials screen")
        await pilot.pause()
        footer = " ".join(str(w.render()) for w in app.screen.query(Footer).first().query("*"))
        assert "Back" in footer
        for hidden in ("Save", "Test", "Use profile", "New", "Delete"):
            assert hidden not in footer, hidden
        assert "Demo mode: the simulator needs no credentials" in screen_text(app)
        await pilot.press("f2", "f3", "f6", "f8")
        assert isinstance(app.screen, CredentialsScreen) and "Saving" not in screen_text(app)
