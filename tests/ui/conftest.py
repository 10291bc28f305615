"""Console test fixtures: no cursor blink, a state dir per test, and helpers to build apps on fakes or the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A blinking cursor makes screenshots nondeterministic (harlequin's fixture)."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda _self: None)
    yield


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state"
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(path))
    return path
