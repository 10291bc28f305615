"""A connected session: the IMS API, the job ledger and the poller of one profile on one endpoint.

:func:`open_session` is the one factory. The console (``imstui.ui.connectors``), ``jobs watch`` and ``copy`` all
open their session through it, from :class:`~imstui.core.context.ConnectionSettings`: a stored profile's (resolved
by :mod:`imstui.core.context`) or the simulator's (built by :mod:`imstui.connect`, the one module outside the
simulator that knows it; the core never imports ``imstui.sim``). What the simulator seeds for the lookup screen's
pick list reaches the console as a :class:`DemoCatalogue` on the session, so the UI never imports the simulator.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

from imstui.api.models import Image
from imstui.api.protocol import ImsApi
from imstui.core.context import ConnectionSettings, client_from_settings
from imstui.core.keyring_backends import BackendInfo
from imstui.core.ledger import Ledger, utcnow
from imstui.core.ledger.scope import Scope, account_scope
from imstui.core.poller import Poller, PollSettings
from imstui.core.tagging import TagFn, Tagger

if TYPE_CHECKING:
    from collections.abc import Sequence

    from imstui.api.client import ImsClient, TransportSource
    from imstui.api.tag_models import ImageTag
    from imstui.core.enterprise_projects import ProjectSource
    from imstui.core.keys import KeySource
    from imstui.core.tags import TagOutcome

__all__ = [
    "DEMO_PROFILE",
    "ENV_PROFILE",
    "DemoCatalogue",
    "Endpoint",
    "PollerTiming",
    "SeededImage",
    "Session",
    "open_session",
    "tag_with",
]

DEMO_PROFILE = "demo"  # the ledger profile of every --demo job
ENV_PROFILE = "env"  # jobs submitted with environment keys and no stored profile


@dataclass(frozen=True)
class Endpoint:
    """Which IMS the session talks to: a job belongs to one region and project, reached at one endpoint."""

    region: str
    project_id: str | None  # None until discovered from the region
    ims_endpoint: str
    iam_endpoint: str

    @classmethod
    def of(cls, settings: ConnectionSettings) -> Endpoint:
        return cls(settings.region, settings.project_id, settings.ims_endpoint, settings.iam_endpoint)


@dataclass(frozen=True)
class SeededImage:
    """One image the simulator seeds for the demo: ``key`` names the case (``eligible_linux``, ``iso``...)."""

    key: str
    image_id: str
    name: str  # untrusted on purpose: some seeded names carry markup and escape codes
    image: Image | None = None  # the seeded document, parsed: the pick list labels it with the lookup's verdict


@dataclass(frozen=True)
class DemoCatalogue:
    """What a demo session offers to pick, and how to see a copy fail there (plain text)."""

    images: tuple[SeededImage, ...]
    failure_hint: str
    project_id: str | None = None  # the project the seeded images were made for (their owner)


@dataclass(frozen=True)
class PollerTiming:
    """The poller's clocks: real time by default; virtual time in tests (``imstui.core.poller.VirtualTime``)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], datetime] = utcnow


def tag_with(api: ImsApi) -> TagFn:
    """Apply tags to a new image through the session's client (:func:`imstui.core.tags.tag_new_image`)."""

    async def tag(image_id: str, tags: Sequence[ImageTag]) -> TagOutcome:
        from imstui.core.tags import tag_new_image

        return await tag_new_image(cast("ImsClient", api), image_id, tags)

    return tag


@dataclass
class Session:
    """A connected profile. Close it with :meth:`aclose` (or ``async with``): stops the poller, closes the client
    and the ledger.

    ``tagger`` applies the tags of this account's copies once their jobs succeeded (:mod:`imstui.core.tagging`):
    attached to ``poller``, so every front that runs the poller tags what succeeds and what was left pending."""

    api: ImsApi
    ledger: Ledger
    poller: Poller
    profile: str
    endpoint: Endpoint
    demo: bool = False
    keyring: BackendInfo | None = None  # the secret store backend in use (None: demo or environment keys)
    plaintext: bool = False  # the profile's keys are in the plaintext opt-in file
    catalogue: DemoCatalogue | None = None  # demo sessions only
    # KMS and EPS on this session's connection (built on first use by kms()/eps(); tests may set their own).
    kms_source: KeySource | None = field(default=None, repr=False)
    eps_source: ProjectSource | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)
    tagger: Tagger = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tagger = Tagger(self.ledger, tag_with(self.api), scope=lambda: self.scope)
        self.tagger.attach(self.poller)

    @property
    def region(self) -> str:
        return self.endpoint.region

    @property
    def project_id(self) -> str | None:
        """The project in use: the configured one, else the one the client discovered (None before that)."""
        return self.endpoint.project_id or self.api.project_id

    @property
    def scope(self) -> Scope:
        """The ledger rows of this session's account (IMS endpoint + project): every job submitted there,
        whichever profile or environment keys did, and this profile's rows from an older imstui (no endpoint).
        The poller follows the same jobs (:mod:`imstui.core.account`)."""
        return account_scope(self.endpoint.ims_endpoint, self.project_id, self.profile)

    def _ims_client(self) -> ImsClient | None:
        from imstui.api.client import ImsClient

        return self.api if isinstance(self.api, ImsClient) else None

    def prepare_connection(self) -> None:
        """Build the client's HTTP stack now if it was deferred (``open_session(defer_http=True)``), and load what
        its requests use; raises :class:`~imstui.api.errors.ConfigurationError` for a proxy or CA setting that
        cannot be used. Safe to run in a thread (the console does, once the session is on screen)."""
        ims = self._ims_client()
        if ims is not None:
            ims.prepare()

    def kms(self) -> KeySource | None:
        """The KMS client of this session (list-keys, describe-key), built once on the IMS connection with the
        ``IMSTUI_KMS_ENDPOINT`` override as ``copy --key`` does; None when the session's API is not a real client."""
        if self.kms_source is None and not self._closed:
            ims = self._ims_client()
            if ims is not None:
                from imstui.core.keys import kms_client

                self.kms_source = kms_client(ims)
        return self.kms_source

    def eps(self) -> ProjectSource | None:
        """The EPS client of this session, built once: signed with the profile's account (domain) id when it has
        one (``IMSTUI_DOMAIN_ID`` first; else asked of IAM on first use); None when the API is not a real client."""
        if self.eps_source is None and not self._closed:
            ims = self._ims_client()
            if ims is not None:
                from imstui.core.enterprise_projects import eps_client

                self.eps_source = eps_client(ims, None, self._domain_id())
        return self.eps_source

    def _domain_id(self) -> str | None:
        import os

        from imstui.api.errors import ImstuiError
        from imstui.core.enterprise_projects import ENV_DOMAIN_ID
        from imstui.core.profiles import profile_domain_id

        if self.demo or self.profile == ENV_PROFILE or os.environ.get(ENV_DOMAIN_ID, "").strip():
            return None  # the environment's id (read by eps_client), or IAM's

        try:
            return profile_domain_id(self.profile)
        except (ImstuiError, OSError, ValueError):
            return None  # an unreadable profile file: EPS asks IAM, as without a stored id

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.kms_source = self.eps_source = None  # they share the IMS client's connection, closed below
        self.poller.stop()
        try:
            await self.tagger.aclose()
            await self.api.aclose()
        finally:
            self.ledger.close()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()


def open_session(
    settings: ConnectionSettings,
    *,
    profile: str | None = None,
    ledger_path: Path | None = None,
    poll_settings: PollSettings | None = None,
    timing: PollerTiming | None = None,
    transport: TransportSource | None = None,
    keyring: BackendInfo | None = None,
    catalogue: DemoCatalogue | None = None,
    check_pages: bool = True,
    defer_http: bool = False,
) -> Session:
    """The session for ``settings``: a client (:func:`~imstui.core.context.client_from_settings`), the ledger
    (``ledger_path``, default the user's) and a poller of ``profile``'s jobs (default: the settings' profile,
    ``demo`` for the simulator, ``env`` for environment keys). Raises ``LedgerError`` when the ledger cannot be
    opened (nothing else is left open then). ``check_pages=False``: the ledger's pages are left for the caller to
    check (:meth:`~imstui.core.ledger.Ledger.verify_pages`). ``defer_http=True``: the client's HTTP stack (httpx,
    the proxy and CA settings) is left for :meth:`Session.prepare_connection` or the first request."""
    name = profile or settings.profile or (DEMO_PROFILE if settings.demo else ENV_PROFILE)
    ledger = Ledger(ledger_path, check_pages=check_pages)
    try:
        api = client_from_settings(settings, transport=transport, defer_http=defer_http)
    except BaseException:
        ledger.close()
        raise
    clocks = timing or PollerTiming()
    poller = Poller(
        api, ledger, profile=name, settings=poll_settings, clock=clocks.clock, sleep=clocks.sleep, now=clocks.now
    )
    return Session(
        api=api,
        ledger=ledger,
        poller=poller,
        profile=name,
        endpoint=Endpoint.of(settings),
        demo=settings.demo,
        keyring=keyring,
        plaintext=settings.plaintext,
        catalogue=catalogue,
    )
