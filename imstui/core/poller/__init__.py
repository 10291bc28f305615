"""The job poller: follows every unfinished copy job in the ledger until it succeeds, fails or disappears.

Pure asyncio (no Textual): the console runs it as a worker, ``jobs watch`` and ``copy --wait`` run it directly.

Scheduling, per job: first poll ``first_delay`` after submission, then every ``initial_interval`` growing by
``backoff_factor`` up to ``max_interval`` (polled sooner when the progress trend says the job is about to finish),
with ``jitter``. Finished (SUCCESS/FAIL) and gone jobs are never polled again.

Global limits: at most ``max_concurrency`` requests in flight and ``rate_per_second`` requests per second (token
bucket, ``burst`` deep). A gateway throttle (429 ``APIGW.0308``) pauses every poll until its ``Retry-After``, or
until the window its message states can have passed, or 1, 2, 4... minutes when it states none; the request
budget then drops and recovers slowly, and the first request after the pause goes alone. A streak of
server/transport errors (5xx, timeouts, resets) backs off globally as well, and each failing job backs off on
its own. A failed poll keeps the last good status and records the error in the ledger; a ``JobNotFoundError``
marks the job gone (last known state kept) and stops polling it. Nothing a server sends, no answer the ledger
cannot store and no subscriber that raises can stop the loop: every failure becomes an event for its job.

Rows written by another process (a ``copy`` in another terminal) are noticed through the ledger's change counter,
checked every ``ledger_check_interval`` seconds; if that process polled a job recently, this one waits.

Modules: :mod:`.settings` (``PollSettings``, ``VirtualTime``), :mod:`.events` (what subscribers receive),
:mod:`.policy` (the decisions, as pure functions), :mod:`.schedule` (due times, token bucket, throttle episode),
:mod:`.pacing` (budget and pauses), :mod:`.follower` (the ledger follower), :mod:`.writer` (batched,
fault-isolated writes), :mod:`.loop` (the engine), :mod:`.controls` (``Poller``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imstui.core.poller.controls import Poller
    from imstui.core.poller.events import (
        JobChanged,
        PollerEvent,
        PollerStatus,
        PollFailed,
        PollNow,
        Subscriber,
        Throttle,
    )
    from imstui.core.poller.policy import is_fatal
    from imstui.core.poller.settings import PollSettings, VirtualTime
    from imstui.core.poller.writer import LedgerWriteError

# Each name is imported from its module when first asked for (PEP 562): the console's first screen words a throttle
# (imstui.core.wording -> .events) without loading the engine, the ledger and the client protocol behind Poller.
_EXPORTS = {
    "JobChanged": "events",
    "LedgerWriteError": "writer",
    "PollFailed": "events",
    "PollNow": "events",
    "PollSettings": "settings",
    "Poller": "controls",
    "PollerEvent": "events",
    "PollerStatus": "events",
    "Subscriber": "events",
    "Throttle": "events",
    "VirtualTime": "settings",
    "is_fatal": "policy",
}

__all__ = [
    "JobChanged",
    "LedgerWriteError",
    "PollFailed",
    "PollNow",
    "PollSettings",
    "Poller",
    "PollerEvent",
    "PollerStatus",
    "Subscriber",
    "Throttle",
    "VirtualTime",
    "is_fatal",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
