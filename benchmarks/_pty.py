"""Shared helpers for the benchmarks that drive the console in a real pseudo-terminal.

:class:`PtyApp` spawns a program on a fresh pty of a given size and feeds everything it writes to a ``pyte``
screen (a VT100 emulator: what a user would see), so a benchmark can wait for *visible* states ("the first job row
is on the screen", "the screen changed after this key") instead of for exit codes or fixed sleeps. It also counts
the bytes written to the terminal and reads the child's RSS and CPU from ``/proc``.

The time of an event is the time the bytes that produced it were *read* from the pty (taken before the emulator
parses them), so the emulator's own cost is not counted in latencies.

Also here: :func:`isolated_env` (HOME, XDG_* and IMSTUI_STATE_DIR in a scratch directory, the null keyring), so no
benchmark ever touches the real ledger, profiles or keyring.

``pyte`` is in the ``dev`` extra (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path

try:
    import pyte
except ImportError as exc:  # pragma: no cover - a clear message instead of a traceback
    raise SystemExit("these benchmarks need pyte (a terminal emulator): pip install -e '.[dev]'") from exc

REPO = Path(__file__).resolve().parents[1]

Snapshot = tuple[str, ...]


def isolated_env(work: Path, **extra: str) -> dict[str, str]:
    """An environment whose home, config, data, cache and state all live under ``work`` (a scratch directory)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_STATE_HOME": str(work / "xdg-state"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "IMSTUI_STATE_DIR": str(work / "state"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.update(extra)
    return env


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS``/``VmHWM`` (KiB) of a live process from ``/proc/<pid>/status``; empty once it is gone."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


class PtyApp:
    """A program running on its own ``cols`` x ``rows`` pty, with what it shows parsed by a pyte screen."""

    def __init__(self, argv: list[str], env: Mapping[str, str], *, cols: int = 80, rows: int = 24) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child
            try:
                os.execve(argv[0], argv, dict(env))
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.bytes_read = 0
        self.exited: int | None = None  # wait status once the child is gone
        self.last_read_at = self.started

    # ------------------------------------------------------------------ reading

    def pump(self, timeout: float) -> bool:
        """Read what the program wrote within ``timeout`` seconds into the screen; False when nothing came."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self._reap(block=True)
            return False
        self.last_read_at = time.perf_counter()
        self.bytes_read += len(data)
        self.stream.feed(data)
        return True

    def wait_until(self, condition: Callable[[PtyApp], bool], timeout: float, what: str = "a state") -> float:
        """Pump until ``condition(self)`` holds; returns the perf_counter time of the read that made it hold.
        Raises ``TimeoutError`` (with the screen) after ``timeout`` seconds or if the program exits first."""
        deadline = time.perf_counter() + timeout
        if condition(self):
            return time.perf_counter()
        while time.perf_counter() < deadline:
            if self.exited is not None:
                break
            if self.pump(min(0.2, deadline - time.perf_counter())) and condition(self):
                return self.last_read_at
            if self.exited is None:
                self._reap(block=False)
        state = "exited" if self.exited is not None else f"not within {timeout:.0f} s"
        raise TimeoutError(f"{what}: {state}; screen:\n{self.text()}")

    def drain(self, seconds: float) -> int:
        """Keep reading for ``seconds``; returns the bytes the program wrote meanwhile."""
        before = self.bytes_read
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0 and self.exited is None:
            self.pump(min(left, 0.2))
        return self.bytes_read - before

    def settle(self, quiet: float = 0.5, timeout: float = 30.0) -> None:
        """Read until the program wrote nothing for ``quiet`` seconds (or ``timeout`` passed)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self.exited is None:
            if not self.pump(quiet):
                return

    # ------------------------------------------------------------------ what is shown

    def lines(self) -> list[str]:
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def snapshot(self, *, skip_rows: tuple[int, ...] = (), mask_digits: bool = True) -> Snapshot:
        """The screen's text and each cell's colours/reverse flag, one string per row. ``mask_digits`` replaces
        digits (ticking ages and countdowns) so that only a change a key caused counts; ``skip_rows`` leaves rows
        out (e.g. the status bar with its countdown)."""
        table = str.maketrans("0123456789", "##########")
        rows: list[str] = []
        for y in range(self.screen.lines):
            if y in skip_rows:
                continue
            line = self.screen.buffer[y]
            chars = "".join(line[x].data for x in range(self.screen.columns))
            looks = "".join(
                f"{line[x].bg[:6]}{'r' if line[x].reverse else ''}" for x in range(0, self.screen.columns, 4)
            )
            rows.append((chars.translate(table) if mask_digits else chars) + "|" + looks)
        return tuple(rows)

    # ------------------------------------------------------------------ input, process

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def rss_kib(self) -> dict[str, int]:
        return proc_status(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def _reap(self, *, block: bool) -> None:
        try:
            done, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            done, status = self.pid, 0
        if done:
            self.exited = status

    def wait_exit(self, timeout: float) -> float:
        """Drain until the program exits; returns the perf_counter time it was seen gone."""
        deadline = time.perf_counter() + timeout
        while self.exited is None and time.perf_counter() < deadline:
            self.pump(0.05)
            if self.exited is None:
                self._reap(block=False)
        if self.exited is None:
            raise TimeoutError(f"the program did not exit within {timeout:.0f} s")
        return time.perf_counter()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the program (SIGTERM, then SIGKILL) and release the pty."""
        if self.exited is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.wait_exit(wait)
                    break
                except TimeoutError:
                    continue
        try:
            os.close(self.fd)
        except OSError:
            pass

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
