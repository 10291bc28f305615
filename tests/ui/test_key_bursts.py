"""Keys that arrive in one burst (a fast typist, a paste into the terminal, a slow SSH link delivering at once) are
handled as if typed slowly: the palette survives a page key right after ctrl+p, and Tabs move between fields
before the following text arrives, so a secret key never lands in a field that shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from textual import events
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from imstui.api.errors import ImstuiError
from imstui.core.profiles import validate_profile_name
from imstui.ui.screens.credentials import PROFILE_NAME_TYPING, CredentialsScreen

from .fakes import fake_app, wait_until
from .screen_text import screen_text
from .test_credentials import console

SK = "SKsecret0123456789abcdefSKsecret01234567"


def palette_options(app: App[Any]) -> int:
    return app.screen.query_one(CommandList).option_count


def burst(app: App[Any], *keys: str) -> None:
    """Queue every key before the app handles the first (``pilot.press`` waits for the app between keys)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        character = "\t" if key == "tab" else (key if len(key) == 1 else None)
        event = events.Key(key, character)
        event.set_sender(app)
        driver.send_message(event)


async def test_page_down_in_the_same_burst_as_ctrl_p_leaves_the_palette_open(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        burst(app, "ctrl+p", "pagedown")
        # The page key either came before the list had a size (ignored) or after (it paged): both are fine.
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and palette_options(app) > 0)
        await pilot.press("pagedown", "pageup")  # once the list is shown, the page keys work as usual
        assert app.is_running and app.return_code is None


async def test_a_burst_typed_form_keeps_its_tabs_and_the_sk_only_in_the_masked_field(memory_keyring: Any) -> None:
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        screen = app.screen
        await wait_until(pilot, lambda: isinstance(app.focused, Input) and app.focused.id == "profile-name")
        burst(app, *"prod", "tab", *"ap-southeast-1", "tab", "tab", *"HPUAKEXAMPLE", "tab", *SK)
        sk_field = screen.query_one("#profile-sk", Input)
        await wait_until(pilot, lambda: sk_field.value == SK)
        values = {w.id: w.value for w in screen.query(Input)}
        assert values["profile-name"] == "prod" and values["profile-region"] == "ap-southeast-1"
        assert values["profile-ak"] == "HPUAKEXAMPLE" and values["profile-project"] == ""
        assert [key for key, value in values.items() if SK in value] == ["profile-sk"]
        assert SK not in screen_text(app)


async def test_the_profile_name_field_refuses_what_cannot_be_a_profile_name(memory_keyring: Any) -> None:
    app = console()
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        name = app.screen.query_one("#profile-name", Input)
        name.focus()
        await pilot.press(*"prod sg/+=", *"-1")
        assert name.value == "prodsg-1"
        await pilot.press(*("x" * 70))
        assert len(name.value) == 64


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=70))
def test_what_the_name_field_lets_through_is_what_a_profile_name_may_be(text: str) -> None:
    try:
        valid = validate_profile_name(text) == text
    except ImstuiError:
        valid = False
    typed = re.fullmatch(PROFILE_NAME_TYPING, text) is not None
    assert valid == (typed and text != "" and set(text) != {"."})
