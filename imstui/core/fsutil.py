"""Private files and directories: 0600 files, 0700 directories, atomic replacement.

Used for the profiles file, the plaintext-credentials file (explicit opt-in only) and the state dir and job
ledger (:mod:`imstui.core.ledger`); the one implementation of owner-only files and directories in imstui.
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


def ensure_private_dir(path: str | os.PathLike[str], *, tighten: bool = True) -> Path:
    """Create ``path`` (and missing parents) owner-only (0700, whatever the umask); return it.

    Every directory this call creates is 0700. With ``tighten`` (the default) an existing leaf directory that is
    looser is tightened to 0700 as well (when we may: a directory owned by someone else is left as it is).
    ``tighten=False`` leaves existing directories alone: for the parent of a file the user named, which may be a
    shared directory such as ``~`` or ``~/.config``. Parents that already exist are never changed.
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
    if tighten and target not in missing and os.name == "posix":
        if stat.S_IMODE(target.stat().st_mode) != PRIVATE_DIR_MODE:
            with contextlib.suppress(PermissionError):  # not ours (e.g. a shared dir given on purpose)
                os.chmod(target, PRIVATE_DIR_MODE)
    return target


def ensure_private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if missing with mode 0600 (atomically, no window with wider rights); tighten it if it exists.

    Symlinks are refused (``O_NOFOLLOW``). The content is not touched.
    """
    target = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, PRIVATE_FILE_MODE)
    try:
        if os.name == "posix" and stat.S_IMODE(os.fstat(fd).st_mode) != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return target


def tighten_file(path: str | os.PathLike[str]) -> None:
    """Make an existing file owner-only (0600); a missing file is ignored (sqlite's -wal/-shm come and go)."""
    if os.name != "posix":  # pragma: no cover
        return
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
    except FileNotFoundError:
        return


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
    ensure_private_dir(target.parent, tighten=False)
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
    ensure_private_dir(target.parent, tighten=False)
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
