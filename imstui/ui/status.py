"""The console's name for the shared wording: everything is defined in :mod:`imstui.core.wording` (one wording for
the console and the headless commands); this module only re-exports it for the widgets."""

from __future__ import annotations

from imstui.core.wording import (
    KIND_STYLES,
    PhaseLook,
    format_age,
    format_ago,
    format_local_and_utc,
    format_progress,
    format_utc,
    look_of,
)

__all__ = [
    "KIND_STYLES",
    "PhaseLook",
    "format_age",
    "format_ago",
    "format_local_and_utc",
    "format_progress",
    "format_utc",
    "look_of",
]
