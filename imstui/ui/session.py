"""What the console is connected to: one :class:`Session` per active profile, built by a :class:`Connector`.

The app never builds clients itself. A connector turns a profile name into an API client, a ledger and a poller;
``connector_for_args`` is the real one (the simulator for ``--demo``, the stored profile otherwise) and tests pass
small fakes. Everything heavy (httpx, keyring, the simulator) is imported inside ``connect`` so the first screen
paints before those imports run.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any, Protocol

from imstui.api.protocol import ImsApi

DEMO_PROFILE = "demo"
DEMO_SPEED_ENV = "IMSTUI_DEMO_SPEED"


@dataclass(frozen=True)
class KeyringVerdict:
    """The secret store backend as the status bar and the credentials screen show it."""

    name: str
    secure: bool
    description: str = ""
    remedies: tuple[str, ...] = ()
    plaintext_opt_in: bool = False

    @property
    def label(self) -> str:
        if self.plaintext_opt_in:
            return f"{self.name} PLAINTEXT (opted in)"
        return f"{self.name} ({'secure' if self.secure else 'INSECURE'})"


@dataclass
class Session:
    """A connected profile: the API client, the job ledger and the poller that watches the ledger's jobs."""

    api: ImsApi
    profile: str
    region: str
    project_id: str | None
    ledger: Any
    poller: Any
    demo: bool = False
    keyring: KeyringVerdict | None = None
    closers: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        stop = getattr(self.poller, "stop", None)
        if callable(stop):
            result = stop()
            if hasattr(result, "__await__"):
                await result
        await self.api.aclose()
        for closer in self.closers:
            result = closer()
            if hasattr(result, "__await__"):
                await result


class NeedsCredentials(Exception):
    """No usable profile yet (first run, or the selected profile has no stored secret)."""

    def __init__(self, message: str, profile: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.profile = profile


class Connector(Protocol):
    """Builds sessions. ``demo`` connectors never touch the keyring or the network."""

    @property
    def demo(self) -> bool: ...

    @property
    def profile_store(self) -> Any:
        """``imstui.core.profiles.ProfileStore`` (None in demo mode)."""

    @property
    def secret_store(self) -> Any:
        """``imstui.core.secret_store.SecretStore`` (None in demo mode)."""

    async def connect(self, profile: str | None) -> Session:
        """Connect ``profile`` (None: the active/default one). Raises :class:`NeedsCredentials` on first run."""


def demo_speed(env: dict[str, str] | None = None) -> float:
    """``IMSTUI_DEMO_SPEED`` (a factor: 10 makes simulated jobs ten times faster); 1.0 when unset or invalid."""
    raw = (os.environ if env is None else env).get(DEMO_SPEED_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def connector_for_args(args: argparse.Namespace) -> Connector:
    from imstui.ui.connectors import DemoConnector, ProfileConnector

    if getattr(args, "demo", False):
        return DemoConnector(speed=demo_speed())
    return ProfileConnector(args)
