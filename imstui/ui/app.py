"""The imstui console: :class:`ImstuiApp`, the shell around a core :class:`~imstui.core.session.Session`.

The app owns the session (API client, ledger, poller). The poller runs as an async worker of the app; its callbacks
post :class:`~imstui.ui.messages.PollerEvent` messages carrying the poller's own typed events (``JobChanged``,
``PollFailed``, ``PollerStatus``), handled on the event loop. Two reactives are the single source of what the
console shows about the connection: :attr:`ImstuiApp.poller_status` (the poller's last ``PollerStatus``, paused
included) and :attr:`ImstuiApp.status` (every status bar's fields). Every row change reaches the jobs panel through
one method, :meth:`ImstuiApp.job_changed`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker

from imstui.api.errors import ImstuiError
from imstui.ui import terminal
from imstui.ui.messages import PollerEvent
from imstui.ui.palette import ImstuiCommands, SafeCommandPalette
from imstui.ui.session import Connector, Console, preload_connection_stack
from imstui.ui.text import plain
from imstui.ui.widgets.status_bar import StatusBar, StatusValues, session_values

if TYPE_CHECKING:
    from imstui.api.models import Image
    from imstui.api.secret import Secret
    from imstui.core.ledger import JobRecord, LedgerError
    from imstui.core.poller import JobChanged, PollerStatus, PollFailed
    from imstui.core.secret_store import SecretStore
    from imstui.core.session import Session
    from imstui.ui.record_actions import RecordActions
    from imstui.ui.screens.copy_form import CopyFormScreen
    from imstui.ui.widgets.jobs_table import JobsPanel

__all__ = ["ImstuiApp", "ImstuiCommands"]

Clock = Callable[[], datetime]
EXIT_ON_READY_ENV = "IMSTUI_EXIT_ON_READY"
TERMINAL_LOST_EXIT = 1  # the exit code when the terminal goes away (SIGHUP, dead stdin)
TERMINAL_LOST_GRACE = 3.0  # seconds the orderly shutdown may take before the process ends itself


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ImstuiApp(App[int]):
    """Look up an image, copy it within its region, and watch the copy jobs."""

    CSS_PATH = "imstui.tcss"
    TITLE = "imstui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 - Textual API
    COMMANDS = App.COMMANDS | {ImstuiCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", show=False, id="help", tooltip="Show the keys that work here"),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding("l", "lookup", "Lookup", show=False, id="lookup", tooltip="Look up an image to copy"),
        Binding("a", "credentials", "Credentials", show=False, id="credentials", tooltip="Manage profiles (accounts)"),
        Binding("r", "poll_now", "Poll now", show=False, id="poll-now", tooltip="Poll unfinished jobs now"),
        Binding("p", "toggle_pause", "Pause", show=False, id="pause", tooltip="Pause or resume polling"),
        Binding("q", "quit", "Quit", id="quit"),
        # Priority: run as the key arrives. A screen's own Tab binding runs only once the unhandled key has bubbled
        # back to the app, after the rest of a fast burst went to the old focus (typed text then lost its Tabs).
        Binding("tab", "app.focus_next", "Focus Next", show=False, priority=True),  # Textual's words
        Binding("shift+tab", "app.focus_previous", "Focus Previous", show=False, priority=True),
    ]

    poller_status: var[PollerStatus | None] = var(None, init=False)
    """The poller's last reported state (running, paused, outstanding, next poll, back-off)."""
    status: var[StatusValues] = var(StatusValues(connection="connecting…"), always_update=True, init=False)
    """What every status bar shows."""

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
        self.set_reactive(ImstuiApp.status, StatusValues(connection="connecting…", demo=self.demo))
        self._status_text = ""  # the last poller state in words (a failed poll is shown until it changes)
        self._unsubscribe: Callable[[], None] | None = None
        self._loop_thread = threading.get_ident()
        self._terminal_gone = False
        self._frozen = False  # start-up's objects moved out of the collector's sight (once connected)

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
            self._unsubscribe()
            self._unsubscribe = None
        session, self.session = self.session, None
        if session is not None:
            try:
                await session.aclose()
            except Exception:  # noqa: S110 - best effort on shutdown
                pass

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    # ---------------------------------------------------------------- connecting

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, profile: str | None) -> None:
        """Build the session for ``profile`` (None: the active one); first run opens the credentials screen."""
        from imstui.core.context import MissingCredentialsError
        from imstui.core.keyring_backends import SecretStoreUnavailable

        self.update_status(connection="connecting…")
        try:
            await asyncio.to_thread(preload_connection_stack, self.connector.demo)
            session = await self.connector.connect(profile)
        except MissingCredentialsError as exc:
            self.update_status(connection="no credentials")
            self.notify(plain(exc.message), title="Set up a profile", severity="warning", markup=False)
            self.open_credentials(first_run=True)
            return
        except SecretStoreUnavailable as exc:
            if exc.wants_master_password:
                self.update_status(connection="keyring locked")
                wrong = exc.reason == "wrong-master-password"
                self.ask_master_password(profile, error=plain(str(exc)) if wrong else "")
                return
            self._cannot_connect(exc, exc.remedy)
            return
        except ImstuiError as exc:
            self._cannot_connect(exc, "")
            return
        await self.use_session(session)

    @work(group="ledger-pages", exit_on_error=False)
    async def _verify_ledger_pages(self, session: Session) -> None:
        """The ledger's every-page check, left by the connector for after the first screen of jobs (it reads the
        whole file). A damaged page ends the session as a damaged ledger at opening does: not connected, the
        error and its way out said once; the rows already on screen stay readable."""
        from imstui.core.ledger import LedgerError

        try:
            await asyncio.to_thread(session.ledger.verify_pages)
        except LedgerError as exc:
            await self._ledger_failed(session, exc)

    async def on_jobs_panel_ledger_unreadable(self, message: JobsPanel.LedgerUnreadable) -> None:
        await self._ledger_failed(self.session, message.error)

    async def _ledger_failed(self, session: Session | None, exc: LedgerError) -> None:
        """The ledger failed ``session`` while connected. Damaged: the session ends as a damaged ledger at opening
        ends it (not connected, the error and its way out said once: the panel's read and the page check may both
        find it). Otherwise (I/O, a lock held too long): said, and the session goes on."""
        from imstui.core.ledger import LedgerDamagedError

        if not isinstance(exc, LedgerDamagedError):
            self.notify(plain(str(exc)), title="The job ledger cannot be read", severity="warning", markup=False)
        elif session is not None and self.session is session:
            await self._close_session()
            self._cannot_connect(exc, "")

    def _cannot_connect(self, exc: ImstuiError, remedy: str) -> None:
        self.update_status(connection="not connected")
        text = plain(str(exc)) + (f"\n{plain(remedy)}" if remedy else "")
        self.notify(text, title="Cannot connect", severity="error", timeout=15, markup=False)

    def ask_master_password(self, profile: str | None, *, error: str = "") -> None:
        """Open the master-password modal for a password-based keyring, unlock it, then connect again."""
        from imstui.ui.screens.unlock import UnlockScreen

        store = self.connector.secret_store

        def unlocked(password: Secret | None) -> None:
            if password is None or store is None:
                self.update_status(connection="keyring locked (press a)")
                return
            self._unlock_and_connect(store, password, profile)

        self.push_screen(UnlockScreen("encrypted file", error=error), unlocked)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _unlock_and_connect(self, store: SecretStore, password: Secret, profile: str | None) -> None:
        try:
            await store.aunlock(password)
        except ImstuiError as exc:
            self.ask_master_password(profile, error=plain(str(exc)))
            return
        self.connect(profile)

    async def use_session(self, session: Session) -> None:
        await self._close_session()
        self.session = session
        self._unsubscribe = session.poller.subscribe(self._on_poller_callback)
        self.update_status(connection="")
        panel = self.jobs_panel()
        if panel is not None:
            # The panel reads the account's rows from the ledger a page at a time (the first screenful at once);
            # the history is never read into memory.
            panel.use_ledger(session.ledger.path, session.scope)
        self.run_worker(session.poller.run(), name="poller", group="poller", exclusive=True, exit_on_error=False)
        if not session.ledger.pages_checked:
            self._verify_ledger_pages(session)
        self.set_terminal_title(f"imstui {session.profile}" + (" (demo)" if session.demo else ""))
        self.call_after_refresh(self._prepare_connection, session)

    @work(group="prepare-connection", exit_on_error=False)
    async def _prepare_connection(self, session: Session) -> None:
        """Once the session is on screen: build its client's HTTP stack (httpx, the proxy and CA settings: left by
        the connector) and load what requests use, in a thread; a setting that cannot be used ends the session as
        at opening (not connected, the error said once). Then start-up's objects are frozen (once)."""
        try:
            await asyncio.to_thread(_prepare_requests, session)
        except Exception as exc:  # said if it is this session's (its text only if it is imstui's own: no secrets)
            if self.session is session:
                error = (
                    exc
                    if isinstance(exc, ImstuiError)
                    else ImstuiError(f"the client cannot be built ({type(exc).__name__})")
                )
                await self._close_session()
                self._cannot_connect(error, "")
            return
        if not self._frozen and self.session is session:
            self._frozen = True
            _freeze_startup_objects()

    def _on_poller_callback(self, event: JobChanged | PollFailed | PollerStatus) -> None:
        """Called by the poller (possibly from another thread): hand the event to the event loop."""
        message = PollerEvent(event)
        if threading.get_ident() == self._loop_thread:
            self.post_message(message)
        else:
            self.call_from_thread(self.post_message, message)

    # ---------------------------------------------------------------- messages

    @on(PollerEvent)
    def _poller_event(self, message: PollerEvent) -> None:
        from imstui.core.poller import JobChanged, PollerStatus, PollFailed
        from imstui.ui.poller_text import describe_event

        match message.event:
            case PollerStatus() as status:
                self.poller_status = status
            case PollFailed() as failed:
                self.update_status(poller=describe_event(failed, self.clock()))
                panel = self.jobs_panel()
                if panel is not None:
                    panel.poll_failed(failed)
            case JobChanged() as changed:
                self.job_changed(changed.record, changed.previous)

    def job_changed(self, record: JobRecord, previous: JobRecord | None = None) -> None:
        """The one way a new or changed ledger row reaches the jobs panel (poller events and new submissions)."""
        panel = self.jobs_panel()
        if panel is None:
            return
        try:
            panel.update_record(record, previous)
        except NoMatches:  # the panel is being torn down (the app is exiting)
            pass

    def watch_poller_status(self, status: PollerStatus | None) -> None:
        self._refresh_poller_text()
        panel = self.jobs_panel()
        if panel is not None:
            panel.set_poller_status(status)

    def _refresh_poller_text(self) -> None:
        from imstui.ui.poller_text import describe_status

        status = self.poller_status
        if status is None:
            return
        text = describe_status(status, self.clock())
        if text != self._status_text:
            self._status_text = text
            self.update_status(poller=text)

    @property
    def poller_text(self) -> str:
        """The poller's state as the status bar words it (empty before the first report)."""
        return self._status_text

    def on_jobs_panel_poll_now_requested(self) -> None:
        self.action_poll_now()

    def on_jobs_panel_pause_toggled(self) -> None:
        self.action_toggle_pause()

    def on_copy_form_screen_submitted(self, message: CopyFormScreen.Submitted) -> None:
        self.job_changed(message.record)  # submit_copy has already told the poller to follow it
        panel = self.jobs_panel()
        if panel is not None:
            panel.follow(message.record)  # the cursor goes to the job just submitted

    def on_record_actions_retry_requested(self, message: RecordActions.RetryRequested) -> None:
        self.open_retry(message.record)

    def on_record_actions_open_image_requested(self, message: RecordActions.OpenImageRequested) -> None:
        self.action_lookup(message.image_id)

    def on_record_actions_retry_tags_requested(self, message: RecordActions.RetryTagsRequested) -> None:
        from imstui.ui.tag_retry import retry_tags  # T: the tags again, never the copy (H1, tags on the copy)

        retry_tags(self, message.record)

    def jobs_panel(self) -> JobsPanel | None:
        """The jobs panel on the main screen, or None before it is mounted."""
        from imstui.ui.widgets.jobs_table import JobsPanel

        try:
            panel = self.screen_stack[0].query_one(JobsPanel)
        except (NoMatches, IndexError):
            return None
        return panel if panel.is_attached and panel.children else None

    # ---------------------------------------------------------------- status

    def update_status(self, *, connection: str | None = None, poller: str | None = None) -> None:
        """Refresh every status bar from the session, with a new connection state or poller text if given."""
        values = self.status if self.session is None else session_values(self.status, self.session)
        if connection is not None:
            values = replace(values, connection=connection)
        if poller is not None:
            values = replace(values, poller=poller)
        self.status = replace(values, demo=self.demo)

    def on_status_bar_mounted(self, message: StatusBar.Mounted) -> None:
        message.bar.values = self.status

    def watch_status(self, values: StatusValues) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.values = values

    def set_terminal_title(self, title: str) -> None:
        """Set the terminal window title from sanitised text (OSC 2), only on a real terminal."""
        terminal.set_title(self, title)

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

    def open_copy_form(self, image: Image, *, record: JobRecord | None = None) -> None:
        from imstui.ui.screens.copy_form import CopyFormScreen

        self.push_screen(CopyFormScreen(image, retry_of=record))

    @work(group="retry", exclusive=True, exit_on_error=False)
    async def open_retry(self, record: JobRecord) -> None:
        """Retry a failed copy: look the source image up again, then open the copy form pre-filled from ``record``."""
        session = self.session
        image_id = plain(record.source_image_id or "")
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
        """Poll every unfinished job once, paused or not, and say what that did (or why it waits)."""
        from imstui.ui.widgets.jobs_status import poll_now_text

        session = self.session
        if session is None:
            self.notify("Not connected: nothing to poll.", severity="warning", timeout=3, markup=False)
            return
        done = session.poller.poll_now()
        self.notify(poll_now_text(done.jobs, done.not_before, paused=session.poller.paused), timeout=3, markup=False)

    async def action_jobs(self, action: str) -> None:
        """Run a jobs panel action from the command palette (``filter``, ``sort``...) on the main screen."""
        panel = self.jobs_panel()
        if panel is None or self.screen is not self.screen_stack[0]:
            self.notify("Go back to the jobs list first (Esc).", severity="warning", timeout=3, markup=False)
            return
        await panel.run_action(action)

    def action_toggle_pause(self) -> None:
        """Pause or resume: the poller itself knows which it is (its ``PollerStatus`` then updates the screen)."""
        session = self.session
        if session is None:
            return
        if session.poller.paused:
            session.poller.resume()
            self.notify("Polling resumed.", timeout=2, markup=False)
        else:
            session.poller.pause()
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
        terminal.on_hangup(self._terminal_lost)

    def _check_terminal(self) -> None:
        if not terminal.stdin_alive():
            self._terminal_lost()

    def _terminal_lost(self) -> None:
        """Exit with :data:`TERMINAL_LOST_EXIT` (see :func:`imstui.ui.terminal.end_process_after` for why the
        process also ends itself after :data:`TERMINAL_LOST_GRACE` seconds)."""
        if self._terminal_gone:
            return
        self._terminal_gone = True
        if not self.is_headless:  # a real terminal only: never end a test process (Pilot runs headless)
            terminal.end_process_after(TERMINAL_LOST_GRACE, TERMINAL_LOST_EXIT)
        self.exit(return_code=TERMINAL_LOST_EXIT, message=Content("imstui: the terminal went away; exiting."))

    # ---------------------------------------------------------------- notifications

    def notify_untrusted(self, message: str, *, title: str = "", severity: str = "information") -> None:
        """Notify with text taken from the server or the user (never parsed as markup)."""
        self.notify(plain(message, multiline=True), title=plain(title), severity=severity, markup=False)  # type: ignore[arg-type]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "poller" and worker.error is not None:
            self.update_status(poller=f"stopped: {plain(str(worker.error))}")


def _freeze_startup_objects() -> None:
    """Collect once, then keep what start-up built (modules, widgets, the connection stack, the session) out of
    every later collection: a full collection then scans only what was made since, instead of stalling a keystroke
    for tens of milliseconds now and then."""
    import gc

    gc.collect()
    gc.freeze()


def _prepare_requests(session: Session) -> None:
    """What a session's first request needs, built and loaded now (run in a thread): the client's HTTP stack and,
    for the demo, the simulator's HTTP layer (:func:`imstui.connect.warm_demo_requests`)."""
    session.prepare_connection()
    if session.demo:
        from imstui.connect import warm_demo_requests

        warm_demo_requests()


def _is_a_console(app: ImstuiApp) -> Console:
    return app  # mypy checks here that the app gives the screens what imstui.ui.session.Console promises
