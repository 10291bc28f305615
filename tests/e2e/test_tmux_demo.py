"""End to end in a real terminal: ``python -m imstui --demo`` inside tmux, driven with send-keys, read with
capture-pane. Drives lookup -> copy -> SUCCESS, and a copy that FAILs with its error code."""

from __future__ import annotations

import os
import shutil
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
