"""SVG snapshots of every screen at 80x24 and 120x34 (frozen clock, no cursor blink).

Regenerate with ``python -m pytest tests/ui/test_snapshots.py --snapshot-update`` and commit ``__snapshots__``.
"""

from __future__ import annotations

from typing import Any

import keyring
import pytest
from keyring.backends import null

from .scenes import SCENES, Scene


@pytest.fixture(autouse=True)
def insecure_keyring() -> None:
    """The credentials scene shows the verdict for a backend that stores nothing (deterministic on any machine)."""
    keyring.set_keyring(null.Keyring())


@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80x24", "120x34"])
@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_screen_snapshot(snap_compare: Any, scene: Scene, size: tuple[int, int]) -> None:
    assert snap_compare(scene.build(), run_before=scene.run_before, terminal_size=size)
