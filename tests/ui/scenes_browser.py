"""Scene of the lookup screen's image browser with marked images (ui/widgets/image_browser.py), for the snapshot
tests and the README's screenshot of the browser.

On the demo simulator: the account's images listed with a verdict each, three of them marked with space (the
"Copy 3 images…" button shown), the cursor on the next row, the list focused.
"""

from __future__ import annotations

from typing import Any

from .scenes import Scene, _open_lookup, _settle, demo_console


async def browser_marks(pilot: Any) -> None:
    from imstui.ui.widgets.image_browser import ImageBrowser

    app = pilot.app
    await _open_lookup(pilot)
    screen = app.screen
    await _settle(pilot, lambda: screen.model.done and not screen._loading, "every image of the account listed")
    browser = screen.query_one(ImageBrowser)
    browser.focus()
    await _settle(pilot, lambda: app.focused is browser, "the list focused")
    await pilot.press("space", "space", "down", "space")  # rows 0, 1 and 3 marked; the cursor moves on
    await _settle(pilot, lambda: screen.model.mark_count == 3, "three images marked")


SCENES = [
    Scene(
        "browser_marks",
        "lookup: the account's images with their verdicts, three marked for one batch copy",
        demo_console,
        browser_marks,
    ),
]
