"""The console shell: terminal refusal before Textual loads, DEMO header, help with live bindings, palette, watchdog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandPalette

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.core.session import Session
from imstui.ui.launch import terminal_problem
from imstui.ui.palette import ImstuiCommands
from imstui.ui.screens.help import HelpScreen, key_label
from imstui.ui.screens.lookup import LookupScreen

from .fakes import demo_app, wait_until
from .screen_text import screen_text


def run_imstui(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "imstui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_non_tty_stdout_is_refused_with_exit_2_and_no_escape_codes() -> None:
    result = run_imstui("--demo")
    assert result.returncode == 2
    assert b"\x1b" not in result.stdout and b"\x1b" not in result.stderr
    assert b"needs an interactive terminal" in result.stderr
    assert b"imstui copy" in result.stderr


def test_dumb_terminal_is_refused() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    tty = Tty()
    assert terminal_problem(tty, tty, {"TERM": "dumb"}) is not None  # type: ignore[arg-type]
    assert terminal_problem(tty, tty, {}) is not None  # type: ignore[arg-type]
    assert terminal_problem(tty, tty, {"TERM": "xterm-256color"}) is None  # type: ignore[arg-type]


def test_refusal_happens_before_textual_is_imported() -> None:
    code = (
        "import sys, argparse\n"
        "from imstui.ui.launch import run_console\n"
        "rc = run_console(argparse.Namespace(demo=True))\n"
        "print(rc, 'textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False
    )
    assert result.stdout.split() == [b"2", b"False"]


async def test_demo_header_and_help_lists_live_bindings(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        assert "DEMO" in screen_text(app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        for expected in ("Lookup", "Credentials", "Quit", "Filter", "Retry"):
            assert expected in text
        await pilot.press("escape")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "Keys on the Lookup screen" in text and "Refresh" in text


def test_key_labels_read_like_keys() -> None:
    assert key_label("question_mark") == "?"
    assert key_label("ctrl+p") == "Ctrl+p" or key_label("ctrl+p") == "Ctrl+P"
    assert key_label("f2") == "F2"


def test_no_binding_uses_keys_that_do_not_survive_ssh_or_tmux() -> None:
    from imstui.ui.app import ImstuiApp
    from imstui.ui.screens.confirm import ConfirmScreen
    from imstui.ui.screens.copy_form import CopyFormScreen
    from imstui.ui.screens.credentials import CredentialsScreen

    bad = {"ctrl+m", "ctrl+h", "ctrl+i", "ctrl+["} | {f"ctrl+{d}" for d in "0123456789"}
    for owner in (ImstuiApp, LookupScreen, CopyFormScreen, CredentialsScreen, ConfirmScreen, HelpScreen):
        for binding in owner.BINDINGS:
            keys = binding.key if isinstance(binding, Binding) else binding[0]
            assert not set(str(keys).split(",")) & bad, (owner, keys)


async def test_command_palette_offers_the_main_actions(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        assert ImstuiCommands in app.COMMANDS
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"look up")
        await wait_until(pilot, lambda: "image: Look up an image" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))


async def test_watchdog_exits_when_the_terminal_goes_away(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)

        class Gone:
            def isatty(self) -> bool:
                return False

        monkeypatch.setattr(sys, "stdin", Gone())
        app._check_terminal()
        await pilot.pause()
        assert app.return_code == 1


async def test_footer_is_rebuilt_only_when_its_keys_change(tmp_path: Path) -> None:
    from textual.widgets import Footer as TextualFooter
    from textual.widgets._footer import FooterKey

    from imstui.ui.widgets import footer as footer_module

    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        footer: footer_module.Footer = app.screen.query_one(footer_module.Footer)
        assert isinstance(footer, TextualFooter)  # the CSS type and the queries for Textual's footer still match it
        await wait_until(pilot, lambda: footer.rebuilds >= 1 and footer.query(FooterKey))
        before = footer.rebuilds
        shown = [key.key for key in footer.query(FooterKey)]
        assert "q" in shown and "slash" in shown
        for _ in range(3):  # the same keys announced again: nothing rebuilt
            app.screen.refresh_bindings()
            await pilot.pause()
        await pilot.pause()
        assert footer.rebuilds == before
        assert [key.key for key in footer.query(FooterKey)] == shown
        footer.show_command_palette = False  # what the keys would show changed: rebuilt once, without the palette
        app.screen.refresh_bindings()
        await wait_until(pilot, lambda: footer.rebuilds == before + 1)
        assert not footer.query("FooterKey.-command-palette")


async def test_a_damaged_page_found_after_connecting_ends_the_session_with_the_way_out(
    tmp_path: Path, one_page_damaged: tuple[Path, int]
) -> None:
    # The profile connector leaves the ledger's every-page check for after the first screen of jobs; a damaged
    # page then ends the session as at opening: not connected, the error with its remedy said once, no poller.
    from imstui.ui.app import ImstuiApp

    from .fakes import FROZEN, FakeConnector

    assert one_page_damaged[0] == tmp_path / "jobs.sqlite3"  # the ledger FakeConnector opens
    connector = FakeConnector(tmp_path, check_pages=False)
    app = ImstuiApp(connector, clock=lambda: FROZEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: connector.session is not None)  # opened: the damage was not found then
        await wait_until(pilot, lambda: app.session is None and app.status.connection == "not connected")
        damaged = [n for n in app._notifications if "is damaged" in n.message]
        assert len(damaged) == 1 and "malformed" in damaged[0].message and "imstui jobs export" in damaged[0].message
        assert connector.session is not None and not connector.session.poller.running


async def test_a_proxy_or_ca_setting_that_cannot_be_used_ends_the_session_once_it_is_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The console's connectors leave the client's HTTP stack for after the session is on screen (defer_http): a
    # wrong SSL_CERT_FILE then ends the session as at opening (not connected, the error naming the variable once).
    from imstui.api.client import ImsClient
    from imstui.ui.app import ImstuiApp

    from .fakes import FROZEN, PROJECT, REGION, FakeConnector

    class DeferredClientConnector(FakeConnector):
        async def connect(self, profile: str | None) -> Session:
            session = await super().connect(profile)
            session.api = ImsClient(
                credentials=Credentials("AK", Secret("SK")), region=REGION, project_id=PROJECT, defer_http=True
            )
            return session

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    connector = DeferredClientConnector(tmp_path, demo=False)
    app = ImstuiApp(connector, clock=lambda: FROZEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: connector.session is not None)
        await wait_until(pilot, lambda: app.session is None and app.status.connection == "not connected")
        said = [n for n in app._notifications if "SSL_CERT_FILE" in n.message]
        assert len(said) == 1 and said[0].title == "Cannot connect"


async def test_the_demo_console_prepares_its_client_once_connected(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await wait_until(pilot, lambda: app.session is not None and app.session.api._http_client is not None)
        assert app.status.connection == ""
