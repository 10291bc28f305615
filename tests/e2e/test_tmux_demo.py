"""End to end in a real terminal: ``python -m imstui --demo`` inside tmux, driven with send-keys, read with
capture-pane. Drives lookup -> copy -> SUCCESS, and a copy that FAILs with its error code; and Enter pressed again
and again after a lookup and after pasting a second id sends no copy (the ledger is unchanged)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from imstui.sim import seed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: the real-terminal test needs it"),
]

REPO = Path(__file__).resolve().parents[2]


class Tmux:
    def __init__(self, name: str, socket: Path) -> None:
        self.name = name
        self.socket = socket
        self.state_dir: Path | None = None

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=30, check=False
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, *needles: str, timeout: float = 30.0) -> str:
        """Poll the pane until every needle is on screen; the test fails with the last screen if not."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(n in screen for n in needles):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"never saw {needles!r} on screen:\n{screen}")

    def wait_gone(self, *needles: str, timeout: float = 30.0) -> str:
        """Poll the pane until none of the needles is on screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if not any(n in screen for n in needles):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"still saw one of {needles!r} on screen:\n{screen}")

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal delivers a clipboard paste."""
        self.run("set-buffer", "-b", "imstui-e2e", text)
        self.run("paste-buffer", "-p", "-b", "imstui-e2e", "-t", self.name)

    def alive(self) -> bool:
        return self.name in self.run("list-sessions", "-F", "#{session_name}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    name = f"imstui-e2e-{uuid.uuid4().hex[:8]}"
    session = Tmux(name, tmp_path / "tmux.sock")
    env = {
        "IMSTUI_DEMO_SPEED": "25",
        "IMSTUI_STATE_DIR": str(tmp_path / "state"),
        "HOME": os.environ["HOME"],
        "XDG_CONFIG_HOME": os.environ.get("XDG_CONFIG_HOME", ""),
        "PYTHONPATH": str(REPO),
        "TERM": "xterm-256color",
        "TEXTUAL_ANIMATIONS": "none",
    }
    exports = " ".join(f"{k}={v!s}" for k, v in env.items() if v)
    command = f"cd {REPO} && env {exports} {sys.executable} -m imstui --demo; sleep 0.5"
    session.run("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "120", "-y", "34", command)
    session.state_dir = tmp_path / "state"
    try:
        yield session
    finally:
        if session.alive():
            session.run("kill-session", "-t", name)
        session.run("kill-server")


def copy_image(tmux: Tmux, image_id: str) -> None:
    tmux.keys("l")
    tmux.wait_for("Image id")
    tmux.type(image_id)
    tmux.keys("Enter")
    tmux.wait_for("ELIGIBLE", "Min disk")
    tmux.keys("F2")
    tmux.wait_for("New image name")
    tmux.keys("F2")
    tmux.wait_for("Submit this in-region copy?", image_id)
    tmux.keys("y")


def test_demo_lookup_copy_success_and_failure_in_tmux(tmux: Tmux) -> None:
    tmux.wait_for("DEMO", "profile demo", timeout=40)

    copy_image(tmux, seed.ELIGIBLE_SMALL_ID)
    screen = tmux.wait_for("SUCCEEDED", timeout=60)
    assert "copy" in screen

    copy_image(tmux, seed.INTERNAL_FAIL_ID)
    screen = tmux.wait_for("FAIL", seed.INTERNAL_FAIL_ERROR[0], timeout=60)
    assert "SUCCEEDED" in screen

    tmux.keys("q")
    deadline = time.monotonic() + 15
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not tmux.alive()


def ledger_rows(state_dir: Path | None) -> list[tuple[object, ...]]:
    """Every job row of every ledger file in the state dir (none before the first copy)."""
    assert state_dir is not None
    rows: list[tuple[object, ...]] = []
    for path in sorted(state_dir.rglob("*.sqlite3")):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "jobs" in tables:
                rows.extend(db.execute("SELECT * FROM jobs ORDER BY 1"))
    return rows


def test_enter_after_a_lookup_and_after_pasting_a_second_id_sends_nothing(tmux: Tmux) -> None:
    tmux.wait_for("DEMO", "profile demo", timeout=40)
    before = ledger_rows(tmux.state_dir)

    tmux.keys("l")
    tmux.wait_for("Image id")
    tmux.type(seed.ELIGIBLE_SMALL_ID)
    tmux.keys("Enter")
    tmux.wait_for("ELIGIBLE", "Min disk", seed.ELIGIBLE_SMALL_ID)
    for _ in range(10):
        tmux.keys("Enter")
    # A second id pasted over the first: the old verdict goes at once, Enter only looks the new id up.
    tmux.keys("C-u")
    tmux.wait_gone("ELIGIBLE", "Min disk")
    tmux.paste(seed.ELIGIBLE_LINUX_ID)
    tmux.wait_for(seed.ELIGIBLE_LINUX_ID)
    for _ in range(10):
        tmux.keys("Enter")
    screen = tmux.wait_for("ELIGIBLE", "web-server-ubuntu22")
    assert "New image name" not in screen and "Submit this in-region copy?" not in screen

    # The form and its confirmation: Enter moves between fields, and on the confirmation it is Back.
    tmux.keys("F2")
    tmux.wait_for("New image name", "web-server-ubuntu22")
    for _ in range(10):
        tmux.keys("Enter")
    tmux.keys("F2")
    tmux.wait_for("Submit this in-region copy?", seed.ELIGIBLE_LINUX_ID)
    tmux.keys("Enter")
    tmux.wait_gone("Submit this in-region copy?")
    for _ in range(10):
        tmux.keys("Enter")
    screen = tmux.wait_for("New image name")
    assert "Submit this in-region copy?" not in screen
    assert ledger_rows(tmux.state_dir) == before, "an Enter sent a copy"

    # The deliberate key does send it (so the ledger read above is the one the console writes).
    tmux.keys("F2")
    tmux.wait_for("Submit this in-region copy?")
    tmux.keys("y")
    deadline = time.monotonic() + 30
    while len(ledger_rows(tmux.state_dir)) == len(before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(ledger_rows(tmux.state_dir)) == len(before) + 1
    tmux.keys("q")
