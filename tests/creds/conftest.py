"""Fixtures for the credential tests."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class GetpassCalled(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring backend that prompts through getpass would fight Textual for the terminal: fail loudly."""

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise GetpassCalled("getpass.getpass was called")

    monkeypatch.setattr(getpass, "getpass", refuse)


@pytest.fixture(autouse=True)
def fresh_stores() -> Iterator[None]:
    """The process-wide SecretStore (unlock state, timeout verdict) and session secrets start clean per test."""
    from imstui.core.secret_store import SESSION_SECRETS, reset_default_store

    reset_default_store()
    SESSION_SECRETS.clear()
    yield
    reset_default_store()
    SESSION_SECRETS.clear()


def _pids_on_bus(address: str) -> list[int]:
    """Processes whose environment names our private bus: the daemons this fixture started (and only those)."""
    needle = f"DBUS_SESSION_BUS_ADDRESS={address}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real Secret Service: a private dbus-daemon plus gnome-keyring-daemon unlocked with a test password.

    Yields the environment (HOME, XDG dirs, DBUS_SESSION_BUS_ADDRESS) for subprocesses; the test process's own
    DBUS_SESSION_BUS_ADDRESS points at it too. Both daemons are killed (by pid) afterwards.
    """
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (scripts/install-test-deps.sh installs them)")
    env = {name: os.environ[name] for name in ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")}
    started = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    address, dbus_pid = started.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="imstui-test-keyring-password",
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield env
    finally:
        for pid in {int(dbus_pid), *_pids_on_bus(address)}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
