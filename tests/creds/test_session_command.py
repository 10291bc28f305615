"""`imstui session [COMMAND...]` (installed with the package): a per-invocation D-Bus session with an unlocked
GNOME Keyring around COMMAND, as scripts/imstui-session does from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from creds import iamfake

pytestmark = [pytest.mark.e2e, pytest.mark.keyring_real]

AK = "HPUASESSIONCMD0001"
SK = "SK-session-cmd-9a7e41c2"


def in_session(argv: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imstui", "session", sys.executable, "-m", "imstui", *argv],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND" and not k.startswith("PYTEST")}


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="dbus-run-session or gnome-keyring-daemon not installed (scripts/install-test-deps.sh installs them)",
)
def test_keys_stored_in_one_session_are_read_in_the_next(isolated_home: Path) -> None:
    env = clean_env()
    with iamfake.serve_iam(AK, SK) as iam_url:
        add = ["profile", "add", "jump", "--region", "ap-southeast-1", "--ak", AK, "--iam-endpoint", iam_url]
        first = in_session([*add, "--sk-stdin"], f"kr-password\n{SK}\n\n", env)
        assert first.returncode == 0, first.stderr
        assert "keyring (SecretService.Keyring)" in first.stdout

        second = in_session(["doctor"], "kr-password\n", env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "credentials     keyring" in second.stdout
        assert "result: all good" in second.stdout

        wrong = in_session(["doctor"], "not-the-password\n", env)
        assert wrong.returncode == 1
        assert "is locked" in wrong.stdout
        assert "imstui session" in wrong.stdout  # the remedy names the installed command
    assert (isolated_home / ".local" / "share" / "keyrings").is_dir()
    assert SK not in first.stdout + first.stderr + second.stdout + second.stderr + wrong.stdout + wrong.stderr


def test_an_empty_password_is_refused_and_nothing_runs(isolated_home: Path) -> None:
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        pytest.skip("dbus-run-session or gnome-keyring-daemon not installed")
    run = in_session(["doctor"], "\n", clean_env())
    assert run.returncode == 1
    assert "an empty keyring password is refused" in run.stderr
    assert "result:" not in run.stdout


def test_missing_tools_are_named_with_the_alternatives(tmp_path: Path) -> None:
    env = {**clean_env(), "PATH": str(tmp_path)}  # neither dbus-run-session nor gnome-keyring-daemon on PATH
    run = in_session(["doctor"], "pw\n", env)
    assert run.returncode == 1
    assert "dbus-run-session and gnome-keyring-daemon not installed" in run.stderr
    assert "keyrings.cryptfile" in run.stderr


def test_the_console_started_by_default_gets_the_connection_options() -> None:
    from imstui.cli import parse_args
    from imstui.commands.session import console_options

    args = parse_args(["session", "--profile", "jump", "--region", "ap-southeast-3", "--demo"])
    assert args.words == []
    assert console_options(args) == ["--demo", "--profile", "jump", "--region", "ap-southeast-3"]
    assert parse_args(["session", "imstui", "doctor", "--profile", "x"]).words == ["imstui", "doctor", "--profile", "x"]
