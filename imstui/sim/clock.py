"""Clocks for the simulator: job state is computed lazily from ``clock.now()`` (epoch seconds).

``SystemClock`` is real time (``imstui sim`` and ``--demo``); ``ManualClock`` only moves when a test calls
``advance()``. Signature freshness (``X-Sdk-Date``) is always checked against real time, because clients sign
with their own wall clock; see ``SimConfig.auth_clock``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that stands still until ``advance()`` or ``set()``; thread-safe (the sim may run in a thread)."""

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now = float(time.time() if start is None else start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, moment: float | datetime) -> None:
        with self._lock:
            self._now = moment.timestamp() if isinstance(moment, datetime) else float(moment)

    def __repr__(self) -> str:
        return f"ManualClock({format_job_time(self.now())})"


def format_job_time(ts: float) -> str:
    """Job times as IMS writes them: ``2024-11-06T06:14:27.168Z`` (UTC, milliseconds)."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_image_time(ts: float) -> str:
    """Image times as IMS writes them: ``2018-09-06T14:03:27Z`` (UTC, no fraction)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
