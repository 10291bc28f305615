"""The lookup screen's image browser on the demo simulator: browse, filter as you type, eligible only, key filter,
sort, Enter looks up, pages read as you scroll (never the whole account up front), marks and "Copy N images…",
hostile names shown literally, a list that fails or is empty said in words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input

from imstui.api.errors import ApiError
from imstui.sim import fleet, seed
from imstui.ui.screens.batch_form import BatchFormScreen
from imstui.ui.screens.lookup import PAGE_SIZE, LookupScreen
from imstui.ui.widgets.image_browser import ImageBrowser

from .fakes import HOSTILE_NAME, demo_app, wait_until
from .screen_text import screen_text

SEEDED_LISTED = 20  # what the demo account lists: its own seeded images and the two shared ones it accepted


async def open_browser(pilot: Any, app: Any, *, done: bool = True) -> LookupScreen:
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    screen: LookupScreen = app.screen
    if done:
        await wait_until(pilot, lambda: screen.model.done)
    else:
        await wait_until(pilot, lambda: screen.model.loaded and not screen._loading)
    return screen


def shown_ids(screen: LookupScreen) -> list[str]:
    return [row.image.id for row in screen.model.shown]


@pytest.fixture
def many_images(monkeypatch: pytest.MonkeyPatch) -> int:
    """The demo account with 2,000 generated images on top of the seeded ones."""
    from imstui.sim import demo

    count = 2000
    real = demo.demo_backend
    monkeypatch.setattr(demo, "demo_backend", lambda **kw: real(**kw, generated_images=count))
    return count


async def test_browse_filter_as_you_type_eligible_only_and_sort(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        screen = await open_browser(pilot, app)
        assert screen.model.loaded == SEEDED_LISTED
        text = screen_text(app)
        assert "20 images (all)" in text and "sort: created (newest first)" in text
        assert "web-server-ubuntu22" in text and "win2019-legacy-erp" in text
        await pilot.press("/")  # from the empty id field: the filter
        assert app.focused is screen.query_one("#browser-filter", Input)
        await pilot.press(*"ubu")
        assert "web-server-ubuntu22" in screen_text(app)  # Ubuntu is the OS of most: still many rows
        await pilot.press(*"ntu22-x")
        await wait_until(pilot, lambda: not screen.model.shown)
        assert "0 shown" in screen_text(app)
        for _ in "ntu22-x":
            await pilot.press("backspace")
        await pilot.press("ctrl+u")  # the whole filter gone (Input: delete to the start)
        await wait_until(pilot, lambda: not screen.model.filtered)
        await pilot.press(*"win2019")
        await wait_until(pilot, lambda: shown_ids(screen) == [seed.WINDOWS_ID])
        assert "1 shown" in screen_text(app) and "✗ blocked" in screen_text(app)
        await pilot.press("enter")  # the filter's Enter goes to the list
        assert isinstance(app.focused, ImageBrowser)
        await pilot.press("e")  # eligible only: the Windows image is blocked
        await wait_until(pilot, lambda: not screen.model.shown)
        assert "eligible only" in screen_text(app)
        await pilot.press("escape")  # from the list, Esc leaves the screen
        await wait_until(pilot, lambda: not isinstance(app.screen, LookupScreen))


async def test_eligible_only_and_sort_by_name_and_size(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        screen = await open_browser(pilot, app)
        await pilot.press("down", "e")
        await wait_until(pilot, lambda: screen.model.eligible_only)
        assert screen.model.shown and all(row.eligible for row in screen.model.shown)
        assert "✗ blocked" not in screen_text(app)
        await pilot.press("e", "s")  # all again, sorted by name
        await wait_until(pilot, lambda: screen.model.sort == "name")
        names = [row.image.name.casefold() for row in screen.model.shown]
        assert names == sorted(names) and len(names) == SEEDED_LISTED
        assert "sort: name (A to Z)" in screen_text(app) and "Name ▲" in screen_text(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.model.sort == "size")
        sizes = [row.image.size_bytes for row in screen.model.shown if row.image.size_bytes is not None]
        assert sizes == sorted(sizes, reverse=True)
        assert screen.model.shown[0].image.id == seed.LARGE_ID  # 200 GiB first
        assert "Size ▼" in screen_text(app)


async def test_key_filter_takes_none_or_a_key_id(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(140, 34)) as pilot:
        screen = await open_browser(pilot, app)
        await pilot.press("down", "k")
        field = screen.query_one("#browser-key", Input)
        assert app.focused is field
        await pilot.press(*"none", "enter")
        await wait_until(pilot, lambda: screen.model.key_id is not None)
        assert screen.model.shown and all(not row.image.cmk_id for row in screen.model.shown)
        assert "encrypted with no key (unencrypted)" in screen_text(app)
        assert isinstance(app.focused, ImageBrowser)
        await pilot.press("k", "ctrl+u", *seed.DEMO_CMK_ID, "enter")
        await wait_until(pilot, lambda: screen.model.key_id == seed.DEMO_CMK_ID.lower())
        assert shown_ids(screen) and all(row.image.cmk_id == seed.DEMO_CMK_ID for row in screen.model.shown)
        await pilot.press("k", "ctrl+u", "enter")  # empty: any key
        await wait_until(pilot, lambda: screen.model.key_id is None)
        assert len(screen.model.shown) == SEEDED_LISTED


async def test_enter_on_a_row_looks_it_up_and_esc_comes_back_to_the_same_row(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_browser(pilot, app)
        target = shown_ids(screen).index(seed.ELIGIBLE_LINUX_ID)
        await pilot.press("down", *["down"] * target, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        assert screen.image is not None and screen.image.id == seed.ELIGIBLE_LINUX_ID
        assert "ELIGIBLE" in screen_text(app)
        assert not screen.query_one("#copy-button", Button).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.picker_shown)
        assert screen.highlighted_pick() == seed.ELIGIBLE_LINUX_ID
        screen.query_one("#image-id", Input).focus()
        await pilot.press("enter")  # Enter on the empty id field looks up the list's row, as before
        await wait_until(pilot, lambda: screen.image is not None)
        assert screen.image is not None and screen.image.id == seed.ELIGIBLE_LINUX_ID


async def test_pages_are_read_as_you_scroll_not_all_up_front(tmp_path: Path, many_images: int) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_browser(pilot, app, done=False)
        assert screen.model.loaded == PAGE_SIZE and not screen.model.done  # one page for one screenful
        assert f"{PAGE_SIZE} images, more as you scroll" in screen_text(app)
        await pilot.press("down")
        browser = screen.browser
        presses = 0
        while screen.model.loaded == PAGE_SIZE:  # PageDown toward the end of what is loaded reads the next page
            assert presses < PAGE_SIZE, "PageDown never read another page"
            await pilot.press("pagedown")
            presses += 1
        await wait_until(pilot, lambda: not screen._loading)
        assert browser.cursor > PAGE_SIZE - 100 and screen.model.loaded == 2 * PAGE_SIZE
        assert screen.model.loaded < many_images  # still not everything
        loaded = screen.model.loaded
        await pilot.press("up", "down")  # moving near the top reads nothing more
        await pilot.pause()
        assert screen.model.loaded == loaded
        while not screen.model.done:  # End, repeatedly: page after page until the account ends
            await pilot.press("end")
            await wait_until(pilot, lambda: not screen._loading)
        total = many_images + SEEDED_LISTED
        assert screen.model.loaded == total == len(set(shown_ids(screen)))
        assert f"{total:,} images (all)" in screen_text(app)
        # newest first: the shared images (seeded, newer) sit among the seeded ones, the oldest fleet image last
        assert shown_ids(screen)[-1] == fleet.fleet_image_id(many_images - 1)
        await pilot.press("end")
        assert browser.cursor_row is not None and browser.cursor_row.image.id == fleet.fleet_image_id(many_images - 1)


async def test_a_filter_keeps_reading_pages_until_it_has_rows_to_show(tmp_path: Path, many_images: int) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_browser(pilot, app, done=False)
        oldest = f"fleet-{many_images - 1:05d}"
        await pilot.press("/", *oldest)
        await wait_until(pilot, lambda: screen.model.done)  # only the last page has it: every page is read
        assert [row.image.name for row in screen.model.shown] == [f"{oldest}-debian"]
        assert oldest in screen_text(app)


async def test_marking_and_copy_n_images_opens_the_batch_form_with_exactly_the_marked(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_browser(pilot, app)
        button = screen.query_one("#copy-marked-button", Button)
        assert not button.display  # nothing marked: no copy button, c does nothing
        ids = shown_ids(screen)
        await pilot.press("down", "space", "space", "down", "space")  # rows 0 and 1 marked, 2 skipped, 3 marked
        await wait_until(pilot, lambda: screen.model.mark_count == 3)
        assert button.display and "Copy 3 images…" in str(button.label)
        assert "3 marked" in screen_text(app) and "●" in screen_text(app)
        await pilot.press("up", "up", "up", "space")  # (space moved the cursor on to row 4) row 1 unmarked again
        await wait_until(pilot, lambda: screen.model.mark_count == 2)
        marked = [ids[0], ids[3]]
        await pilot.press("/", *"batch-node")  # a filter hides them; they stay marked
        await wait_until(pilot, lambda: len(screen.model.shown) == 5)
        assert "2 marked (2 hidden by the filter)" in " ".join(screen_text(app).split())
        await pilot.press("enter", "plus")  # mark all shown: the five batch nodes
        await wait_until(pilot, lambda: screen.model.mark_count == 7)
        marked += [row.image.id for row in screen.model.shown]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchFormScreen))
        form = app.screen
        assert isinstance(form, BatchFormScreen)
        assert sorted(image.id for image in form.images) == sorted(marked) and len(form.images) == 7
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("minus")  # clear marks: the button goes
        await wait_until(pilot, lambda: screen.model.mark_count == 0)
        assert not button.display
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen


async def test_hostile_names_are_shown_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imstui.sim import demo

    real = demo.demo_backend

    def with_hostile(**kw: Any) -> Any:
        backend = real(**kw)
        backend.state.add_image(
            seed.make_image(
                "d3adbeef-2222-4aec-80f5-ef9d8009428f",
                HOSTILE_NAME,
                owner=backend.project_id,
                created_at="2026-02-01T00:00:00Z",  # the newest: the first row
            )
        )
        return backend

    monkeypatch.setattr(demo, "demo_backend", with_hostile)
    app = demo_app(tmp_path)
    async with app.run_test(size=(200, 34)) as pilot:
        screen = await open_browser(pilot, app)
        assert screen.model.shown[0].image.id == "d3adbeef-2222-4aec-80f5-ef9d8009428f"
        text = screen_text(app)
        assert "[/bad] [@click=app.quit]x[/] [b]bold" in text  # markup shown as typed
        assert "\x1b" not in text and "HACKED" not in app.title
        await pilot.press("down", "space")  # marking it repaints the line: still literal, still running
        assert app.is_running and "[@click=app.quit]" in screen_text(app)


async def test_a_refused_list_says_so_with_its_code_and_the_id_field_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imstui.api.image_list import ImageLister

    async def refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ApiError(403, "IMG.0006", "Forbidden: no permission to list images")

    monkeypatch.setattr(ImageLister, "_fetch", refused)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        await wait_until(pilot, lambda: screen.list_error is not None)
        text = " ".join(screen_text(app).split())
        assert "The image list could not be read" in text and "403" in text and "IMG.0006" in text
        assert "Type or paste an image id above" in text
        await pilot.press(*seed.ELIGIBLE_LINUX_ID, "enter")
        await wait_until(pilot, lambda: screen.image is not None)
        assert "ELIGIBLE" in screen_text(app)


async def test_an_empty_account_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imstui.ui.screens import lookup

    async def nothing(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return
        yield  # an async generator with no pages

    monkeypatch.setattr(lookup, "search_pages", nothing)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_browser(pilot, app)
        assert screen.model.loaded == 0
        assert "No images in this account" in " ".join(screen_text(app).split())
        await pilot.press("down")  # nothing to browse: the focus stays in the id field
        assert app.focused is screen.query_one("#image-id", Input)


async def test_a_row_read_again_is_painted_with_what_it_now_says() -> None:
    # The browser keeps painted rows; a row read again under the same id (renamed, another status) must not be
    # painted from that cache.
    from textual.app import App, ComposeResult

    from imstui.ui.browser_model import BrowserModel

    from .test_browser_model import make_row

    model = BrowserModel()
    model.add([make_row(1, "first-name")])

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield ImageBrowser(model)

    app = One()
    async with app.run_test(size=(120, 10)) as pilot:
        browser = app.query_one(ImageBrowser)
        await wait_until(pilot, lambda: "first-name" in screen_text(app))
        again = BrowserModel()
        again.add([make_row(1, "renamed-since")])
        assert again.shown[0].image.id == model.shown[0].image.id
        browser.model = again
        browser.refresh_view()
        await wait_until(pilot, lambda: "renamed-since" in screen_text(app))
        assert "first-name" not in screen_text(app)
