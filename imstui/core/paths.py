"""Where imstui keeps its state (the job ledger).

State dir: ``$IMSTUI_STATE_DIR`` if set, else ``platformdirs.user_state_path("imstui")`` (which honours
``$XDG_STATE_HOME`` on Linux, i.e. ``~/.local/state/imstui`` by default). The directory is created ``0700`` and
the files in it ``0600`` (by :mod:`imstui.core.fsutil`): the ledger holds project ids, image names and job history
of the account.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STATE_DIR_ENV = "IMSTUI_STATE_DIR"
LEDGER_FILENAME = "jobs.sqlite3"


def state_dir() -> Path:
    """The state directory (not created; :func:`imstui.core.fsutil.ensure_private_dir` makes it 0700)."""
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
