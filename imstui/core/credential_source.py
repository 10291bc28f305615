"""Where the settings and keys of a run come from: the profile layer.

Precedence (applied by :func:`imstui.core.context.resolve_settings`): command-line flags > ``HUAWEICLOUD_SDK_*``
environment (used for the run, never persisted) > the stored profile. This module provides the profile layer,
plus the environment credentials so the result can say where the keys came from:

* ``env``       - ``HUAWEICLOUD_SDK_AK`` + ``HUAWEICLOUD_SDK_SK`` (+ ``HUAWEICLOUD_SDK_SECURITY_TOKEN``) are set: they
  win and no store is touched (so a locked keyring never prompts when the environment already has keys);
* ``keyring``   - the profile's item in the OS keyring;
* ``session``   - typed into the console in this run, kept in memory only;
* ``plaintext`` - the explicit opt-in 0600 file (shown as a permanent warning).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar

from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.api.secret import Secret
from imstui.core.profiles import CredentialStoreName, Profile, ProfileStore
from imstui.core.secret_store import SESSION_SECRETS, PlaintextSecrets, SecretStore, SessionSecrets, default_store

CredentialSource = Literal["env", "keyring", "session", "plaintext"]
P = ParamSpec("P")
R = TypeVar("R")

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"  # noqa: S105 - a variable name, not a secret

PLAINTEXT_WARNING = (
    "INSECURE: the keys of profile {name!r} are stored UNENCRYPTED in {path} (plaintext opt-in). "
    "Move them to the keyring with `imstui profile add {name} ...` once a secure backend is available."
)


@dataclass(frozen=True)
class ProfileSettings:
    """The profile layer of the settings. ``project_id=None`` means: discover it from the region.

    ``credentials`` is ``None`` when the profile's store holds nothing (or the store is ``env``/``session`` and
    nothing was provided); ``source`` says where non-``None`` credentials came from.
    """

    profile: str | None
    region: str | None = None
    project_id: str | None = None
    endpoint: str | None = None
    iam_endpoint: str | None = None
    credentials: Credentials | None = None
    source: CredentialSource | None = None
    credential_store: CredentialStoreName | None = None
    warning: str | None = None  # the permanent plaintext warning, when it applies

    @property
    def is_plaintext(self) -> bool:
        return self.credential_store == "plaintext"


def env_credentials(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from ``HUAWEICLOUD_SDK_AK/SK[/SECURITY_TOKEN]``, or ``None`` when neither is set."""
    env = os.environ if environ is None else environ
    ak = env.get(ENV_AK, "").strip()
    sk = env.get(ENV_SK, "").strip()
    if not ak and not sk:
        return None
    if not ak or not sk:
        missing = ENV_SK if ak else ENV_AK
        present = ENV_AK if ak else ENV_SK
        raise ConfigurationError(f"{present} is set but {missing} is not: set both (or neither) for this run")
    token = env.get(ENV_TOKEN, "").strip()
    return Credentials(ak=ak, sk=Secret(sk), security_token=Secret(token) if token else None)


def load_profile_settings(
    profile_name: str | None,
    *,
    store: SecretStore | None = None,
    profiles: ProfileStore | None = None,
    environ: Mapping[str, str] | None = None,
    session: SessionSecrets | None = None,
    plaintext: PlaintextSecrets | None = None,
    load_secret: bool = True,
) -> ProfileSettings:
    """The profile layer for ``profile_name`` (``None``: ``$IMSTUI_PROFILE``, else the default profile).

    Returns ``ProfileSettings(profile=None)`` when no profile is selected and none is the default. Raises
    :class:`~imstui.api.errors.ConfigurationError` for a named profile that does not exist, and
    :class:`~imstui.core.secret_store.SecretStoreUnavailable` when the profile's keyring cannot be read (the
    console opens its master-password prompt on ``reason == "needs-master-password"``). With environment
    credentials present, or ``load_secret=False``, no store is touched.
    """
    env = os.environ if environ is None else environ
    profiles = profiles if profiles is not None else ProfileStore(environ=env)
    name = profiles.active_name(profile_name)
    profile: Profile | None = profiles.get(name) if name else None
    from_env = env_credentials(env)

    credentials: Credentials | None = None
    source: CredentialSource | None = None
    if from_env is not None:
        credentials, source = from_env, "env"
    elif profile is not None and load_secret:
        credentials, source = _stored_credentials(profile, store=store, env=env, session=session, plaintext=plaintext)

    if profile is None:
        return ProfileSettings(profile=None, credentials=credentials, source=source)
    warning = None
    if profile.is_plaintext:
        path = (plaintext or PlaintextSecrets(environ=env)).path
        warning = PLAINTEXT_WARNING.format(name=profile.name, path=path)
    return ProfileSettings(
        profile=profile.name,
        region=profile.region,
        project_id=profile.project_id,
        endpoint=profile.endpoint,
        iam_endpoint=profile.iam_endpoint,
        credentials=credentials,
        source=source,
        credential_store=profile.credential_store,
        warning=warning,
    )


def _stored_credentials(
    profile: Profile,
    *,
    store: SecretStore | None,
    env: Mapping[str, str],
    session: SessionSecrets | None,
    plaintext: PlaintextSecrets | None,
) -> tuple[Credentials | None, CredentialSource | None]:
    kind = profile.credential_store
    if kind == "keyring":
        found = (store if store is not None else default_store()).get(profile.name)
        return (found, "keyring") if found else (None, None)
    if kind == "session":
        found = (session if session is not None else SESSION_SECRETS).get(profile.name)
        return (found, "session") if found else (None, None)
    if kind == "plaintext":
        found = (plaintext if plaintext is not None else PlaintextSecrets(environ=env)).get(profile.name)
        return (found, "plaintext") if found else (None, None)
    return None, None  # "env": the keys are expected in HUAWEICLOUD_SDK_AK/SK, which were not set


def _off_the_loop(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``function`` as a coroutine function that runs it in a worker thread (keyring calls block)."""

    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(function, *args, **kwargs)

    run.__name__ = run.__qualname__ = f"a{function.__name__}"
    run.__doc__ = f"``{function.__name__}`` in a worker thread, off the event loop."
    return run


aload_profile_settings = _off_the_loop(load_profile_settings)
"""`load_profile_settings` off the event loop (keyring calls are bounded by the store's timeout)."""


def describe_missing(settings: ProfileSettings) -> str:
    """One sentence for "no keys": what the user should do, given the profile's store."""
    if settings.profile is None:
        return (
            "No credentials: create a profile (`imstui profile add NAME --region R`) or export "
            f"{ENV_AK} and {ENV_SK} for this run."
        )
    store = settings.credential_store
    if store == "env":
        return f"Profile {settings.profile!r} takes its keys from the environment: export {ENV_AK} and {ENV_SK}."
    if store == "session":
        return f"Profile {settings.profile!r} is session-only: enter its keys in the console (they are not stored)."
    return (
        f"No keys are stored for profile {settings.profile!r} ({store}): store them again with "
        f"`imstui profile add {settings.profile} --region {settings.region}`."
    )


def stored_keys_environ(profile: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for testing ``profile``'s STORED keys: the ``HUAWEICLOUD_SDK_AK/SK/SECURITY_TOKEN`` of the
    shell are left out (they would win over the profile), except for a profile whose store is ``env`` (its keys
    are the environment's by design)."""
    env = dict(os.environ if environ is None else environ)
    try:
        stored = ProfileStore(environ=env).find(profile) if profile else None
    except (ConfigurationError, LocalValidationError):
        stored = None  # the load below says what is wrong with the name or the file
    if stored is not None and stored.credential_store == "env":
        return env
    for variable in (ENV_AK, ENV_SK, ENV_TOKEN):
        env.pop(variable, None)
    return env
