"""What can go wrong with the ledger file, as exceptions that say what happened and what to do.

Every ``sqlite3`` error the ledger meets is turned into one of these (:func:`translate`), so callers catch
:class:`LedgerError` and never see a driver traceback. A :class:`LedgerError` is an
:class:`~imstui.api.errors.ImstuiError`: every headless command (``run_command``) and the console's connect path
report it as one clear line, wherever it is raised.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imstui.api.errors import ImstuiError
from imstui.api.sanitize import escape

__all__ = [
    "InvalidJobIdError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerUnwritableError",
    "escaped",
    "translate",
]


class LedgerError(ImstuiError):
    """The ledger file cannot be opened or used, or is from a newer imstui."""


class LedgerDamagedError(LedgerError):
    """The file is not a usable ledger (not a database, damaged pages, a table or column missing)."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"the job ledger {path} is damaged ({detail}); imstui did not change it. Save what can still be read "
            f"(imstui jobs export > jobs-saved.json), then move it aside to start afresh: mv {path} {path}.damaged "
            "(and its -wal/-shm files, if any); follow jobs still running again with: imstui jobs import JOB_ID"
        )


class LedgerUnwritableError(LedgerError):
    """A write failed: the disk is full, the file is read-only, or another process held it locked too long."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"cannot write the job ledger {path}: {detail}")


class InvalidJobIdError(LedgerError, ValueError):
    """A job id that does not fit the documented shape: refused whole, never stored shortened or altered."""

    def __init__(self, job_id: object, rule: str) -> None:
        self.job_id = job_id
        super().__init__(f"refusing to store the job id {escaped(job_id)}: {rule}")


def escaped(value: object) -> str:
    """``value`` shown exactly, as printable ASCII (:func:`imstui.api.sanitize.escape`; a non-string as its repr)."""
    return escape(value) if isinstance(value, str) else escape(repr(value))


_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_ERROR", "SQLITE_MISMATCH", "SQLITE_SCHEMA")
_DAMAGE_WORDS = ("malformed", "not a database", "no such table", "no such column", "corrupt")
_WHY = {
    "SQLITE_FULL": "the disk is full",
    "SQLITE_READONLY": "the file or its folder is read-only",
    "SQLITE_BUSY": "another process kept it locked longer than the wait allows",
    "SQLITE_LOCKED": "another process kept it locked longer than the wait allows",
    "SQLITE_CANTOPEN": "the file cannot be opened",
    "SQLITE_PERM": "permission denied",
    "SQLITE_IOERR": "a disk read or write failed",
}
_WHY_WORDS = (("full", "SQLITE_FULL"), ("readonly", "SQLITE_READONLY"), ("read-only", "SQLITE_READONLY"))


def translate(path: Path, exc: sqlite3.Error) -> LedgerError:
    """The :class:`LedgerError` for a driver error met while using ``path``."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    message = str(exc)
    lowered = message.lower()
    if name.startswith(_DAMAGE) or (not name and any(word in lowered for word in _DAMAGE_WORDS)):
        if not any(word in lowered for word in ("locked", "full", "readonly")):
            return LedgerDamagedError(path, message)
    base = name.split("_", 2)
    key = "_".join(base[:2]) if len(base) >= 2 else ""
    if key not in _WHY:
        key = next((code for word, code in _WHY_WORDS if word in lowered), key)
    if "locked" in lowered or "busy" in lowered:
        key = "SQLITE_BUSY"
    why = _WHY.get(key)
    return LedgerUnwritableError(path, f"{why} ({message})" if why else message)
