"""``imstui session [COMMAND...]``: run COMMAND (default: the console) inside a private D-Bus session with an
unlocked GNOME Keyring, so the keys live in a real, encrypted Secret Service on a headless SSH jump host.

The same recipe as ``scripts/imstui-session`` (kept for checkouts), installed with the package:

1. re-executes ``imstui session`` under ``dbus-run-session``, which starts a session bus for this command only;
2. asks for the keyring password (hidden, on the terminal; or reads the first line of stdin when stdin is not a
   terminal, one byte at a time so the rest of stdin is left to COMMAND) and hands it to
   ``gnome-keyring-daemon --unlock --components=secrets`` on its stdin, never on a command line;
3. runs COMMAND with ``PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring`` (unless another backend is
   set). The first password ever entered creates the keyring; later sessions must use the same one.

When COMMAND exits the bus ends and the keyring daemon with it: nothing stays unlocked.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from imstui.commands.output import EXIT_FAILURE, add_command

IN_BUS_ENV = "IMSTUI_IN_DBUS"
TOOLS = ("dbus-run-session", "gnome-keyring-daemon")
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"  # noqa: S105 - a backend name
INSTALL_HINT = "Debian/Ubuntu: apt-get install --no-install-recommends dbus gnome-keyring"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "session",
        help="run imstui (or COMMAND) with its own unlocked Secret Service (GNOME Keyring on a private D-Bus)",
        description="Run COMMAND (default: the imstui console) inside a private D-Bus session with an unlocked GNOME "
        "Keyring: asks for the keyring password (first stdin line when stdin is not a terminal). "
        "Examples: imstui session; imstui session imstui doctor; imstui session $SHELL.",
        handler=cmd_session,
        json_option=False,
    )
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND", help="program and its arguments")


def _err(message: str) -> None:
    print(f"imstui session: {message}", file=sys.stderr)


def read_password(keyring_file: Path) -> str:
    """The keyring password: a hidden prompt on a terminal, else the first line of stdin (read byte by byte)."""
    if sys.stdin.isatty():
        exists = keyring_file.exists()
        prompt = "Keyring password: " if exists else f"New keyring password (creates {keyring_file}): "
        return getpass.getpass(prompt)
    line = bytearray()
    while True:
        byte = os.read(0, 1)
        if not byte or byte == b"\n":
            break
        line += byte
    return line.decode("utf-8", "replace").rstrip("\r")


def console_options(args: argparse.Namespace) -> list[str]:
    """The connection options given to ``imstui session`` itself, passed on to the console it starts."""
    options = ["--demo"] if getattr(args, "demo", False) else []
    for attr in ("profile", "region", "project_id", "endpoint", "iam_endpoint"):
        value = getattr(args, attr, None)
        if value:
            options += [f"--{attr.replace('_', '-')}", str(value)]
    return options


def cmd_session(args: argparse.Namespace) -> int:
    command = list(args.words) or [sys.executable, "-m", "imstui", *console_options(args)]
    if os.environ.get(IN_BUS_ENV) != "1":
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            _err(f"{' and '.join(missing)} not installed ({INSTALL_HINT}).")
            _err(
                "alternatives: pip install keyrings.cryptfile, session-only keys, or HUAWEICLOUD_SDK_AK/SK "
                "(see imstui doctor)."
            )
            return EXIT_FAILURE
        inner = ["dbus-run-session", "--", sys.executable, "-m", "imstui", "session", *command]
        os.execvpe(inner[0], inner, {**os.environ, IN_BUS_ENV: "1"})  # noqa: S606 - argv, no shell
    os.environ.pop(IN_BUS_ENV, None)
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    password = read_password(data_home / "keyrings" / "login.keyring")
    if not password:
        _err("an empty keyring password is refused.")
        return EXIT_FAILURE
    unlock = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input=password.encode(),
        stdout=subprocess.DEVNULL,
        check=False,
    )
    del password
    if unlock.returncode != 0:
        _err(f"gnome-keyring-daemon --unlock failed (exit {unlock.returncode}).")
        return EXIT_FAILURE
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", SECRET_SERVICE_BACKEND)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(command[0], command)  # noqa: S606 - the operator's own command
    except OSError as exc:
        _err(f"cannot run {command[0]!r}: {exc.strerror}")
        return 127
