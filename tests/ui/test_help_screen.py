"""``?``: imstui's keys grouped by screen (none of Textual's internals), what each status means, the field rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding

from imstui.core.jobs import Phase
from imstui.core.wording import look_of
from imstui.ui.screens.help import HelpScreen, key_label
from imstui.ui.widgets.jobs_grid import JobsTable
from imstui.ui.widgets.jobs_table import JobsPanel

from .fakes import FakeApi, fake_app, wait_until
from .jobs_factory import rendered_text


async def open_help(tmp_path: Path) -> tuple[str, str]:
    app = fake_app(tmp_path, FakeApi())
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        here = rendered_text(app.screen.query_one("#help-keys"))
        reference = rendered_text(app.screen.query_one("#help-reference"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))
    return here, reference


@pytest.fixture
async def help_text(tmp_path: Path) -> tuple[str, str]:
    return await open_help(tmp_path)


async def test_help_lists_every_key_of_the_jobs_panel_with_what_it_does(help_text: tuple[str, str]) -> None:
    here, _ = help_text
    for host in (JobsPanel, JobsTable):
        for binding in host.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.key == "escape":
                continue  # Esc clears a filter only while one is shown
            line = next(
                (line for line in here.splitlines() if line.strip().startswith(key_label(binding.key) + " ")), ""
            )
            assert (binding.tooltip or binding.description) in line, binding.key
    for key in ("a", "l", "q", "?"):
        assert any(line.strip().startswith(key + " ") for line in here.splitlines()), key


async def test_help_shows_no_textual_internals(help_text: tuple[str, str]) -> None:
    text = "\n".join(help_text)
    for internal in ("Super", "Ctrl+Pagedown", "Ctrl+Pageup", "Scroll", "Ctrl+C"):
        assert internal not in text, internal


async def test_help_groups_keys_by_screen_and_explains_statuses_and_field_rules(help_text: tuple[str, str]) -> None:
    _, reference = help_text
    for group in ("Everywhere", "Jobs (main screen)", "Job details", "Lookup", "Copy form", "Credentials"):
        assert group in reference, group
    for phase in Phase:
        assert look_of(phase).word in reference, phase
    assert "no line breaks" in reference and "128" in reference
