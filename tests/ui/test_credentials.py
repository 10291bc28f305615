"""The credentials screen on the real profile store and secret store (in-memory keyring from tests/conftest.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import keyring
from textual.widgets import Checkbox, Input, Select

from imstui.ui.app import ImstuiApp
from imstui.ui.connectors import ProfileConnector
from imstui.ui.screens.credentials import SAVED_SK_PLACEHOLDER, CredentialsScreen
from imstui.ui.widgets.fields import SecretInput

from .fakes import FROZEN, wait_until
from .screen_text import screen_text

SK = "SK-SECRET-0123456789abcdef"
AK = "HPUAEXAMPLEAK1234567"


def console() -> ImstuiApp:
    args = argparse.Namespace(demo=False, profile=None, region=None, project_id=None, endpoint=None, iam_endpoint=None)
    return ImstuiApp(ProfileConnector(args), clock=lambda: FROZEN)


async def fill(pilot: Any, screen: CredentialsScreen, **values: str) -> None:
    for widget_id, value in values.items():
        screen.query_one(f"#{widget_id}", Input).value = value
    await pilot.pause()


async def test_first_run_opens_credentials_and_sk_is_masked_and_never_copied(memory_keyring: Any) -> None:
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        assert "First run" in screen_text(app)
        sk_input = screen.query_one("#profile-sk", SecretInput)
        assert sk_input.password
        sk_input.focus()
        await pilot.press(*SK)
        assert sk_input.value == SK
        assert SK not in screen_text(app)
        assert SK not in app.export_screenshot()
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign,assignment]
        sk_input.select_all()
        await pilot.press("ctrl+c")
        sk_input.action_copy()
        sk_input.action_cut()
        assert copied == [] and sk_input.value == SK


async def test_save_stores_in_keyring_and_the_saved_sk_is_never_shown_again(memory_keyring: Any) -> None:
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        screen.first_run = False  # stay on the screen after saving
        await fill(
            pilot,
            screen,
            **{
                "profile-name": "prod",
                "profile-region": "ap-southeast-1",
                "profile-project": "0123456789abcdef0123456789abcdef",
                "profile-ak": AK,
                "profile-sk": SK,
            },
        )
        await pilot.press("f2")
        await wait_until(pilot, lambda: "Saved profile" in screen_text(app))
        stored = json.loads(memory_keyring.items[("imstui", "prod")])
        assert stored["ak"] == AK and stored["sk"] == SK
        sk_input = screen.query_one("#profile-sk", Input)
        assert sk_input.value == "" and sk_input.placeholder == SAVED_SK_PLACEHOLDER
        screen.edit("prod")
        await pilot.pause()
        text = screen_text(app)
        assert SK not in text and AK not in text and "HPUA…4567" in text
        assert screen.query_one("#profile-sk", Input).value == ""


async def test_plaintext_needs_the_explicit_opt_in(memory_keyring: Any) -> None:
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        await fill(
            pilot,
            screen,
            **{"profile-name": "lab", "profile-region": "ap-southeast-1", "profile-ak": AK, "profile-sk": SK},
        )
        screen.query_one("#profile-store", Select).value = "plaintext"
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert "explicit opt-in" in screen_text(app)
        assert screen.store.find("lab") is None
        screen.query_one("#plaintext-opt-in", Checkbox).value = True
        screen.first_run = False
        await pilot.press("f2")
        await wait_until(pilot, lambda: screen.store.find("lab") is not None)


async def test_insecure_backend_shows_its_verdict_and_remedies() -> None:
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await wait_until(pilot, lambda: "NOT SECURE" in screen_text(app))
        assert "What you can do" in screen_text(app)
