"""The real connectors: the in-process simulator (``--demo``) and stored profiles (everything else).

Both open their session with the core's one factory (:func:`imstui.core.session.open_session`); the demo one through
:mod:`imstui.connect`, the edge that knows the simulator. httpx, keyring and the simulator are imported only when
the console starts connecting, after the first screen is up.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imstui.core.profiles import ProfileStore
    from imstui.core.secret_store import SecretStore
    from imstui.core.session import Session
    from imstui.ui.session import Connector

__all__ = ["DemoConnector", "ProfileConnector", "connector_for_args"]


class DemoConnector:
    """The in-process simulator with seeded images: no keyring, no network. Jobs go to the ``demo`` profile."""

    def __init__(self, speed: float = 1.0, *, ledger_path: Path | None = None) -> None:
        self.speed = speed
        self.ledger_path = ledger_path

    @property
    def demo(self) -> bool:
        return True

    @property
    def profile_store(self) -> ProfileStore | None:
        return None

    @property
    def secret_store(self) -> SecretStore | None:
        return None

    async def connect(self, profile: str | None) -> Session:
        from imstui.connect import open_demo_session

        # The client's HTTP stack is prepared once the session is on screen (ImstuiApp.use_session).
        return open_demo_session(self.speed, ledger_path=self.ledger_path, defer_http=True)


class ProfileConnector:
    """A stored profile (keyring, session or plaintext secrets), overridden by flags and HUAWEICLOUD_SDK_* env."""

    def __init__(self, args: argparse.Namespace, *, environ: Mapping[str, str] | None = None) -> None:
        from imstui.core.profiles import ProfileStore
        from imstui.core.secret_store import SecretStore

        self.args = args
        self.environ = os.environ if environ is None else environ
        self._profiles = ProfileStore(environ=self.environ)
        self._secrets = SecretStore()

    @property
    def demo(self) -> bool:
        return False

    @property
    def profile_store(self) -> ProfileStore | None:
        return self._profiles

    @property
    def secret_store(self) -> SecretStore | None:
        return self._secrets

    async def connect(self, profile: str | None) -> Session:
        """Precedence and the client are :mod:`imstui.core.context`'s, the same as the headless commands'."""
        from imstui.core.context import aresolve_settings
        from imstui.core.session import open_session

        settings = await aresolve_settings(
            self.args, self.environ, profile=profile or None, store=self._secrets, profiles=self._profiles
        )
        info = await self._secrets.abackend_info()
        # The ledger's every-page check (80-90 ms at 100,000 rows) and the client's HTTP stack (httpx, the proxy and
        # CA settings) are left for once the session is on screen (ImstuiApp.use_session).
        return open_session(settings, keyring=info, check_pages=False, defer_http=True)


def connector_for_args(args: argparse.Namespace) -> Connector:
    if getattr(args, "demo", False):
        from imstui.connect import demo_speed

        return DemoConnector(speed=demo_speed())
    return ProfileConnector(args)
