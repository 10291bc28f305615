"""Where the connection settings come from, and how a client is opened from them.

Precedence, highest first: command-line options, then environment variables, then the stored profile
(:mod:`imstui.core.credential_source`). Credentials come from the environment (``HUAWEICLOUD_SDK_AK`` / ``_SK`` /
``_SECURITY_TOKEN``, used for the run and never stored) or else from the profile's store (keyring, session,
plaintext opt-in): the secret key is never accepted on the command line, where other users could read it from the
process list. ``resolve_settings`` is the single place
that decides, so that another source (stored profiles) can be added as the lowest-precedence layer.

The core does not know the simulator: ``--demo`` settings are built at the edge (:mod:`imstui.connect`, which also
holds ``open_client(args)`` for the commands), and handed to the same :func:`client_from_settings` as a profile's.

Every client (headless commands, the console's sessions) is built by :func:`client_from_settings`; sessions by
:func:`imstui.core.session.open_session`. The console resolves settings with
:func:`aresolve_settings` (off the event loop: keyring calls block, bounded by the store's timeout) and opens its
credentials screen on :class:`MissingCredentialsError`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from imstui.api.credentials import Credentials
from imstui.api.endpoints import check_endpoint, check_region, iam_endpoint, ims_endpoint
from imstui.api.errors import ConfigurationError
from imstui.api.retry import RetryPolicy

if TYPE_CHECKING:  # httpx and the client load only when a client is opened (console startup, fast commands)
    import httpx

    from imstui.api.client import ImsClient, TransportSource
    from imstui.core.profiles import ProfileStore
    from imstui.core.secret_store import SecretStore

ENV_REGION = "HUAWEICLOUD_SDK_REGION"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IMS_ENDPOINT = "IMSTUI_IMS_ENDPOINT"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"


class MissingCredentialsError(ConfigurationError):
    """No keys for this run: no profile and no ``HUAWEICLOUD_SDK_AK``/``_SK``, or the profile's store holds none.
    ``profile`` names the selected profile (None on a first run); the console opens its credentials screen."""

    def __init__(self, message: str, profile: str | None = None) -> None:
        super().__init__(message)
        self.profile = profile


@dataclass(frozen=True, repr=False)
class ConnectionSettings:
    """Everything needed to open an :class:`ImsClient`; ``sources`` says where each value came from
    (``"--region"``, ``"env HUAWEICLOUD_SDK_REGION"``, ``"default"``, ``"demo"``...) for display."""

    region: str
    credentials: Credentials
    project_id: str | None
    ims_endpoint: str
    iam_endpoint: str
    demo: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None  # the stored profile used (None: environment keys only, or the demo)
    plaintext: bool = False  # the profile's keys are in the plaintext opt-in file
    warning: str | None = None  # the permanent plaintext warning, when it applies

    def __repr__(self) -> str:
        return (
            f"ConnectionSettings(region={self.region!r}, credentials={self.credentials!r}, "
            f"project_id={self.project_id!r}, ims_endpoint={self.ims_endpoint!r}, "
            f"iam_endpoint={self.iam_endpoint!r}, demo={self.demo!r}, profile={self.profile!r})"
        )


@dataclass(frozen=True)
class ClientOverrides:
    """Test seam: replace the network and the sleeping of every client opened while active."""

    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy | None = None
    sleep: Callable[[float], Awaitable[None]] | None = None


_OVERRIDES: ContextVar[ClientOverrides | None] = ContextVar("imstui_client_overrides", default=None)


@contextmanager
def client_overrides(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Iterator[ClientOverrides]:
    """Within the block, :func:`open_client` uses ``transport`` / ``retry`` and the commands' waits use ``sleep``."""
    overrides = ClientOverrides(transport=transport, retry=retry, sleep=sleep)
    token = _OVERRIDES.set(overrides)
    try:
        yield overrides
    finally:
        _OVERRIDES.reset(token)


def current_overrides() -> ClientOverrides:
    return _OVERRIDES.get() or ClientOverrides()


def _pick(args: argparse.Namespace, attr: str, option: str, environ: Mapping[str, str], env: str) -> tuple[str, str]:
    """(value, source) from ``--option`` first, then the environment; ``("", "")`` if neither is set."""
    value: Any = getattr(args, attr, None)
    if isinstance(value, str) and value.strip():
        return value.strip(), option
    env_value = environ.get(env, "")
    if env_value.strip():
        return env_value.strip(), f"env {env}"
    return "", ""


def resolve_settings(
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    store: SecretStore | None = None,
    profiles: ProfileStore | None = None,
) -> ConnectionSettings:
    """Settings from the command line, the environment and the stored profile (in that order of precedence).

    ``profile`` (e.g. the console's profile switch) wins over ``args.profile``; ``store``/``profiles`` replace the
    default secret store and profile file. Raises :class:`MissingCredentialsError` when there are no keys (checked
    first: a first run is told to set up credentials, not a region), ``SecretStoreUnavailable`` when the keyring
    cannot be read, and ``ConfigurationError`` naming the option or variable to set for anything else missing or
    unusable."""
    env = os.environ if environ is None else environ
    # Lowest layer: the stored profile (--profile, $IMSTUI_PROFILE, else the default one). Environment keys win
    # over it without touching the keyring; a keyring failure raises SecretStoreUnavailable (message + remedy).
    # The environment keys are parsed there too (env_credentials): one parser, and half a pair is refused there.
    from imstui.core.credential_source import ENV_AK, ENV_SK, ENV_TOKEN, describe_missing, load_profile_settings

    wanted = profile if profile is not None else (getattr(args, "profile", None) or None)
    stored = load_profile_settings(wanted, environ=env, store=store, profiles=profiles)
    from_profile = f"profile {stored.profile}"
    sources: dict[str, str] = {}

    credentials = stored.credentials
    if credentials is None and stored.profile is not None:
        raise MissingCredentialsError(describe_missing(stored), stored.profile)
    if credentials is None:
        raise MissingCredentialsError(
            f"no credentials: set {ENV_AK} and {ENV_SK} in the environment (plus {ENV_TOKEN} for temporary keys), "
            "or use --demo to try the simulator. The secret key is never accepted on the command line."
        )
    if stored.source == "env":
        sources["credentials"] = f"env {ENV_AK}/{ENV_SK}" + (f"/{ENV_TOKEN}" if credentials.is_temporary else "")
    else:
        sources["credentials"] = f"{stored.source} ({from_profile})"

    region, source = _pick(args, "region", "--region", env, ENV_REGION)
    if not region and stored.region:
        region, source = stored.region, from_profile
    if not region:
        raise ConfigurationError(f"no region: pass --region or set {ENV_REGION} (e.g. ap-southeast-1)")
    region = check_region(region)
    sources["region"] = source
    # The profile's project id and endpoints belong to its region: not reused when the region is overridden.
    same_region = stored.region == region

    from imstui.api.client import check_project_id

    project_raw, source = _pick(args, "project_id", "--project-id", env, ENV_PROJECT_ID)
    if not project_raw and same_region and stored.project_id:
        project_raw, source = stored.project_id, from_profile
    project_id = check_project_id(project_raw)
    sources["project_id"] = source if project_id else "discovered from the region"

    ims_raw, source = _pick(args, "endpoint", "--endpoint", env, ENV_IMS_ENDPOINT)
    if not ims_raw and same_region and stored.endpoint:
        ims_raw, source = stored.endpoint, from_profile
    ims = check_endpoint(ims_raw) if ims_raw else ims_endpoint(region)
    sources["ims_endpoint"] = source or "default for the region"

    iam_raw, source = _pick(args, "iam_endpoint", "--iam-endpoint", env, ENV_IAM_ENDPOINT)
    if not iam_raw and same_region and stored.iam_endpoint:
        iam_raw, source = stored.iam_endpoint, from_profile
    iam = check_endpoint(iam_raw) if iam_raw else iam_endpoint(region)
    sources["iam_endpoint"] = source or "default for the region"

    return ConnectionSettings(
        region=region,
        credentials=credentials,
        project_id=project_id,
        ims_endpoint=ims,
        iam_endpoint=iam,
        sources=sources,
        profile=stored.profile,
        plaintext=stored.is_plaintext,
        warning=stored.warning,
    )


async def aresolve_settings(
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    store: SecretStore | None = None,
    profiles: ProfileStore | None = None,
) -> ConnectionSettings:
    """:func:`resolve_settings` in a worker thread (keyring calls block, bounded by the store's timeout)."""
    return await asyncio.to_thread(
        lambda: resolve_settings(args, environ, profile=profile, store=store, profiles=profiles)
    )


def client_from_settings(
    settings: ConnectionSettings,
    *,
    transport: TransportSource | None = None,
    retry: RetryPolicy | None = None,
    defer_http: bool = False,
) -> ImsClient:
    """The one place an :class:`ImsClient` is built from settings. Without ``transport``/``retry``, an active
    :func:`client_overrides` supplies them (tests), else the network and the default retry policy.
    ``defer_http``: the client's HTTP stack is built by its ``prepare()`` or first request, not here."""
    from imstui.api.client import ImsClient

    overrides = current_overrides()
    return ImsClient(
        credentials=settings.credentials,
        region=settings.region,
        project_id=settings.project_id,
        ims_endpoint=settings.ims_endpoint,
        iam_endpoint=settings.iam_endpoint,
        transport=transport or overrides.transport,
        retry=retry or overrides.retry,
        defer_http=defer_http,
    )
