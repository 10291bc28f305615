"""Credential profiles: the non-secret half, kept in a TOML file.

File: ``$IMSTUI_CONFIG`` if set, else ``platformdirs.user_config_path("imstui") / "config.toml"`` (on Linux
``$XDG_CONFIG_HOME/imstui/config.toml``, default ``~/.config/imstui/config.toml``). Shape::

    version = 1
    default_profile = "prod"

    [profiles.prod]
    region = "ap-southeast-1"
    project_id = "discover"          # or a 32-hex project id
    endpoint = "https://ims..."      # optional IMS endpoint override
    iam_endpoint = "https://iam..."  # optional IAM endpoint override
    domain_id = "0a1b..."            # optional account (domain) id: EPS signs with it (else asked of IAM)
    credential_store = "keyring"     # keyring | session | env | plaintext
    ak_hint = "HPUA…4567"            # display only

The secrets themselves (AK, SK, token) are never in this file: they live in the OS keyring (one item per profile,
see :mod:`imstui.core.secret_store`), in memory for the session, in the ``HUAWEICLOUD_SDK_*`` environment, or, after
an explicit opt-in that the UI keeps showing, in a separate 0600 plaintext file.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import tomli_w

from imstui.api.endpoints import check_endpoint
from imstui.api.eps_models import check_domain_id
from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.core.fsutil import write_private_file
from imstui.core.wording import said_back

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_ENV = "IMSTUI_CONFIG"
PROFILE_ENV = "IMSTUI_PROFILE"
CONFIG_FILENAME = "config.toml"
PLAINTEXT_FILENAME = "credentials.plaintext.json"
FILE_VERSION = 1

CredentialStoreName = Literal["keyring", "session", "env", "plaintext"]
CREDENTIAL_STORES: tuple[CredentialStoreName, ...] = ("keyring", "session", "env", "plaintext")
DISCOVER = "discover"

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PROJECT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REGION_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def validate_profile_name(name: str) -> str:
    """Return ``name`` if it is a valid profile name (``[A-Za-z0-9_.-]{1,64}``, not ``.``/``..``)."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or set(name) == {"."}:
        raise LocalValidationError(
            "profile",
            "name",
            "a profile name is 1-64 characters from A-Z a-z 0-9 _ . - (and not only dots)",
        )
    return name


def validate_region(region: str) -> str:
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise LocalValidationError("region", "format", "a region id looks like ap-southeast-1")
    return region


def validate_project_id(project_id: str) -> str:
    if not isinstance(project_id, str) or not _PROJECT_ID_RE.fullmatch(project_id):
        raise LocalValidationError("project_id", "format", "a project id is 1-64 characters from A-Z a-z 0-9 _ -")
    return project_id


def validate_endpoint(field: str, url: str) -> str:
    """``url`` as the client will use it (:func:`imstui.api.endpoints.check_endpoint`: scheme://host[:port], plain
    http only to loopback), refused with the same sentence when it is not one."""
    if not isinstance(url, str):
        raise LocalValidationError(field, "url", "an endpoint is a URL such as https://host")
    try:
        return check_endpoint(url)
    except ConfigurationError as exc:
        raise LocalValidationError(field, "url", exc.message) from None


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the profiles file lives (``$IMSTUI_CONFIG`` wins; XDG_CONFIG_HOME is honoured)."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return config_dir(env) / CONFIG_FILENAME


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser().parent
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    if sys.platform.startswith("linux") and xdg and os.path.isabs(xdg):
        return Path(xdg) / "imstui"
    from platformdirs import user_config_path

    return Path(user_config_path("imstui", appauthor=False))


def plaintext_path(environ: Mapping[str, str] | None = None) -> Path:
    """The opt-in plaintext credentials file: next to the profiles file, 0600."""
    return config_path(environ).parent / PLAINTEXT_FILENAME


@dataclass(frozen=True)
class Profile:
    """The non-secret settings of one profile. ``project_id=None`` means: discover it from the region."""

    name: str
    region: str
    project_id: str | None = None
    endpoint: str | None = None
    iam_endpoint: str | None = None
    credential_store: CredentialStoreName = "keyring"
    ak_hint: str | None = None
    domain_id: str | None = None  # the account id EPS requests are signed with (None: found with IAM)

    def __post_init__(self) -> None:
        validate_profile_name(self.name)
        validate_region(self.region)
        if self.project_id is not None:
            validate_project_id(self.project_id)
        if self.endpoint is not None:
            object.__setattr__(self, "endpoint", validate_endpoint("endpoint", self.endpoint))
        if self.iam_endpoint is not None:
            object.__setattr__(self, "iam_endpoint", validate_endpoint("iam_endpoint", self.iam_endpoint))
        object.__setattr__(self, "domain_id", check_domain_id(self.domain_id))
        if self.credential_store not in CREDENTIAL_STORES:
            raise LocalValidationError(
                "credential_store", "choice", f"credential_store is one of {', '.join(CREDENTIAL_STORES)}"
            )

    @property
    def is_plaintext(self) -> bool:
        """True when the user opted into unencrypted storage: the UI shows this as a permanent warning."""
        return self.credential_store == "plaintext"

    def to_toml(self) -> dict[str, Any]:
        table: dict[str, Any] = {
            "region": self.region,
            "project_id": self.project_id or DISCOVER,
            "credential_store": self.credential_store,
        }
        if self.endpoint:
            table["endpoint"] = self.endpoint
        if self.iam_endpoint:
            table["iam_endpoint"] = self.iam_endpoint
        if self.ak_hint:
            table["ak_hint"] = self.ak_hint
        if self.domain_id:
            table["domain_id"] = self.domain_id
        return table

    @classmethod
    def from_toml(cls, name: str, table: Mapping[str, Any]) -> Profile:
        def opt(key: str) -> str | None:
            value = table.get(key)
            if value is None or value == "":
                return None
            if not isinstance(value, str):
                raise LocalValidationError(key, "type", f"{key} must be a string")
            return value

        project = opt("project_id")
        store = opt("credential_store") or "keyring"
        return cls(
            name=name,
            region=opt("region") or "",
            project_id=None if project in (None, DISCOVER) else project,
            endpoint=opt("endpoint"),
            iam_endpoint=opt("iam_endpoint"),
            credential_store=cast(CredentialStoreName, store),
            ak_hint=opt("ak_hint"),
            domain_id=opt("domain_id"),
        )

    def with_changes(self, **changes: Any) -> Profile:
        return replace(self, **changes)


class ProfileStore:
    """Read/write the profiles file. Every write is atomic and leaves the file 0600 in a 0700 directory."""

    def __init__(self, path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self.path = path if path is not None else config_path(self._environ)

    # -- reading -------------------------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"version": FILE_VERSION, "profiles": {}}
        except OSError as exc:
            raise ConfigurationError(f"cannot read the profiles file {self.path}: {exc.strerror}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(
                f"the profiles file {self.path} is not valid TOML ({exc}); fix or move it"
            ) from None
        except (RecursionError, MemoryError):  # e.g. thousands of nested arrays: no profiles file looks like that
            raise ConfigurationError(
                f"the profiles file {self.path} is nested too deeply to be a profiles file; fix or move it"
            ) from None
        profiles = data.get("profiles", {})
        if not isinstance(profiles, dict):
            raise ConfigurationError(f"the profiles file {self.path}: [profiles] must be a table")
        version = data.get("version", FILE_VERSION)
        if not isinstance(version, int) or version > FILE_VERSION:
            raise ConfigurationError(f"the profiles file {self.path} has version {version!r}; this imstui reads 1")
        return data

    def _parse(self, name: str, table: Any) -> Profile:
        if not isinstance(table, dict):
            raise ConfigurationError(f"the profiles file {self.path}: [profiles.{name}] must be a table")
        try:
            return Profile.from_toml(name, table)
        except LocalValidationError as exc:
            raise ConfigurationError(f"the profiles file {self.path}: profile {name!r}: {exc.message}") from None

    def list(self) -> list[Profile]:
        data = self._load()
        return [self._parse(name, table) for name, table in sorted(data.get("profiles", {}).items())]

    def names(self) -> builtins.list[str]:
        return sorted(self._load().get("profiles", {}))

    def find(self, name: str) -> Profile | None:
        validate_profile_name(name)
        table = self._load().get("profiles", {}).get(name)
        return None if table is None else self._parse(name, table)

    def get(self, name: str) -> Profile:
        profile = self.find(name)
        if profile is None:
            known = ", ".join(self.names()) or "none yet"
            raise ConfigurationError(
                f"no profile named {said_back(name)} in {self.path} (profiles: {known}); "
                "create it with `imstui profile add`"
            )
        return profile

    def default_name(self) -> str | None:
        data = self._load()
        name = data.get("default_profile")
        if isinstance(name, str) and name in data.get("profiles", {}):
            return name
        return None

    def active_name(self, explicit: str | None = None) -> str | None:
        """--profile NAME, else $IMSTUI_PROFILE, else the default profile, else None (no profile in use)."""
        if explicit:
            return validate_profile_name(explicit)
        from_env = self._environ.get(PROFILE_ENV, "").strip()
        if from_env:
            return validate_profile_name(from_env)
        return self.default_name()

    # -- writing -------------------------------------------------------------------------------------------
    def _write(self, data: dict[str, Any]) -> None:
        data["version"] = FILE_VERSION
        header = "# imstui profiles: non-secret settings only. Keys live in the OS keyring (see `imstui doctor`).\n"
        write_private_file(self.path, header + tomli_w.dumps(data))

    def save(self, profile: Profile, *, make_default: bool = False) -> None:
        data = self._load()
        profiles = data.setdefault("profiles", {})
        profiles[profile.name] = profile.to_toml()
        if make_default or not isinstance(data.get("default_profile"), str) or data["default_profile"] not in profiles:
            data["default_profile"] = profile.name
        self._write(data)

    def set_default(self, name: str) -> None:
        data = self._load()
        if name not in data.get("profiles", {}):
            self.get(name)  # raises the plain "no profile named" message
        data["default_profile"] = name
        self._write(data)

    def remove(self, name: str) -> bool:
        validate_profile_name(name)
        data = self._load()
        profiles = data.get("profiles", {})
        if name not in profiles:
            return False
        del profiles[name]
        if data.get("default_profile") == name:
            data.pop("default_profile", None)
            if len(profiles) == 1:
                data["default_profile"] = next(iter(profiles))
        self._write(data)
        return True


def profile_domain_id(explicit: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    """The account (domain) id stored in the active profile (``explicit`` = --profile, else ``$IMSTUI_PROFILE``,
    else the default one); None without a profile, or when it has none."""
    store = ProfileStore(environ=environ)
    name = store.active_name(explicit)
    profile = store.find(name) if name else None
    return profile.domain_id if profile is not None else None
