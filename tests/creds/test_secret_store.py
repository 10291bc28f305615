"""SecretStore: round trips, backend verdicts, error sentences, timeouts, cryptfile without getpass."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, KeyringLocked, NoKeyringError

from imstui.api.credentials import Credentials
from imstui.api.errors import ImstuiError, LocalValidationError
from imstui.api.secret import Secret
from imstui.core.secret_store import (
    REMEDIES,
    SecretStore,
    SecretStoreUnavailable,
    SessionSecrets,
    classify,
    unwrap_chainer,
)

SK = "SK-unit-8c1f0e2b9d7a4c33"


def creds(token: str | None = None) -> Credentials:
    return Credentials(ak="HPUAUNITTESTAK0001", sk=Secret(SK), security_token=Secret(token) if token else None)


def test_round_trip_in_the_keyring_as_one_json_item(memory_keyring: Any) -> None:
    store = SecretStore()
    store.set("prod", creds())
    raw = memory_keyring.items[("imstui", "prod")]
    assert "\n" not in raw
    assert json.loads(raw) == {"v": 1, "ak": "HPUAUNITTESTAK0001", "sk": SK, "token": None}
    got = store.get("prod")
    assert got is not None
    assert got.ak == "HPUAUNITTESTAK0001"
    assert got.sk.reveal() == SK
    assert got.security_token is None
    assert SK not in repr(got)
    assert store.delete("prod") is True
    assert store.get("prod") is None
    assert store.delete("prod") is False


def test_four_kib_security_token_round_trip() -> None:
    token = ("T0k3n/+=" * 512)[:4096]
    store = SecretStore()
    store.set("temp", creds(token))
    got = store.get("temp")
    assert got is not None and got.security_token is not None
    assert got.security_token.reveal() == token
    assert len(got.security_token) == 4096


async def test_async_wrappers_round_trip() -> None:
    store = SecretStore()
    await store.aset("async", creds("tok"))
    got = await store.aget("async")
    assert got is not None and got.security_token is not None and got.security_token.reveal() == "tok"
    assert (await store.abackend_info()).secure
    assert await store.adelete("async") is True


def test_invalid_profile_names_never_reach_the_keyring(memory_keyring: Any) -> None:
    store = SecretStore()
    for bad in ("", "a/b", "../x", "x" * 65, "sp ace", "..", "é"):
        with pytest.raises(LocalValidationError):
            store.set(bad, creds())
    assert memory_keyring.items == {}


def test_fail_backend_gives_one_sentence_and_the_remedy_list() -> None:
    store = SecretStore(fail.Keyring())
    info = store.backend_info()
    assert info.secure is False
    assert len(info.remedies) == len(REMEDIES) == 6
    assert "imstui session" in info.remedies[0]
    assert "cryptfile" in info.remedies[1]
    assert "keyring-pass" in info.remedies[2]
    assert "session-only" in info.remedies[3].lower()
    assert "HUAWEICLOUD_SDK_AK" in info.remedies[4]
    assert "plaintext" in info.remedies[5].lower()
    with pytest.raises(SecretStoreUnavailable) as caught:
        store.get("prod")
    assert caught.value.reason == "no-backend"
    assert (
        caught.value.message
        == "No secure credential storage is available on this machine (keyring found no usable backend)."
    )
    assert isinstance(caught.value, ImstuiError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_insecure_backend_is_refused_without_opt_in() -> None:
    class Plain(KeyringBackend):
        priority = 0.5
        viable = False
        items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username))

    backend = Plain()
    store = SecretStore(backend)
    assert store.backend_info().secure is False
    with pytest.raises(SecretStoreUnavailable) as caught:
        store.set("prod", creds())
    assert caught.value.reason == "insecure"
    assert "not secure" in caught.value.message
    assert backend.items == {}
    store.set("prod", creds(), allow_insecure=True)
    assert ("imstui", "prod") in backend.items


@pytest.mark.parametrize(
    ("exc", "reason", "words"),
    [
        (NoKeyringError("No recommended backend was available."), "no-backend", "No secure credential storage"),
        (KeyringLocked("Failed to unlock the collection!"), "locked", "is locked"),
        (InitError("Failed to create the collection: Prompt dismissed.."), "locked", "unlock prompt"),
        (ValueError("MAC check failed"), "wrong-master-password", "master password"),
        (FileNotFoundError(2, "No such file"), "no-backend", "D-Bus"),
        (RuntimeError("something odd with " + SK), "error", "failed"),
    ],
)
def test_keyring_failures_map_to_plain_sentences(exc: Exception, reason: str, words: str) -> None:
    class Broken(KeyringBackend):
        priority = 5
        viable = False

        def get_password(self, service: str, username: str) -> str | None:
            raise exc

        def set_password(self, service: str, username: str, password: str) -> None:
            raise exc

        def delete_password(self, service: str, username: str) -> None:
            raise exc

    store = SecretStore(Broken())
    with pytest.raises(SecretStoreUnavailable) as caught:
        store.get("prod")
    err = caught.value
    assert err.reason == reason
    assert words in err.message
    assert err.remedy
    assert SK not in err.full_text  # an exception text is never echoed
    assert "\n" not in err.full_text


def test_a_hung_backend_is_cut_off_and_later_calls_fail_fast() -> None:
    release = threading.Event()
    calls: list[str] = []

    class Hung(KeyringBackend):
        priority = 5
        viable = False

        def get_password(self, service: str, username: str) -> str | None:
            calls.append(username)
            release.wait(30)
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            calls.append(username)

        def delete_password(self, service: str, username: str) -> None:
            calls.append(username)

    store = SecretStore(Hung(), timeout=0.3)
    try:
        with pytest.raises(SecretStoreUnavailable) as caught:
            store.get("prod")
        assert caught.value.reason == "timeout"
        assert "did not answer within 0.3 s" in caught.value.message
        assert store.available is False
        # Later calls are refused without reaching the backend (whose only worker is still stuck).
        with pytest.raises(SecretStoreUnavailable) as again:
            store.set("other", creds())
        assert again.value.reason == "timeout"
        assert store.backend_info().available is False
        assert calls == ["prod"]
    finally:
        release.set()


async def test_a_hung_backend_does_not_freeze_the_event_loop() -> None:
    release = threading.Event()
    entered = threading.Event()

    class Hung(KeyringBackend):
        priority = 5
        viable = False

        def get_password(self, service: str, username: str) -> str | None:
            entered.set()
            release.wait(30)
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            pass

        def delete_password(self, service: str, username: str) -> None:
            pass

    store = SecretStore(Hung(), timeout=0.3)
    pending = asyncio.create_task(store.aget("prod"))
    try:
        # This coroutine runs on the event loop and finishes only once the keyring call is stuck in the backend:
        # had the keyring call blocked the loop, it could never finish before the call returned.
        assert await asyncio.to_thread(entered.wait, 30)
        assert not release.is_set()
        with pytest.raises(SecretStoreUnavailable):
            await pending
    finally:
        release.set()


def test_chainer_is_judged_and_used_by_its_first_backend(memory_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [memory_keyring, null.Keyring()])
    assert unwrap_chainer(chainer.ChainerBackend()) is memory_keyring
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring(), memory_keyring])
    info = classify(unwrap_chainer(chainer.ChainerBackend()))
    assert info.secure is False and info.module == "keyring.backends.null.Keyring"


def test_verdicts_for_known_backends() -> None:
    assert classify(null.Keyring()).secure is False
    assert classify(fail.Keyring()).secure is False
    from keyrings.cryptfile.cryptfile import CryptFileKeyring
    from keyrings.cryptfile.file import PlaintextKeyring

    assert classify(CryptFileKeyring()).secure is True
    assert classify(CryptFileKeyring()).needs_master_password is True
    assert classify(PlaintextKeyring()).secure is False


def test_default_backend_follows_keyring_set_keyring(memory_keyring: Any) -> None:
    stored = memory_keyring.items  # (read before the `is` below narrows the fixture to a plain KeyringBackend)
    assert keyring.get_keyring() is memory_keyring
    SecretStore().set("p1", creds())
    assert ("imstui", "p1") in stored


# -- keyrings.cryptfile: the master password comes from imstui, never from getpass --------------------------


def make_cryptfile(tmp_path: Path) -> Any:
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    kr = CryptFileKeyring()
    kr.file_path = str(tmp_path / "cryptfile_pass.cfg")
    # Keep the test fast: a cheaper Argon2 than the default 64 MiB x 15 (the format is the same).
    kr.time_cost = 1
    kr.memory_cost = 1024
    return kr


def test_cryptfile_locked_until_unlock_then_wrong_password_is_a_plain_sentence(tmp_path: Path) -> None:
    store = SecretStore(make_cryptfile(tmp_path))
    info = store.backend_info()
    assert info.secure and info.needs_master_password and not info.unlocked and info.new_master_password
    with pytest.raises(SecretStoreUnavailable) as locked:
        store.get("prod")  # would call getpass (which raises in these tests) if it reached the backend
    assert locked.value.reason == "needs-master-password"

    store.unlock(Secret("right horse battery"))
    assert store.backend_info().unlocked
    store.set("prod", creds("tok-123"))
    text = (tmp_path / "cryptfile_pass.cfg").read_text()
    assert SK not in text and "tok-123" not in text
    assert (tmp_path / "cryptfile_pass.cfg").stat().st_mode & 0o777 == 0o600

    # A new process: right password reads the item back, a wrong one is one sentence.
    again = SecretStore(make_cryptfile(tmp_path))
    assert not again.backend_info().new_master_password
    with pytest.raises(SecretStoreUnavailable) as wrong:
        again.unlock("wrong password")
    assert wrong.value.reason == "wrong-master-password"
    assert wrong.value.message == "The master password for the encrypted keyring file is wrong."
    assert not again.backend_info().unlocked  # the wrong password is not kept
    with pytest.raises(SecretStoreUnavailable):
        again.get("prod")
    again.unlock("right horse battery")
    got = again.get("prod")
    assert got is not None and got.sk.reveal() == SK


def test_empty_master_password_is_refused(tmp_path: Path) -> None:
    store = SecretStore(make_cryptfile(tmp_path))
    with pytest.raises(SecretStoreUnavailable):
        store.unlock("   ")


def test_session_secrets_are_memory_only(tmp_path: Path) -> None:
    session = SessionSecrets()
    session.set("s", creds())
    got = session.get("s")
    assert got is not None and got.sk.reveal() == SK
    assert session.delete("s") and session.get("s") is None


def test_corrupt_item_never_echoes_its_content(memory_keyring: Any) -> None:
    memory_keyring.items[("imstui", "bad")] = "not json " + SK
    with pytest.raises(SecretStoreUnavailable) as caught:
        SecretStore().get("bad")
    assert caught.value.reason == "corrupt"
    assert SK not in caught.value.full_text
