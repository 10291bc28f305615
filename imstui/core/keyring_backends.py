"""Which keyring backend is active, whether imstui will store secrets in it, and one plain sentence per failure.

Pure classification and error mapping (no keyring call is made here): :func:`classify` judges a backend object,
:func:`map_error` turns any keyring exception into :class:`SecretStoreUnavailable` (message + remedy, never a
secret, the original exception not chained).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from imstui.api.errors import ImstuiError

Reason = Literal[
    "no-backend",
    "locked",
    "needs-master-password",
    "wrong-master-password",
    "timeout",
    "insecure",
    "corrupt",
    "error",
]

REMEDIES: tuple[str, ...] = (
    "Run imstui inside its own Secret Service: `imstui session` (the console) or `imstui session imstui ...` (needs "
    "gnome-keyring and dbus; asks for the keyring password at start; `imstui session $SHELL` for once per login).",
    "Install keyrings.cryptfile (`pip install keyrings.cryptfile`): an encrypted file; imstui asks for its master "
    "password in its own prompt.",
    "Install keyring-pass (`pip install keyring-pass`) if you already use pass/gpg (`pass init <gpg-id>` first).",
    'Use session-only credentials (credential_store = "session"): typed into the console, kept in memory, lost '
    "on exit.",
    "Export HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN) for the run: used, "
    "never stored.",
    "Last resort: `imstui profile add NAME ... --insecure-plaintext` stores the keys UNENCRYPTED in a 0600 file "
    "under the config directory; imstui then shows a permanent warning.",
)


def remedies_here() -> list[str]:
    """:data:`REMEDIES`, adjusted to what is installed (cryptfile present: say how to select it)."""
    remedies = list(REMEDIES)
    try:
        import keyrings.cryptfile.cryptfile  # noqa: F401 - probing only
    except ImportError:
        return remedies
    remedies[1] = (
        "keyrings.cryptfile is installed: select it with "
        "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring (an encrypted file; imstui asks for "
        "its master password in its own prompt)."
    )
    return remedies


class SecretStoreUnavailable(ImstuiError):
    """The credential store cannot be used right now. ``message`` says why, ``remedy`` what to do.

    ``reason`` is a stable token (``no-backend``, ``locked``, ``needs-master-password``, ``wrong-master-password``,
    ``timeout``, ``insecure``, ``corrupt``, ``error``) for UIs that react differently (e.g. open the master-password
    modal on ``needs-master-password``).
    """

    def __init__(self, message: str, remedy: str, *, reason: Reason = "error") -> None:
        super().__init__(message)
        self.remedy = remedy
        self.reason: Reason = reason

    def __str__(self) -> str:
        return self.full_text

    @property
    def full_text(self) -> str:
        """The sentence and its remedy (what ``str()`` gives, so generic ``ImstuiError`` handlers show both)."""
        return f"{self.message} {self.remedy}"

    @property
    def wants_master_password(self) -> bool:
        """A password-based keyring waits for its master password (or was given a wrong one): ask for it."""
        return self.reason in ("needs-master-password", "wrong-master-password")


@dataclass(frozen=True)
class BackendInfo:
    """What keyring backend is active and whether imstui will store secrets in it."""

    name: str  # e.g. "SecretService.Keyring", "CryptFileKeyring"
    secure: bool
    description: str  # one sentence, for humans
    remedies: list[str] = field(default_factory=list)  # empty when secure and usable
    needs_master_password: bool = False  # a password-based backend (cryptfile)
    unlocked: bool = True  # False while a password-based backend waits for unlock()
    new_master_password: bool = False  # the encrypted file does not exist yet: the password will be set, not checked
    available: bool = True  # False after a timeout or when detection itself failed
    module: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "secure": self.secure,
            "description": self.description,
            "remedies": list(self.remedies),
            "needs_master_password": self.needs_master_password,
            "unlocked": self.unlocked,
            "new_master_password": self.new_master_password,
            "available": self.available,
        }


# -- backend classification -------------------------------------------------------------------------------

_SECURE = {
    "keyring.backends.SecretService.Keyring": "the Secret Service (GNOME Keyring / KWallet / KeePassXC via D-Bus)",
    "keyring.backends.libsecret.Keyring": "the Secret Service through libsecret",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Locker",
    "keyring.backends.kwallet.DBusKeyring": "KDE KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KDE KWallet 4",
    "keyrings.cryptfile.cryptfile.CryptFileKeyring": "keyrings.cryptfile (Argon2 + AES-GCM encrypted file)",
    "keyring_pass.PasswordStoreBackend": "pass (gpg-encrypted files)",
}
_INSECURE = {
    "keyring.backends.fail.Keyring": "no keyring backend at all (keyring's 'fail' backend)",
    "keyring.backends.null.Keyring": "keyring is disabled (the 'null' backend stores nothing)",
    "keyrings.alt.file.PlaintextKeyring": "keyrings.alt plaintext file (base64, not encrypted)",
    "keyrings.cryptfile.file.PlaintextKeyring": "keyrings.cryptfile's plaintext file (not encrypted)",
    "keyrings.alt.file.EncryptedKeyring": "keyrings.alt encrypted file (not recommended by keyring's maintainer)",
    "keyrings.cryptfile.file.EncryptedKeyring": "a PBKDF2/AES-CFB file without integrity check (not recommended)",
}


def qualname(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def short_name(backend: object) -> str:
    cls = type(backend)
    module = cls.__module__
    if module.startswith("keyring.backends."):
        return f"{module.removeprefix('keyring.backends.')}.{cls.__name__}"
    return cls.__name__


def is_password_based(backend: object) -> bool:
    return hasattr(type(backend), "keyring_key")


def is_unlocked(backend: object) -> bool:
    state = vars(backend) if hasattr(backend, "__dict__") else {}
    if "_keyring_key" in state:
        return state["_keyring_key"] is not None
    return "keyring_key" in state


def _backend_file(backend: object) -> str | None:
    try:
        path = backend.file_path  # type: ignore[attr-defined]
    except Exception:
        return None
    return str(path) if isinstance(path, str | os.PathLike) else None


def classify(backend: object) -> BackendInfo:
    """Judge one (already unwrapped) backend. No keyring call is made except reading attributes."""
    qual = qualname(backend)
    name = short_name(backend)
    if qual in _INSECURE:
        secure, what = False, _INSECURE[qual]
    elif qual in _SECURE:
        secure, what = True, _SECURE[qual]
    else:
        try:
            priority = float(type(backend).priority)  # type: ignore[attr-defined]
        except Exception:
            priority = 0.0
        secure = priority >= 1
        what = (
            f"an unrecognised backend that keyring rates {'recommended' if secure else 'not recommended'} "
            f"(priority {priority:g})"
        )
    password_based = is_password_based(backend)
    unlocked = is_unlocked(backend) if password_based else True
    path = _backend_file(backend) if password_based else None
    new_file = bool(password_based and path and not os.path.exists(path))
    if secure:
        description = f"{name}: {what}; secrets are stored encrypted."
        if password_based and not unlocked:
            description += " It needs its master password before use" + (
                " (none set yet: the first one entered becomes the master password)." if new_file else "."
            )
        remedies: list[str] = []
    else:
        description = f"{name}: {what}; imstui will not store keys in it."
        remedies = remedies_here()
    return BackendInfo(
        name=name,
        secure=secure,
        description=description,
        remedies=remedies,
        needs_master_password=password_based,
        unlocked=unlocked,
        new_master_password=new_file,
        module=qual,
    )


def unwrap_chainer(backend: Any) -> Any:
    """A chainer writes to its first backend: judge and use that one (or keyring's fail backend if empty)."""
    if qualname(backend) == "keyring.backends.chainer.ChainerBackend":
        backends = list(backend.backends)
        if backends:
            return backends[0]
        from keyring.backends import fail

        return fail.Keyring()  # type: ignore[no-untyped-call]
    return backend


# -- error mapping ------------------------------------------------------------------------------------------


def map_error(exc: BaseException, backend_name: str = "the keyring") -> SecretStoreUnavailable:
    """One plain sentence + remedy for every way a keyring call fails. Never includes the exception's text
    when it could carry data (only for keyring's own messages, which never do)."""
    if isinstance(exc, SecretStoreUnavailable):
        return exc
    from keyring import errors as kerr

    session = "Start imstui through `imstui session` (its own unlocked Secret Service)"
    if isinstance(exc, kerr.NoKeyringError):
        return SecretStoreUnavailable(
            "No secure credential storage is available on this machine (keyring found no usable backend).",
            "Options, best first: " + " | ".join(remedies_here()),
            reason="no-backend",
        )
    if isinstance(exc, kerr.KeyringLocked):
        return SecretStoreUnavailable(
            f"{backend_name} is locked: it was not unlocked in this login session, or the keyring password was wrong.",
            f"{session}, which unlocks it with the password you type at start, or unlock it with your desktop's "
            "keyring tool.",
            reason="locked",
        )
    if isinstance(exc, kerr.InitError):
        return SecretStoreUnavailable(
            f"{backend_name} could not be opened: it wanted to show an unlock prompt, which is impossible here "
            "(no display).",
            f"{session}: it creates and unlocks the keyring from the terminal.",
            reason="locked",
        )
    if isinstance(exc, ValueError) and str(exc) in ("MAC check failed", "Incorrect Password"):
        return SecretStoreUnavailable(
            "The master password for the encrypted keyring file is wrong.",
            "Enter it again; if it is lost, move the keyring file away and store the keys again.",
            reason="wrong-master-password",
        )
    if isinstance(exc, FileNotFoundError | ConnectionError) or "DBUS" in str(exc) or "D-Bus" in str(exc):
        return SecretStoreUnavailable(
            f"{backend_name} is unreachable: the D-Bus session is missing or gone.",
            f"{session}, or log in again so DBUS_SESSION_BUS_ADDRESS points to a live session.",
            reason="no-backend",
        )
    if isinstance(exc, kerr.PasswordDeleteError):
        return SecretStoreUnavailable(f"{backend_name} has no stored item to delete.", "Nothing to do.", reason="error")
    if isinstance(exc, EOFError | OSError) and not isinstance(exc, FileNotFoundError):
        return SecretStoreUnavailable(
            f"{backend_name} failed while reading or writing its storage ({type(exc).__name__}).",
            "Run `imstui doctor` for details.",
            reason="error",
        )
    return SecretStoreUnavailable(
        f"{backend_name} failed ({type(exc).__module__}.{type(exc).__name__}).",
        "Run `imstui doctor`; if it persists, use session-only credentials or the HUAWEICLOUD_SDK_* variables.",
        reason="error",
    )
