"""Against a REAL Secret Service (gnome-keyring-daemon on a private dbus-daemon), as on a jump host with
scripts/imstui-session. Skipped only when gnome-keyring-daemon or dbus-daemon is not installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.core.secret_store import SecretStore

pytestmark = pytest.mark.keyring_real

SK = "SK-real-secret-service-5f3a9c1e"


def test_secret_service_round_trip_and_readable_by_secret_tool(secret_service: dict[str, str]) -> None:
    from keyring.backends import SecretService

    store = SecretStore(SecretService.Keyring())  # built directly: keyring's detection is cached per process
    info = store.backend_info()
    assert info.secure is True
    assert info.name == "SecretService.Keyring"
    assert info.remedies == []

    token = "t" * 4096
    store.set("prod", Credentials(ak="HPUAREALSSAK00001", sk=Secret(SK), security_token=Secret(token)))
    got = store.get("prod")
    assert got is not None
    assert got.sk.reveal() == SK
    assert got.security_token is not None and got.security_token.reveal() == token

    # The item is a normal Secret Service item: service=imstui, username=<profile>, one-line JSON.
    if shutil.which("secret-tool"):
        looked_up = subprocess.run(
            ["secret-tool", "lookup", "service", "imstui", "username", "prod"],
            env=secret_service,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert looked_up.returncode == 0
        assert f'"sk":"{SK}"' in looked_up.stdout

    assert store.delete("prod") is True
    assert store.get("prod") is None
