"""Where imstui keeps its state (the job ledger), and owner-only file/directory creation.

State dir: ``$IMSTUI_STATE_DIR`` if set, else ``platformdirs.user_state_path("imstui")`` (which honours
``$XDG_STATE_HOME`` on Linux, i.e. ``~/.local/state/imstui`` by default). The directory is created ``0700`` and
the files in it ``0600``: the ledger holds project ids, image names and job history of the account.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

STATE_DIR_ENV = "IMSTUI_STATE_DIR"
LEDGER_FILENAME = "jobs.sqlite3"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def state_dir() -> Path:
    """The state directory (not created; see :func:`ensure_private_dir`)."""
    override = os.environ.get(STATE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    try:
        from platformdirs import user_state_path
    except ImportError:  # pragma: no cover - platformdirs ships with textual; keep a fallback for minimal installs
        return _fallback_state_dir()
    return Path(user_state_path("imstui", appauthor=False))


def _fallback_state_dir() -> Path:
    if sys.platform == "win32":  # pragma: no cover
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "imstui"
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "imstui"


def default_ledger_path() -> Path:
    return state_dir() / LEDGER_FILENAME


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make the leaf directory owner-only (``0700``)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        if mode != PRIVATE_DIR_MODE:
            with contextlib.suppress(PermissionError):  # not ours (e.g. a shared dir given on purpose): leave it
                os.chmod(path, PRIVATE_DIR_MODE)
    return path


def ensure_private_file(path: Path) -> Path:
    """Create ``path`` if missing with mode ``0600`` (atomic, no window with wider rights); tighten it if it exists."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        if os.name == "posix":
            mode = os.fstat(fd).st_mode & 0o777
            if mode != PRIVATE_FILE_MODE:
                os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path


def tighten_file(path: Path) -> None:
    """Make an existing file owner-only; missing files are ignored (sqlite's -wal/-shm come and go)."""
    if os.name != "posix":  # pragma: no cover
        return
    try:
        if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
    except FileNotFoundError:
        return
