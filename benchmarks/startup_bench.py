"""Time to the first interactive screen of ``imstui --demo`` versus a minimal Textual app, in a real pty.

Both programs run in a pseudo-terminal (80x24) with ``IMSTUI_EXIT_ON_READY=1``: each exits from ``on_ready``,
i.e. once its first screen is composed and painted and accepts keys. The wall time from spawn to exit is measured
for several alternating runs; the script prints every figure, the medians and the ratio (target: <= 1.3).

    python benchmarks/startup_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MINIMAL_APP = """
import os
from textual.app import App, ComposeResult
from textual.widgets import Static

class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")

    def on_ready(self) -> None:
        if os.environ.get("IMSTUI_EXIT_ON_READY"):
            self.exit()

Minimal().run()
"""


def run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Spawn ``argv`` on a fresh 80x24 pty, drain its output, return the seconds until it exits."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    deadline = start + timeout
    status = 0
    while True:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            os.kill(pid, 9)
            raise RuntimeError(f"{argv} did not reach its first screen within {timeout:.0f}s")
    elapsed = time.perf_counter() - start
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(fd)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0:
        raise RuntimeError(f"{argv} exited with {os.WEXITSTATUS(status)}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="imstui-bench-") as tmp:  # HOME, config and state of the runs
        return measure(Path(tmp), options.runs)


def measure(work: Path, runs: int) -> int:
    minimal = work / "minimal_app.py"
    minimal.write_text(MINIMAL_APP)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "XDG_CONFIG_HOME": str(work / "config"),
        "IMSTUI_STATE_DIR": str(work / "state"),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "IMSTUI_EXIT_ON_READY": "1",
    }
    programs = {
        "minimal textual app": [sys.executable, str(minimal)],
        "imstui --demo": [sys.executable, "-m", "imstui", "--demo"],
    }
    for argv in programs.values():  # warm the bytecode and file caches once
        run_in_pty(argv, env)
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, argv in programs.items():
            times[name].append(run_in_pty(argv, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        shown = " ".join(f"{v * 1000:.0f}" for v in values)
        print(f"{name:22s} runs (ms): {shown}   median {medians[name] * 1000:.0f} ms")
    ratio = medians["imstui --demo"] / medians["minimal textual app"]
    print(f"ratio imstui --demo / minimal app: {ratio:.2f}x (target <= 1.3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
