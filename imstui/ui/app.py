"""The imstui console: :class:`ImstuiApp` (the shell) and its command-palette provider.

The app owns the :class:`~imstui.ui.session.Session` (API client, ledger, poller). The poller runs as an async
worker of the app; its callbacks post :class:`~imstui.ui.messages.PollerEvent` messages, which the app turns into
status-bar text and jobs-panel updates on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker

from imstui.api.errors import ImstuiError
from imstui.api.models import Image
from imstui.ui.messages import JobSubmitted, OpenImageRequested, PollerEvent, RetryCopyRequested, StatusChanged
from imstui.ui.session import Connector, NeedsCredentials, Session
from imstui.ui.text import plain, terminal_title
from imstui.ui.widgets.jobs_table import PauseToggled, PollNowRequested

Clock = Callable[[], datetime]
EXIT_ON_READY_ENV = "IMSTUI_EXIT_ON_READY"
TERMINAL_LOST_EXIT = 1  # the exit code when the terminal goes away (SIGHUP, dead stdin)
TERMINAL_LOST_GRACE = 3.0  # seconds the orderly shutdown may take before the process ends itself


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ImstuiCommands(Provider):
    """Command-palette entries for the main actions (``category: Verb`` titles)."""

    COMMANDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("image: Look up an image", "lookup", "Type or paste an image id and check whether it can be copied"),
        ("jobs: Poll now", "poll_now", "Ask IMS for the status of every unfinished copy job now"),
        ("jobs: Pause or resume polling", "toggle_pause", "Stop or restart the automatic job polling"),
        ("credentials: Manage profiles", "credentials", "Create, edit, select, test or delete a profile"),
        ("help: Show key bindings", "help", "List the keys that work on the current screen"),
        ("app: Quit", "quit", "Leave imstui (jobs keep running on the server)"),
    )

    def _command(self, action: str) -> Callable[[], Any]:
        app = self.app
        return partial(app.run_action, action)

    async def discover(self) -> Hits:
        for title, action, help_text in self.COMMANDS:
            yield DiscoveryHit(title, self._command(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self.COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._command(action), help=help_text)


class ImstuiApp(App[int]):
    """Look up an image, copy it within its region, and watch the copy jobs."""

    CSS_PATH = "imstui.tcss"
    TITLE = "imstui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 - Textual API
    COMMANDS = App.COMMANDS | {ImstuiCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Show the keys that work here"),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding("l", "lookup", "Lookup", id="lookup", tooltip="Look up an image to copy"),
        Binding("k", "credentials", "Credentials", id="credentials", tooltip="Manage credential profiles"),
        Binding("r", "poll_now", "Poll now", id="poll-now", tooltip="Poll unfinished jobs now"),
        Binding("p", "toggle_pause", "Pause", id="pause", tooltip="Pause or resume polling"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        connector: Connector,
        *,
        demo: bool = False,
        watch_terminal: bool = False,
        clock: Clock | None = None,
        profile: str | None = None,
    ) -> None:
        super().__init__()
        self.connector = connector
        self.demo = demo or connector.demo
        self.watch_terminal = watch_terminal
        self.clock: Clock = clock or utc_now
        self.initial_profile = profile
        self.session: Session | None = None
        self.poller_paused = False
        self.poller_text = ""
        self._poller_status: Any = None
        self.status_values: dict[str, Any] = {"connection": "connecting…", "demo": self.demo}
        self._unsubscribe: Callable[[], Any] | None = None
        self._loop_thread = threading.get_ident()
        self._ready_hook: Callable[[], None] | None = None
        self.last_error: str = ""
        self._terminal_gone = False

    # ---------------------------------------------------------------- lifecycle

    def get_default_screen(self) -> Screen[Any]:
        from imstui.ui.screens.main import MainScreen

        return MainScreen()

    def on_mount(self) -> None:
        self.set_terminal_title("imstui" + (" (demo)" if self.demo else ""))
        if self.watch_terminal:
            self._start_terminal_watchdog()
        self.set_interval(1, self._refresh_poller_text, name="poller-countdown")

    def on_ready(self) -> None:
        if self._ready_hook is not None:
            self._ready_hook()
        if os.environ.get(EXIT_ON_READY_ENV):
            # benchmarks/startup_bench.py: the first screen is interactive; stop here.
            self.exit(return_code=0)
            return
        # Connect only once the first screen is up: the client, keyring and simulator imports come after it.
        self.connect(self.initial_profile)

    async def on_unmount(self) -> None:
        await self._close_session()

    async def _close_session(self) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # noqa: S110 - best effort on shutdown
                pass
            self._unsubscribe = None
        session, self.session = self.session, None
        if session is not None:
            try:
                await session.aclose()
            except Exception:  # noqa: S110 - best effort on shutdown
                pass

    # ---------------------------------------------------------------- connecting

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, profile: str | None) -> None:
        """Build the session for ``profile`` (None: the active one); first run opens the credentials screen."""
        self.update_status(connection="connecting…")
        try:
            await asyncio.to_thread(_preload, self.connector.demo)
            session = await self.connector.connect(profile)
        except NeedsCredentials as exc:
            self.update_status(connection="no credentials")
            self.notify(plain(exc.message), title="Set up a profile", severity="warning", markup=False)
            self.open_credentials(first_run=True)
            return
        except ImstuiError as exc:
            reason = getattr(exc, "reason", None)
            if reason in ("needs-master-password", "wrong-master-password"):
                self.update_status(connection="keyring locked")
                self.ask_master_password(profile, error=plain(str(exc)) if reason == "wrong-master-password" else "")
                return
            self.update_status(connection="not connected")
            self.last_error = plain(str(exc))
            remedy = getattr(exc, "remedy", "")
            text = self.last_error + (f"\n{plain(remedy)}" if remedy else "")
            self.notify(text, title="Cannot connect", severity="error", timeout=15, markup=False)
            return
        await self.use_session(session)

    def ask_master_password(self, profile: str | None, *, error: str = "") -> None:
        """Open the master-password modal for a password-based keyring, unlock it, then connect again."""
        from imstui.ui.screens.unlock import UnlockScreen

        store = self.connector.secret_store
        info_name = "encrypted file"

        def unlocked(password: Any) -> None:
            if password is None:
                self.update_status(connection="keyring locked (press k)")
                return
            self._unlock_and_connect(store, password, profile)

        self.push_screen(UnlockScreen(info_name, error=error), unlocked)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _unlock_and_connect(self, store: Any, password: Any, profile: str | None) -> None:
        try:
            await store.aunlock(password)
        except ImstuiError as exc:
            self.ask_master_password(profile, error=plain(str(exc)))
            return
        self.connect(profile)

    async def use_session(self, session: Session) -> None:
        await self._close_session()
        self.session = session
        subscribe = getattr(session.poller, "subscribe", None)
        if callable(subscribe):
            unsubscribe = subscribe(self._on_poller_callback)
            self._unsubscribe = unsubscribe if callable(unsubscribe) else None
        self.update_status(connection="")
        self.post_message(StatusChanged())
        self._load_jobs(session)
        self.run_worker(self._run_poller(session), name="poller", group="poller", exclusive=True, exit_on_error=False)
        self.set_terminal_title(f"imstui {session.profile}" + (" (demo)" if session.demo else ""))

    def _load_jobs(self, session: Session) -> None:
        panel = self.jobs_panel()
        if panel is None:
            return
        records = list(_ledger_records(session.ledger, session.profile))
        panel.load(records)

    async def _run_poller(self, session: Session) -> None:
        run = getattr(session.poller, "run", None)
        if callable(run):
            await run()

    def _on_poller_callback(self, event: object) -> None:
        """Called by the poller (possibly from another thread): hand the event to the event loop."""
        message = PollerEvent(event)
        if threading.get_ident() == self._loop_thread:
            self.post_message(message)
        else:
            self.call_from_thread(self.post_message, message)

    # ---------------------------------------------------------------- messages

    @on(PollerEvent)
    def _poller_event(self, message: PollerEvent) -> None:
        event = message.event
        kind = type(event).__name__
        if kind == "PollerStatus":
            self._poller_status = event
            self.poller_paused = bool(getattr(event, "paused", False))
            self._refresh_poller_text()
        elif kind == "PollFailed":
            from imstui.ui.poller_text import describe_event

            self.update_status(poller=describe_event(event, self.clock()))
        panel = self.jobs_panel()
        if panel is not None:
            try:
                panel.handle_poller_event(event)
            except NoMatches:  # the panel is being torn down (the app is exiting)
                pass

    def _refresh_poller_text(self) -> None:
        from imstui.ui.poller_text import describe_status

        if self._poller_status is None:
            return
        text = describe_status(self._poller_status, self.clock())
        if text != self.poller_text:
            self.poller_text = text
            self.update_status(poller=text)

    @on(PollNowRequested)
    def _poll_now_requested(self, message: PollNowRequested) -> None:
        message.stop()
        self.action_poll_now()

    @on(PauseToggled)
    def _pause_toggled(self, message: PauseToggled) -> None:
        message.stop()
        self.action_toggle_pause()

    @on(JobSubmitted)
    def _job_submitted(self, message: JobSubmitted) -> None:
        session = self.session
        panel = self.jobs_panel()
        if panel is not None:
            panel.update_record(message.record)
        if session is not None and message.job_id:
            track = getattr(session.poller, "track", None)
            if callable(track):
                track(message.job_id)

    @on(RetryCopyRequested)
    def _retry_requested(self, message: RetryCopyRequested) -> None:
        self.open_retry(message.record)

    @on(OpenImageRequested)
    def _open_image(self, message: OpenImageRequested) -> None:
        self.action_lookup(message.image_id)

    def jobs_panel(self) -> Any:
        """The jobs panel on the main screen, or None before it is mounted."""
        from imstui.ui.widgets.jobs_table import JobsPanel

        try:
            panel = self.get_default_screen_instance().query_one(JobsPanel)
        except (NoMatches, IndexError):
            return None
        return panel if panel.is_attached and panel.children else None

    def get_default_screen_instance(self) -> Screen[Any]:
        return self.screen_stack[0]

    # ---------------------------------------------------------------- status

    def update_status(self, **values: Any) -> None:
        from imstui.ui.widgets.status_bar import StatusBar

        session = self.session
        if session is not None:
            values.setdefault("profile", session.profile)
            values.setdefault("region_id", session.region)
            values.setdefault("project", session.project_id or getattr(session.api, "project_id", None) or "")
            if session.keyring is not None:
                values.setdefault("keyring", session.keyring.label)
                values.setdefault("keyring_warning", not session.keyring.secure)
                values.setdefault("plaintext", session.keyring.plaintext_opt_in)
        values.setdefault("demo", self.demo)
        self.status_values.update({k: ("" if v is None else v) for k, v in values.items()})
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                self.apply_status(bar)

    def apply_status(self, bar: Any) -> None:
        """Copy the current status values onto a status bar (new screens call this when their bar mounts)."""
        for key, value in self.status_values.items():
            setattr(bar, key, value)

    def set_terminal_title(self, title: str) -> None:
        """Set the terminal window title from sanitised text (OSC 2), only on a real terminal."""
        safe = terminal_title(title)
        if self.is_headless or not safe:
            return
        driver = self._driver
        if driver is not None:
            driver.write(f"\x1b]2;{safe}\x07")

    # ---------------------------------------------------------------- actions

    def action_help(self) -> None:
        from imstui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    def action_lookup(self, image_id: str | None = None) -> None:
        from imstui.ui.screens.lookup import LookupScreen

        if isinstance(self.screen, LookupScreen):
            if image_id:
                self.screen.look_up(image_id)
            return
        self.push_screen(LookupScreen(image_id=image_id))

    def action_credentials(self) -> None:
        self.open_credentials(first_run=False)

    def open_credentials(self, *, first_run: bool) -> None:
        from imstui.ui.screens.credentials import CredentialsScreen

        if isinstance(self.screen, CredentialsScreen):
            return
        self.push_screen(CredentialsScreen(first_run=first_run))

    def open_copy_form(self, image: Image, *, record: object | None = None) -> None:
        from imstui.ui.screens.copy_form import CopyFormScreen

        self.push_screen(CopyFormScreen(image, retry_of=record))

    @work(group="retry", exclusive=True, exit_on_error=False)
    async def open_retry(self, record: object) -> None:
        """Retry a failed copy: look the source image up again, then open the copy form pre-filled from ``record``."""
        session = self.session
        image_id = plain(getattr(record, "source_image_id", "") or getattr(record, "image_id", ""))
        if session is None or not image_id:
            self.notify("Not connected: cannot retry yet.", severity="warning", markup=False)
            return
        try:
            image = await session.api.get_image(image_id)
        except ImstuiError as exc:
            self.notify(plain(str(exc)), title="Cannot retry", severity="error", markup=False)
            return
        self.open_copy_form(image, record=record)

    def action_poll_now(self) -> None:
        session = self.session
        if session is None:
            return
        poll_now = getattr(session.poller, "poll_now", None)
        if callable(poll_now):
            poll_now()
            self.notify("Polling now.", timeout=2, markup=False)

    def action_toggle_pause(self) -> None:
        session = self.session
        if session is None:
            return
        if self.poller_paused:
            session.poller.resume()
            self.poller_paused = False
            self.notify("Polling resumed.", timeout=2, markup=False)
        else:
            session.poller.pause()
            self.poller_paused = True
            self.notify("Polling paused: press p to resume.", timeout=2, markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own entries minus "Screenshot", which could save a screen holding secrets to a file.
        for command in super().get_system_commands(screen):
            if command.title.lower().startswith("screenshot"):
                continue
            yield command

    # ---------------------------------------------------------------- terminal watchdog

    def _start_terminal_watchdog(self) -> None:
        """Exit when the terminal goes away (an SSH drop) instead of spinning on a dead TTY (dolphie's guard)."""
        self.set_interval(5, self._check_terminal, name="terminal-watchdog")
        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self._terminal_lost)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass

    def _check_terminal(self) -> None:
        try:
            alive = sys.stdin is not None and sys.stdin.isatty()
        except (ValueError, OSError):
            alive = False
        if not alive:
            self._terminal_lost()

    def _terminal_lost(self) -> None:
        """Exit with :data:`TERMINAL_LOST_EXIT`. The orderly shutdown writes to the terminal, and with the pty gone
        Textual's output thread can block it for ever (seen with ``tmux kill-session``: the kernel's SIGHUP comes
        with a SIGCONT, and the writes to the dead pty fail), so a daemon timer ends the process after
        :data:`TERMINAL_LOST_GRACE` seconds if the shutdown has not. Nothing is lost: every ledger write is an
        already committed SQLite transaction and the poller's GETs are safe to abandon."""
        if self._terminal_gone:
            return
        self._terminal_gone = True
        if not self.is_headless:  # a real terminal only: never end a test process (Pilot runs headless)
            timer = threading.Timer(TERMINAL_LOST_GRACE, os._exit, args=(TERMINAL_LOST_EXIT,))
            timer.daemon = True
            timer.start()
        self.exit(return_code=TERMINAL_LOST_EXIT, message=Content("imstui: the terminal went away; exiting."))

    # ---------------------------------------------------------------- notifications

    def notify_untrusted(self, message: str, *, title: str = "", severity: str = "information") -> None:
        """Notify with text taken from the server or the user (never parsed as markup)."""
        self.notify(plain(message, multiline=True), title=plain(title), severity=severity, markup=False)  # type: ignore[arg-type]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "poller" and worker.error is not None:
            self.update_status(poller=f"stopped: {plain(str(worker.error))}")


def _preload(demo: bool) -> None:
    """Import the connection stack off the event loop, so the screen stays responsive while it loads."""
    import importlib

    modules = ["imstui.api.client", "imstui.core.ledger", "imstui.core.poller", "imstui.core.submit"]
    modules += ["imstui.sim.demo"] if demo else ["imstui.core.credential_source", "imstui.core.secret_store"]
    for name in modules:
        importlib.import_module(name)


def _ledger_records(ledger: Any, profile: str) -> Iterable[Any]:
    if ledger is None:
        return ()
    for name in ("records", "list", "all"):
        method = getattr(ledger, name, None)
        if callable(method):
            try:
                return [r for r in method() if getattr(r, "profile", profile) == profile]
            except TypeError:
                continue
    return ()


def stylesheet_path() -> Path:
    return Path(__file__).with_name("imstui.tcss")
