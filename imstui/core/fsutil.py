"""Private files and directories: 0600 files, 0700 directories, atomic replacement.

Used for the profiles file, the plaintext-credentials file (explicit opt-in only) and the state/ledger files.
Permissions are set at creation time (``os.open(..., 0o600)``, ``mkdir(0o700)`` then ``chmod`` to defeat a
permissive umask), never widened afterwards, so a secret is never readable by others even for an instant.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; return it.

    Directories that already exist are left as they are (they may be shared, e.g. ``~/.config``); only the
    directories this call creates are forced to 0700, whatever the umask.
    """
    target = Path(path)
    missing: list[Path] = []
    probe = target
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, PRIVATE_DIR_MODE)
    if not target.is_dir():
        raise NotADirectoryError(str(target))
    return target


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Atomically replace ``path`` with ``data``: a 0600 temp file in the same directory, fsync, ``os.replace``.

    The parent directory is created 0700 if missing. A reader sees either the old or the new content, never a
    mix, and a crash leaves at most a stray ``.tmp`` file (mode 0600) behind.
    """
    target = Path(path)
    ensure_private_dir(target.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return target


@contextlib.contextmanager
def open_private(path: str | os.PathLike[str], mode: str = "a", encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Open a text file for writing/appending, creating it 0600 (and its directory 0700) if it does not exist.

    ``mode`` is ``"a"`` (append) or ``"w"`` (truncate). For whole-file rewrites prefer :func:`write_private_file`.
    """
    if mode not in ("a", "w"):
        raise ValueError("mode must be 'a' or 'w'")
    target = Path(path)
    ensure_private_dir(target.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(target, flags, PRIVATE_FILE_MODE)
    with os.fdopen(fd, mode, encoding=encoding) as handle:
        yield handle


def permission_problem(path: str | os.PathLike[str]) -> str | None:
    """A sentence describing why ``path`` is readable/writable by others, or ``None`` when it is private/absent."""
    target = Path(path)
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    loose = stat.S_IMODE(st.st_mode) & 0o077
    if not loose:
        return None
    kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
    wanted = "0700" if kind == "directory" else "0600"
    return f"{kind} {target} has mode {stat.S_IMODE(st.st_mode):04o}: others can read it (chmod {wanted} {target})"
