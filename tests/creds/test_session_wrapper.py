"""scripts/imstui-session: a per-invocation D-Bus session with an unlocked GNOME Keyring around imstui."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from creds import iamfake

pytestmark = [pytest.mark.e2e, pytest.mark.keyring_real]

WRAPPER = Path(__file__).resolve().parents[2] / "scripts" / "imstui-session"
AK = "HPUAWRAPPERAK00001"
SK = "SK-wrapper-6d2c81f0"


def wrapped(argv: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WRAPPER), sys.executable, "-m", "imstui", *argv],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="dbus-run-session or gnome-keyring-daemon not installed (scripts/install-test-deps.sh installs them)",
)
def test_keys_stored_in_one_session_are_read_in_the_next(isolated_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND" and not k.startswith("PYTEST")}
    with iamfake.serve_iam(AK, SK) as iam_url:
        add = ["profile", "add", "jump", "--region", "ap-southeast-1", "--ak", AK, "--iam-endpoint", iam_url]
        first = wrapped([*add, "--sk-stdin"], f"kr-password\n{SK}\n\n", env)
        assert first.returncode == 0, first.stderr
        assert "keyring (SecretService.Keyring)" in first.stdout

        second = wrapped(["doctor"], "kr-password\n", env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "SecretService.Keyring" in second.stdout and "secure" in second.stdout
        assert "credentials     keyring" in second.stdout
        assert "result: all good" in second.stdout

        wrong = wrapped(["doctor"], "not-the-password\n", env)
        assert wrong.returncode == 1
        assert "is locked" in wrong.stdout
    assert (isolated_home / ".local" / "share" / "keyrings").is_dir()
    assert SK not in first.stdout + first.stderr + second.stdout + second.stderr + wrong.stdout + wrong.stderr
