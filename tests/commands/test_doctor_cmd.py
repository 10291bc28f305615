"""`imstui doctor` on a host without any keyring backend (keyring's 'fail' backend), in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """version = 1
default_profile = "p1"
[profiles.p1]
region = "ap-southeast-1"
access_key_id = "AKEXAMPLE0000000000"
credential_store = "keyring"
"""


def doctor(*extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run(
        [sys.executable, "-m", "imstui", "doctor", "--no-call", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def keyring_profile(isolated_home: Path) -> None:
    folder = isolated_home / ".config" / "imstui"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "config.toml").write_text(CONFIG)
    (folder / "config.toml").chmod(0o600)


def test_doctor_lists_each_remedy_once(keyring_profile: None) -> None:
    result = doctor()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    data = json.loads(doctor("--json").stdout)
    remedies = data["keyring"]["remedies"]
    assert len(remedies) >= 3
    for remedy in remedies:
        assert result.stdout.count(remedy) == 1, remedy  # once, in the numbered list (not again in the problems)
    assert " | " not in result.stdout
    assert "No secure credential storage" in result.stdout


def test_doctor_json_says_the_fail_backend_is_not_available(keyring_profile: None) -> None:
    data = json.loads(doctor("--json").stdout)
    assert data["keyring"]["module"] == "keyring.backends.fail.Keyring"
    assert data["keyring"]["available"] is False and data["keyring"]["secure"] is False
    assert data["ok"] is False
