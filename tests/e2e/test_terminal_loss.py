"""The terminal goes away (an SSH drop): the console exits promptly instead of spinning on a dead terminal.

* ``tmux kill-session``: the pty is torn down and the process gets SIGHUP, as when an SSH connection drops;
* SIGHUP alone (the pty still there): the console exits with exit code 1 (``TERMINAL_LOST_EXIT``, "the terminal
  went away") from its SIGHUP handler, not killed by the signal (that would be -1).

If the orderly shutdown blocks on the dead terminal (Textual's output thread), the console ends itself after
``imstui.ui.app.TERMINAL_LOST_GRACE`` seconds, with the same exit code.

Both wait by polling, at most :data:`EXIT_WITHIN` seconds; a process still there by then is reported with the CPU
time it burnt while waiting (a spinning process burns a full core).
"""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]

REPO = Path(__file__).resolve().parents[2]
EXIT_WITHIN = 10.0
TERMINAL_LOST_EXIT = 1  # imstui.ui.app.TERMINAL_LOST_EXIT (not imported: the app module loads Textual)
CONNECTED_TITLE = b"\x1b]2;imstui demo (demo)\x07"  # ImstuiApp.use_session sets it after connecting


def console_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_", "TMUX"))}
    env.update(
        IMSTUI_STATE_DIR=str(tmp_path / "state"),
        PYTHONPATH=str(REPO),
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
        COLUMNS="120",
        LINES="34",
    )
    return env


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def wait_gone(pid: int, timeout: float = EXIT_WITHIN) -> None:
    start_cpu = cpu_seconds(pid) or 0.0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running(pid):
            return
        time.sleep(0.1)
    burnt = (cpu_seconds(pid) or 0.0) - start_cpu
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"imstui still running {timeout:g} s after losing its terminal ({burnt:.1f} s CPU meanwhile)")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_kill_session_ends_the_console(tmp_path: Path) -> None:
    socket = tmp_path / "tmux.sock"
    name = f"imstui-drop-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        done = subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True, text=True, timeout=30)
        return done.stdout

    env = console_env(tmp_path)
    exports = " ".join(f"{k}={v}" for k, v in env.items() if k in ("IMSTUI_STATE_DIR", "PYTHONPATH", "TERM", "HOME"))
    # exec: the pane's process IS the console, so its pid is the pane pid.
    command = f"cd {REPO} && exec env {exports} TEXTUAL_ANIMATIONS=none {sys.executable} -m imstui --demo"
    tmux("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "120", "-y", "34", command)
    try:
        pid = int(tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())
        deadline = time.monotonic() + 40
        while "profile demo" not in tmux("capture-pane", "-p", "-t", name):
            assert time.monotonic() < deadline, "the console never came up"
            time.sleep(0.2)
        tmux("kill-session", "-t", name)
        wait_gone(pid)
    finally:
        tmux("kill-server")


def test_sighup_alone_exits_cleanly_with_code_1(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    os.set_blocking(master, True)
    process = subprocess.Popen(
        [sys.executable, "-m", "imstui", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=console_env(tmp_path),
        cwd=REPO,
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    ready = threading.Event()

    def drain() -> None:  # keep reading, or the console blocks writing to a full pty
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)
            if CONNECTED_TITLE in seen:
                ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        # The SIGHUP handler is installed on mount; the title comes last once the demo session is connected.
        assert ready.wait(40), "the console never connected its demo session"
        process.send_signal(signal.SIGHUP)
        code = process.wait(timeout=EXIT_WITHIN)
        assert code == TERMINAL_LOST_EXIT, f"exit code {code} (negative: killed by the signal, not handled)"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
