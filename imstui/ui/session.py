"""What the console connects through: a :class:`Connector` turns a profile name into a core
:class:`~imstui.core.session.Session` (API client, ledger, poller).

The app never builds clients itself. The real connectors live in :mod:`imstui.ui.connectors` (the simulator for
``--demo``, stored profiles otherwise); tests pass small fakes that satisfy the same protocol. A first run (no
profile, no keys) is :class:`~imstui.core.context.MissingCredentialsError`, raised by ``connect``. Nothing heavy is
imported here: the first screen paints before httpx, keyring or the simulator load.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from imstui.api.models import Image
    from imstui.core.ledger import JobRecord
    from imstui.core.profiles import ProfileStore
    from imstui.core.secret_store import SecretStore
    from imstui.core.session import Session

__all__ = ["Connector", "Console", "console", "preload_connection_stack"]


class Connector(Protocol):
    """Builds sessions. ``demo`` connectors never touch the keyring or the network."""

    @property
    def demo(self) -> bool: ...

    @property
    def profile_store(self) -> ProfileStore | None:
        """The stored profiles (None in demo mode)."""

    @property
    def secret_store(self) -> SecretStore | None:
        """Where the profiles' keys are kept (None in demo mode)."""

    async def connect(self, profile: str | None) -> Session:
        """Connect ``profile`` (None: the active/default one). Raises ``MissingCredentialsError`` on a first run,
        ``SecretStoreUnavailable`` when the keyring cannot be read, ``ConfigurationError`` for unusable settings."""


class Console(Protocol):
    """What the screens use of the app (``ImstuiApp`` is one; ``imstui.ui.app`` checks it statically). Screens reach
    it through :func:`console`, so they need no import of the app module (which imports them)."""

    @property
    def session(self) -> Session | None: ...

    @property
    def connector(self) -> Connector: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    def update_status(self, *, connection: str | None = None, poller: str | None = None) -> None: ...

    def open_copy_form(self, image: Image, *, record: JobRecord | None = None) -> None: ...

    def connect(self, profile: str | None) -> object: ...


def console(node: DOMNode) -> Console:
    """The app ``node`` runs in, as the screens see it."""
    return cast("Console", node.app)


def preload_connection_stack(demo: bool) -> None:
    """Import the connection stack (run off the event loop, so the first screen stays responsive while it loads)."""
    import importlib

    from imstui.ui.launch import release_collections

    # The main screen's batch rows read the account's batches as soon as it connects (the store and the outcome
    # words only: the planner and the submitter load when a batch is planned or sent).
    modules = ["imstui.api.client", "imstui.core.session", "imstui.core.submit"]
    modules += ["imstui.core.batch.store", "imstui.core.batch.outcome"]
    modules += (
        ["imstui.connect", "imstui.sim.demo"] if demo else ["imstui.core.credential_source", "imstui.core.secret_store"]
    )
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        release_collections()  # start-up's allocations are over (imstui.ui.launch.hold_collections)
