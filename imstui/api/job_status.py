"""A job's status as IMS reports it (``INIT``, ``RUNNING``, ``SUCCESS``, ``FAIL``; anything else ``UNKNOWN``).

Apart from :mod:`imstui.api.models` (which re-exports it) so that what only needs the status (the ledger's rows, the
wording, the console's first screen) does not build the wire models' classes with it.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["JobStatus"]


class JobStatus(str, Enum):
    INIT = "INIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"  # any other value the server sends: treated as "not finished" (the raw word is kept)

    @classmethod
    def parse(cls, value: str) -> JobStatus:
        """Case-insensitive; the documented spellings: ``SUCCESS``/``FAIL`` (models, examples) and the copy page's
        prose ``success``/``failed`` (so ``FAILED`` too). Anything else is ``UNKNOWN``: not finished, polled on."""
        word = value.strip().upper()
        try:
            return cls(_STATUS_ALIASES.get(word, word))
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAIL)


_STATUS_ALIASES = {"FAILED": "FAIL"}
