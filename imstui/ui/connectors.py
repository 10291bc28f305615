"""The real connectors: the in-process simulator (``--demo``) and stored profiles (everything else).

Imported only when the console starts connecting, after the first screen is up: httpx, keyring and the simulator
load here, not at startup.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from imstui.ui.session import DEMO_PROFILE, KeyringVerdict, NeedsCredentials, Session


def demo_poll_settings(speed: float) -> Any:
    """Poll settings for the simulator: no request budget, intervals shortened by the demo speed factor."""
    from imstui.core.poller import PollSettings

    base = PollSettings()
    factor = max(1.0, speed)
    return PollSettings(
        first_delay=max(0.2, base.first_delay / factor),
        initial_interval=max(0.3, base.initial_interval / factor),
        max_interval=max(1.0, base.max_interval / factor),
        min_interval=max(0.2, base.min_interval / factor),
        rate_per_second=None,
    )


class DemoConnector:
    """The in-process simulator with seeded images: no keyring, no network. Jobs go to the ``demo`` profile."""

    def __init__(self, speed: float = 1.0, *, ledger_path: Any = None) -> None:
        self.speed = speed
        self.ledger_path = ledger_path
        self.backend: Any = None

    @property
    def demo(self) -> bool:
        return True

    @property
    def profile_store(self) -> Any:
        return None

    @property
    def secret_store(self) -> Any:
        return None

    async def connect(self, profile: str | None) -> Session:
        from imstui.core.context import demo_client
        from imstui.core.ledger import Ledger
        from imstui.core.poller import Poller

        api, backend = demo_client(self.speed)
        self.backend = backend
        ledger = Ledger(self.ledger_path)
        poller = Poller(api, ledger, profile=DEMO_PROFILE, settings=demo_poll_settings(self.speed))
        return Session(
            api=api,
            profile=DEMO_PROFILE,
            region=backend.region,
            project_id=backend.project_id,
            ledger=ledger,
            poller=poller,
            demo=True,
            keyring=None,
            closers=[ledger.close],
        )


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
    def profile_store(self) -> Any:
        return self._profiles

    @property
    def secret_store(self) -> Any:
        return self._secrets

    async def keyring_verdict(self, *, plaintext: bool = False) -> KeyringVerdict:
        info = await self._secrets.abackend_info()
        return KeyringVerdict(
            name=info.name,
            secure=bool(info.secure),
            description=info.description,
            remedies=tuple(info.remedies),
            plaintext_opt_in=plaintext,
        )

    async def connect(self, profile: str | None) -> Session:
        """Raises :class:`NeedsCredentials` when no profile/keys exist, ``SecretStoreUnavailable`` when the
        keyring cannot be read (``reason == "needs-master-password"``: the app asks for it), and
        ``ConfigurationError`` for unusable settings. Precedence and the client are
        :mod:`imstui.core.context`'s, the same as the headless commands'."""
        from imstui.core.context import MissingCredentialsError, aresolve_settings, client_from_settings
        from imstui.core.ledger import Ledger
        from imstui.core.poller import Poller

        try:
            settings = await aresolve_settings(
                self.args, self.environ, profile=profile or None, store=self._secrets, profiles=self._profiles
            )
        except MissingCredentialsError as exc:
            raise NeedsCredentials(exc.message, exc.profile) from None
        api = client_from_settings(settings)
        name = settings.profile or "env"
        ledger = Ledger()
        poller = Poller(api, ledger, profile=name)
        verdict = await self.keyring_verdict(plaintext=settings.plaintext)
        return Session(
            api=api,
            profile=name,
            region=settings.region,
            project_id=settings.project_id,
            ledger=ledger,
            poller=poller,
            demo=False,
            keyring=verdict,
            closers=[ledger.close],
        )
