"""The secret half of a profile: AK, SK and optional security token, in the OS keyring.

One keyring item per profile: service ``imstui``, username = profile name, value = one line of JSON
``{"v":1,"ak":..,"sk":..,"token":..|null}`` (one item so that AK/SK/token rotate together, the unlock cost is paid
once, and keyring-pass, which keeps only the first line, works).

Rules this module enforces:

* **Never freeze.** Every keyring call (including backend detection, which may talk to D-Bus) runs on a private
  daemon worker thread and is abandoned after ``timeout`` seconds. A call that timed out cannot be cancelled, so the
  store is then marked unavailable for the rest of the run and later calls fail at once.
* **Never prompt behind the user's back.** Password-based backends (keyrings.cryptfile) would call ``getpass``, which
  opens ``/dev/tty`` and fights Textual for the terminal. They are refused until :meth:`SecretStore.unlock` was given
  the master password from imstui's own prompt. A chainer is never called as a chain: its first backend (where
  writes go) is used directly, so no lower backend prompts either.
* **One plain sentence per failure.** Every keyring failure becomes :class:`SecretStoreUnavailable` with ``message``
  (what happened) and ``remedy`` (what to do); neither ever contains a secret, and the original exception (whose
  traceback frames hold the payload) is not chained.
* **Insecure backends are refused** for writing (keyrings.alt/cryptfile plaintext, null, fail) unless the caller
  passes ``allow_insecure=True`` (the explicit plaintext opt-in).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from imstui.api.credentials import Credentials
from imstui.api.errors import ImstuiError
from imstui.api.secret import Secret
from imstui.core.fsutil import write_private_file
from imstui.core.profiles import validate_profile_name

SERVICE = "imstui"
DEFAULT_TIMEOUT = 10.0
PAYLOAD_VERSION = 1

T = TypeVar("T")

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
    "Run imstui inside its own Secret Service: `imstui-session imstui ...` (scripts/imstui-session; needs "
    "gnome-keyring and dbus; asks for the keyring password at start; `imstui-session $SHELL` for once per login).",
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


# -- payload ------------------------------------------------------------------------------------------------


def encode_payload(credentials: Credentials) -> str:
    """The one-line JSON stored in the keyring item."""
    token = credentials.security_token.reveal() if credentials.security_token else None
    return json.dumps(
        {"v": PAYLOAD_VERSION, "ak": credentials.ak, "sk": credentials.sk.reveal(), "token": token},
        separators=(",", ":"),
        ensure_ascii=True,
    )


def decode_payload(value: str, *, where: str) -> Credentials:
    """Parse a stored item; a damaged item gives a plain sentence that never echoes its content."""
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or data.get("v") != PAYLOAD_VERSION
        or not isinstance(data.get("ak"), str)
        or not isinstance(data.get("sk"), str)
        or not data["ak"]
        or not data["sk"]
        or not (data.get("token") is None or isinstance(data.get("token"), str))
    ):
        raise SecretStoreUnavailable(
            f"The stored credentials for {where} are not in imstui's format.",
            "Store them again with `imstui profile add` (it overwrites the item).",
            reason="corrupt",
        )
    token = data.get("token")
    return Credentials(ak=data["ak"], sk=Secret(data["sk"]), security_token=Secret(token) if token else None)


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


def _qualname(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _short_name(backend: object) -> str:
    cls = type(backend)
    module = cls.__module__
    if module.startswith("keyring.backends."):
        return f"{module.removeprefix('keyring.backends.')}.{cls.__name__}"
    return cls.__name__


def _is_password_based(backend: object) -> bool:
    return hasattr(type(backend), "keyring_key")


def _is_unlocked(backend: object) -> bool:
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
    qual = _qualname(backend)
    name = _short_name(backend)
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
    password_based = _is_password_based(backend)
    unlocked = _is_unlocked(backend) if password_based else True
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
    if _qualname(backend) == "keyring.backends.chainer.ChainerBackend":
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

    session = "Start imstui through the wrapper `imstui-session` (scripts/imstui-session)"
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


# -- the worker ---------------------------------------------------------------------------------------------


class _Worker:
    """One daemon thread that runs keyring calls in order. Daemon, so a hung D-Bus call never blocks exit.

    (A ThreadPoolExecutor would: its threads are joined at interpreter shutdown.)
    """

    _IDLE_EXIT = 5.0

    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = 0

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            self._pending += 1
            self._queue.put((fn, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            try:
                fn, future = self._queue.get(timeout=self._IDLE_EXIT)
            except queue.Empty:
                with self._lock:
                    if self._pending == 0:
                        self._thread = None
                        return
                continue
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn()
                    except BaseException as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._lock:
                    self._pending -= 1
                del fn, future


# -- the store ----------------------------------------------------------------------------------------------


class SecretStore:
    """AK/SK/token per profile in the OS keyring, with timeouts, policy and plain-sentence errors.

    ``backend``: a keyring backend instance to use; ``None`` = whatever ``keyring.get_keyring()`` selects
    (``PYTHON_KEYRING_BACKEND``, keyringrc.cfg, or the highest priority), resolved lazily on the worker thread.
    Sync methods block the caller at most ``timeout`` seconds; ``a*`` methods are the same for asyncio code.
    """

    def __init__(self, backend: Any | None = None, *, timeout: float = DEFAULT_TIMEOUT, service: str = SERVICE) -> None:
        self.timeout = timeout
        self.service = service
        self._given = backend
        self._backend: Any | None = None
        self._raw: Any | None = None
        self._dead: SecretStoreUnavailable | None = None
        self._worker = _Worker("imstui-keyring")
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """False after a keyring call timed out: every later call fails at once for this run."""
        return self._dead is None

    def _call(self, fn: Callable[[], T], *, what: str) -> T:
        if self._dead is not None:
            raise self._dead
        future = self._worker.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            dead = SecretStoreUnavailable(
                f"The keyring did not answer within {self.timeout:g} s ({what}); it is treated as unavailable until "
                "imstui restarts.",
                "Check that the keyring daemon is running and unlocked (imstui-session starts one), or use "
                "session-only credentials or the HUAWEICLOUD_SDK_* variables for this run.",
                reason="timeout",
            )
            self._dead = dead
            raise dead from None
        except SecretStoreUnavailable:
            raise
        except Exception as exc:
            mapped = map_error(exc, self._display_name())
        raise mapped from None

    def _display_name(self) -> str:
        backend = self._backend
        return "the keyring" if backend is None else f"the keyring ({_short_name(backend)})"

    def _resolve(self) -> Any:
        """Runs on the worker. Detection may itself hit D-Bus, hence it is inside the timeout too.

        Without an explicit backend, follows ``keyring.get_keyring()`` (so ``keyring.set_keyring()`` is honoured).
        """
        with self._lock:
            if self._given is not None:
                raw = self._given
            else:
                import keyring

                raw = keyring.get_keyring()
            if self._backend is None or raw is not self._raw:
                self._raw = raw
                self._backend = unwrap_chainer(raw)
            return self._backend

    def _ready_backend(self) -> Any:
        """Runs on the worker: the backend, refusing a password-based one that is still locked (no getpass)."""
        backend = self._resolve()
        if _is_password_based(backend) and not _is_unlocked(backend):
            raise SecretStoreUnavailable(
                f"{_short_name(backend)} is an encrypted file that needs its master password first.",
                "Enter the master password when imstui asks (the console opens a prompt; the command line asks "
                "on a terminal).",
                reason="needs-master-password",
            )
        return backend

    # -- information ---------------------------------------------------------------------------------------
    def backend_info(self) -> BackendInfo:
        """Which backend is active and whether it is secure. Never raises."""
        try:
            return self._call(lambda: classify(self._resolve()), what="detecting the backend")
        except SecretStoreUnavailable as exc:
            return BackendInfo(
                name=_short_name(self._backend) if self._backend is not None else "unknown",
                secure=False,
                description=f"{exc.message} {exc.remedy}",
                remedies=remedies_here(),
                available=False,
                module=_qualname(self._backend) if self._backend is not None else "",
            )

    # -- the operations ------------------------------------------------------------------------------------
    def unlock(self, master_password: str | Secret) -> None:
        """Give a password-based backend (cryptfile) its master password; checks it (about 1 s of Argon2).

        No-op for backends without one. Raises :class:`SecretStoreUnavailable` (``wrong-master-password``).
        If the encrypted file does not exist yet, this password becomes its master password.
        """
        password = master_password.reveal() if isinstance(master_password, Secret) else master_password
        if not password or not password.strip():
            raise SecretStoreUnavailable(
                "The master password cannot be empty.", "Enter the master password.", reason="needs-master-password"
            )

        def work() -> None:
            backend = self._resolve()
            if not _is_password_based(backend):
                return
            try:
                backend.keyring_key = password
                if "_keyring_key" not in vars(backend) and hasattr(backend, "_unlock"):
                    backend._unlock()  # keyrings.alt style: the setter does not check the password
            except BaseException:
                _forget_key(backend)
                raise

        self._call(work, what="unlocking")

    def lock(self) -> None:
        """Forget the master password of a password-based backend (it must be unlocked again)."""
        backend = self._backend
        if backend is not None and _is_password_based(backend):
            _forget_key(backend)

    def get(self, profile: str) -> Credentials | None:
        """The stored credentials of ``profile``, or ``None`` if there is no item."""
        validate_profile_name(profile)

        def work() -> str | None:
            value: str | None = self._ready_backend().get_password(self.service, profile)
            return value

        value = self._call(work, what="reading")
        if value is None:
            return None
        return decode_payload(value, where=f"profile {profile!r}")

    def set(self, profile: str, credentials: Credentials, *, allow_insecure: bool = False) -> None:
        """Store (overwrite) the item of ``profile``. Refuses an insecure backend unless ``allow_insecure``."""
        validate_profile_name(profile)
        info = self._call(lambda: classify(self._resolve()), what="detecting the backend")
        if not info.secure and not allow_insecure:
            raise SecretStoreUnavailable(
                f"Refusing to store keys: the active keyring backend is not secure ({info.description})",
                "Options, best first: " + " | ".join(remedies_here()),
                reason="insecure",
            )
        payload = encode_payload(credentials)

        def work() -> None:
            self._ready_backend().set_password(self.service, profile, payload)

        self._call(work, what="writing")

    def delete(self, profile: str) -> bool:
        """Delete the item of ``profile``; ``False`` if there was none."""
        validate_profile_name(profile)
        from keyring.errors import PasswordDeleteError

        def work() -> bool:
            backend = self._ready_backend()
            try:
                backend.delete_password(self.service, profile)
            except PasswordDeleteError:
                return False
            return True

        return self._call(work, what="deleting")

    # -- asyncio wrappers (for the console) -----------------------------------------------------------------
    async def _run_async(self, fn: Callable[[], T]) -> T:
        # The sync call already gives up after `timeout`; wait_for is a second fence so the UI never waits longer.
        return await asyncio.wait_for(asyncio.to_thread(fn), timeout=self.timeout + 2.0)

    async def abackend_info(self) -> BackendInfo:
        return await self._run_async(self.backend_info)

    async def aunlock(self, master_password: str | Secret) -> None:
        await self._run_async(lambda: self.unlock(master_password))

    async def aget(self, profile: str) -> Credentials | None:
        return await self._run_async(lambda: self.get(profile))

    async def aset(self, profile: str, credentials: Credentials, *, allow_insecure: bool = False) -> None:
        await self._run_async(lambda: self.set(profile, credentials, allow_insecure=allow_insecure))

    async def adelete(self, profile: str) -> bool:
        return await self._run_async(lambda: self.delete(profile))


TIMEOUT_ENV = "IMSTUI_KEYRING_TIMEOUT"
_default_store: SecretStore | None = None
_default_lock = threading.Lock()


def keyring_timeout(environ: Mapping[str, str] | None = None) -> float:
    """``$IMSTUI_KEYRING_TIMEOUT`` seconds (0.1-600), else :data:`DEFAULT_TIMEOUT`."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return min(max(value, 0.1), 600.0) if value == value else DEFAULT_TIMEOUT


def default_store() -> SecretStore:
    """The process-wide store: one unlock (master password) and one timeout verdict serve the whole run."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = SecretStore(timeout=keyring_timeout())
        return _default_store


def reset_default_store() -> None:
    """Forget the process-wide store (tests; or after the user fixed the keyring and asked to retry)."""
    global _default_store
    with _default_lock:
        _default_store = None


def _forget_key(backend: Any) -> None:
    state = vars(backend)
    if "_keyring_key" in state:
        state["_keyring_key"] = None
    else:
        state.pop("keyring_key", None)


# -- the two non-keyring stores -----------------------------------------------------------------------------


class SessionSecrets:
    """Session-only credentials: in memory, never persisted, lost when imstui exits."""

    def __init__(self) -> None:
        self._items: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    def get(self, profile: str) -> Credentials | None:
        with self._lock:
            return self._items.get(profile)

    def set(self, profile: str, credentials: Credentials) -> None:
        validate_profile_name(profile)
        with self._lock:
            self._items[profile] = credentials

    def delete(self, profile: str) -> bool:
        with self._lock:
            return self._items.pop(profile, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: The process-wide session store used by the console and the CLI.
SESSION_SECRETS = SessionSecrets()


class PlaintextSecrets:
    """The explicit opt-in: keys UNENCRYPTED in a 0600 JSON file under the config dir. Shown as a warning."""

    def __init__(self, path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> None:
        from imstui.core.profiles import plaintext_path

        self.path = path if path is not None else plaintext_path(environ)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"v": PAYLOAD_VERSION, "profiles": {}}
        except (OSError, ValueError):
            raise SecretStoreUnavailable(
                f"The plaintext credentials file {self.path} is unreadable or damaged.",
                "Move it away and store the keys again.",
                reason="corrupt",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
            raise SecretStoreUnavailable(
                f"The plaintext credentials file {self.path} is not in imstui's format.",
                "Move it away and store the keys again.",
                reason="corrupt",
            )
        return data

    def get(self, profile: str) -> Credentials | None:
        item = self._load()["profiles"].get(profile)
        if item is None:
            return None
        return decode_payload(json.dumps(item), where=f"profile {profile!r} in {self.path}")

    def set(self, profile: str, credentials: Credentials) -> None:
        validate_profile_name(profile)
        data = self._load()
        data["profiles"][profile] = json.loads(encode_payload(credentials))
        write_private_file(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def delete(self, profile: str) -> bool:
        data = self._load()
        if data["profiles"].pop(profile, None) is None:
            return False
        if data["profiles"]:
            write_private_file(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        else:
            self.path.unlink(missing_ok=True)
        return True
