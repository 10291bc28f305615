"""SVG snapshots of every screen at 80x24 and 120x34 (frozen clock, no cursor blink, toasts that do not expire).

Regenerate with ``python -m pytest tests/ui/test_snapshots.py --snapshot-update`` (or ``make snapshots``), review the
changed SVGs (CONTRIBUTING.md says how) and commit ``__snapshots__``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import keyring
import pytest
from keyring.backends import null
from textual.notifications import Notification

from . import scenes
from .scene_registry import ALL_SCENES, Scene
from .screen_text import screen_text


@pytest.fixture(autouse=True)
def insecure_keyring() -> None:
    """The credentials scene shows the verdict for a backend that stores nothing (deterministic on any machine)."""
    keyring.set_keyring(null.Keyring())


@pytest.fixture(autouse=True)
def toasts_never_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    """A toast's timeout runs on the wall clock: under load a 5 s toast could be gone before the capture. Frozen like
    the app's clock, a toast that was raised is in the snapshot, however long the scene took."""
    monkeypatch.setattr(Notification, "time_left", property(lambda _self: 24 * 3600.0))


@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80x24", "120x34"])
@pytest.mark.parametrize("scene", ALL_SCENES, ids=[s.name for s in ALL_SCENES])
def test_screen_snapshot(snap_compare: Any, scene: Scene, size: tuple[int, int]) -> None:
    assert snap_compare(scene.build(), run_before=scene.run_before, terminal_size=size)


@pytest.mark.parametrize("answer", ["before the first refresh", "after the screen is drawn"])
async def test_first_run_credentials_screen_opens_at_its_top_however_fast_the_keyring_answers(
    answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The keyring check runs in a worker; on a loaded machine it can answer before the screen's first refresh, and
    # the screen then opened scrolled down to the focused "Profile name", hiding the first-run line and the verdict.
    from imstui.core.secret_store import SecretStore
    from imstui.ui.screens.credentials import CredentialsScreen

    release = asyncio.Event()
    check = SecretStore.backend_info

    async def answer_when_told(self: SecretStore) -> Any:
        if answer != "before the first refresh":
            await release.wait()
        return check(self)

    monkeypatch.setattr(SecretStore, "abackend_info", answer_when_told)
    app = scenes.profile_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await scenes.wait_for(pilot, lambda: isinstance(app.screen, CredentialsScreen), "the credentials screen")
        await pilot.wait_for_scheduled_animations()
        release.set()
        await scenes.credentials(pilot)  # asserts: name field focused, body at its top
        text = screen_text(app)
        assert "First run: create a profile" in text and "NOT SECURE" in text
