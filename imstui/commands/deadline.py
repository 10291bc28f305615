"""``--timeout`` of the commands that wait for jobs (``jobs watch``, ``copy --wait``): a limit on the POLLER'S
clock, so virtual time (tests) and real time behave alike. The poller's sleeps are clamped to the time left and
the wait ends when it is up; the jobs go on server-side and stay outstanding in the ledger."""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
TIMEOUT_HELP = "stop waiting after SECONDS (a positive number, or 90s, 15m, 2h); the jobs go on; exit 124"


def add_timeout_argument(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """``--timeout SECONDS`` (None when absent) on a command that can wait for jobs."""
    parser.add_argument("--timeout", type=timeout_argument, metavar="SECONDS", default=None, help=prefix + TIMEOUT_HELP)


def timeout_refused(wait: bool, timeout: float | None) -> str | None:
    """The usage error of a ``--timeout`` given without ``--wait`` (nothing is sent then), else None."""
    if timeout is not None and not wait:
        return "--timeout needs --wait (it limits how long the command waits for the jobs); nothing was sent"
    return None


def timeout_argument(text: str) -> float:
    """argparse ``type=``: ``90``, ``1.5``, ``90s``, ``15m``, ``2h`` -> seconds (> 0); anything else is refused."""
    match = _DURATION.fullmatch(text.strip().lower())
    seconds = float(match.group(1)) * _UNIT[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid timeout {text[:40]!r}: give a positive number of seconds, or 90s, 15m, 2h"
        )
    return seconds


def format_duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def timed_out_line(seconds: float, running: int) -> str:
    return (
        f"stopped waiting after {format_duration(seconds)}: {running} job(s) still running on the server; "
        "follow them with: imstui jobs watch"
    )


class Deadline:
    """A limit of ``seconds`` (None: none) on the clock of ``timing`` (:func:`poller_timing`'s dict; empty =
    real time). Give the poller :attr:`timing` (its sleeps are cut at the deadline), :meth:`start` the limit when
    the wait begins, and await the wait through :meth:`race`: None when the time ran out (the poller is stopped)."""

    def __init__(self, seconds: float | None, timing: dict[str, Any]) -> None:
        self.seconds = seconds
        self.expired = False
        self._virtual = bool(timing)
        self._clock: Callable[[], float] = timing.get("clock", time.monotonic)
        self._sleep: Callable[[float], Awaitable[None]] = timing.get("sleep", asyncio.sleep)
        self._end: float | None = None
        self._event = asyncio.Event()
        self.timing = dict(timing) if seconds is None else {**timing, "sleep": self._cut_sleep}

    def start(self) -> None:
        if self.seconds is not None:
            self._end = self._clock() + self.seconds

    async def _cut_sleep(self, delay: float) -> None:
        if self._end is None:
            await self._sleep(delay)
            return
        left = self._end - self._clock()
        if left > 0:
            await self._sleep(min(delay, left))
        if self._clock() >= self._end:  # a throttle pause longer than the time left: the limit wins
            self.expired = True
            self._event.set()

    async def race(self, wait: Awaitable[Any], stop: Callable[[], None]) -> Any:
        """``await wait`` unless the limit is reached first: then ``stop()`` the poller, cancel ``wait``, None."""
        if self.seconds is None:
            return await wait
        if self._end is None:
            self.start()
        task = asyncio.ensure_future(wait)
        others: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._event.wait())]
        if not self._virtual:  # real time: also when the poller is not sleeping (a request in flight)
            assert self._end is not None
            others.append(asyncio.ensure_future(asyncio.sleep(max(0.0, self._end - time.monotonic()))))
        try:
            await asyncio.wait([task, *others], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for other in others:
                other.cancel()
        if task.done():
            return task.result()
        self.expired = True
        stop()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return None
