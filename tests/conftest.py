"""Test isolation shared by the whole suite: no test touches the developer's home, config, keyring or env."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

_LEAKY_ENV = (
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_REGION",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
    "IMSTUI_IMS_ENDPOINT",
    "IMSTUI_PROFILE",
    "IMSTUI_CONFIG",
    "IMSTUI_STATE_DIR",
    "IMSTUI_SIM_AK",
    "IMSTUI_SIM_SK",
    "IMSTUI_SIM_PROJECT_ID",
    "IMSTUI_SIM_REGION",
    "DBUS_SESSION_BUS_ADDRESS",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
    "NO_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME and XDG dirs per test; credentials and endpoints from the outer env are removed."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    for name in _LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    # Safety net for subprocesses: never reach a real keyring from a test unless a test sets one up.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    assert os.environ["HOME"] == str(home)
    yield home


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring for tests (priority 1 = "recommended", so imstui treats it as secure)."""

    priority = 1
    viable = False  # never picked by keyring's own detection; only installed with keyring.set_keyring()

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test runs against a fresh in-memory keyring: no test ever reaches a real keyring."""
    from imstui.core.secret_store import SESSION_SECRETS, reset_default_store

    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    reset_default_store()  # imstui's process-wide store: no unlock state or timeout verdict from another test
    SESSION_SECRETS.clear()
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous
        reset_default_store()
        SESSION_SECRETS.clear()


@pytest.fixture
def one_page_damaged(tmp_path: Path) -> tuple[Path, int]:
    """``tmp_path / "jobs.sqlite3"``: a ledger of 300 sent copies (job ids known, so opening's sweep reads none of
    them) with one leaf page of the jobs table overwritten, the schema and the change counter intact; and that
    page's number (as SQLite's quick_check names it)."""
    from imstui.core.ledger import Ledger

    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        for i in range(300):
            row = led.record_intent(
                profile="default",
                region="r1",
                project_id="p1",
                source_image_id="src",
                source_image_name="base",
                name=f"copy-{i}" + "x" * 300,
            )
            led.attach_job_id(row, f"job-{i}")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    victim = data.index(b"copy-150x") // page
    data[victim * page : (victim + 1) * page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    return path, victim + 1
