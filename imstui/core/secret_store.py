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
import os
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.core.keyring_backends import (
    REMEDIES,
    BackendInfo,
    Reason,
    SecretStoreUnavailable,
    classify,
    is_password_based,
    is_unlocked,
    map_error,
    qualname,
    remedies_here,
    short_name,
    unwrap_chainer,
)
from imstui.core.local_secrets import SESSION_SECRETS, PlaintextSecrets, SessionSecrets
from imstui.core.profiles import validate_profile_name
from imstui.core.secret_payload import PAYLOAD_VERSION, decode_payload, encode_payload

__all__ = [
    "PAYLOAD_VERSION",
    "REMEDIES",
    "SERVICE",
    "SESSION_SECRETS",
    "BackendInfo",
    "PlaintextSecrets",
    "Reason",
    "SecretStore",
    "SecretStoreUnavailable",
    "SessionSecrets",
    "classify",
    "decode_payload",
    "default_store",
    "encode_payload",
    "keyring_timeout",
    "map_error",
    "remedies_here",
    "reset_default_store",
    "unwrap_chainer",
]

SERVICE = "imstui"
DEFAULT_TIMEOUT = 10.0

T = TypeVar("T")

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
        return "the keyring" if backend is None else f"the keyring ({short_name(backend)})"

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
        if is_password_based(backend) and not is_unlocked(backend):
            raise SecretStoreUnavailable(
                f"{short_name(backend)} is an encrypted file that needs its master password first.",
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
                name=short_name(self._backend) if self._backend is not None else "unknown",
                secure=False,
                description=f"{exc.message} {exc.remedy}",
                remedies=remedies_here(),
                available=False,
                module=qualname(self._backend) if self._backend is not None else "",
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
            if not is_password_based(backend):
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
        if backend is not None and is_password_based(backend):
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
