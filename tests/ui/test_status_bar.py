"""The status bar stays one line at every width, giving up its lower-priority parts first."""

from __future__ import annotations

from pathlib import Path

import pytest

from imstui.ui.widgets.status_bar import StatusBar, StatusValues, status_line

from .fakes import PROJECT, fake_app, wait_until
from .screen_text import screen_text

LONG_POLL = "1 unfinished, polling now"


def values(**kw: object) -> StatusValues:
    base: dict[str, object] = {
        "demo": True,
        "profile": "demo",
        "region_id": "ap-southeast-1",
        "project": PROJECT,
        "keyring": "SecretService Keyring (secure)",
        "poller": LONG_POLL,
    }
    base.update(kw)
    return StatusValues(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", range(78, 201, 7))
def test_line_fits_and_keeps_demo_profile_region_and_poll_state(width: int) -> None:
    line = status_line(values(), width).plain
    assert "\n" not in line and len(line) <= width
    for must in ("DEMO", "demo", "ap-southeast-1", LONG_POLL):
        assert must in line


def test_project_is_shortened_before_anything_is_dropped_and_whole_when_there_is_room() -> None:
    wide = status_line(values(), 200).plain
    assert f"project {PROJECT}" in wide and "keyring SecretService" in wide
    full = len(wide)
    medium = status_line(values(), full - 10).plain
    assert "project 01234567…" in medium and PROJECT not in medium and "keyring" in medium


def test_an_insecure_keyring_and_plaintext_secrets_stay_visible_when_narrow() -> None:
    line = status_line(values(keyring="null (INSECURE)", keyring_warning=True, plaintext=True), 80).plain
    assert "INSECURE" in line and "PLAINTEXT" in line and LONG_POLL in line


def test_far_too_narrow_is_cut_with_an_ellipsis_not_wrapped() -> None:
    line = status_line(values(poller="backing off until 14:02:10 after 3 throttled polls"), 30).plain
    assert len(line) <= 30 and line.endswith("…")


@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80", "120"])
async def test_status_bar_is_one_screen_line_with_a_long_poller_text(tmp_path: Path, size: tuple[int, int]) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        app.update_status(poller=LONG_POLL)
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        assert bar.size.height == 1
        rows = screen_text(app).splitlines()
        assert "DEMO" in rows[0] and "test" in rows[0] and "ap-southeast-1" in rows[0] and LONG_POLL in rows[0]
        assert "project" not in rows[1] and "keyring" not in rows[1]
