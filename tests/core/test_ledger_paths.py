"""Owner-only state: the ledger's directory and files, through the one implementation in imstui.core.fsutil."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from imstui.core.fsutil import ensure_private_dir, ensure_private_file, write_private_file
from imstui.core.ledger import Ledger


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_loose_state_dir_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o755)
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(state))
    with Ledger():
        pass
    assert _mode(state) == 0o700


def test_new_dirs_are_0700_whatever_the_umask_and_existing_parents_are_left(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    old = os.umask(0)
    try:
        leaf = ensure_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o700 and _mode(leaf) == 0o700
    assert _mode(tmp_path) == 0o755  # a parent that already existed is not ours to change


def test_the_parent_of_a_named_file_is_not_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    write_private_file(shared / "profiles.toml", "x = 1\n")
    assert _mode(shared) == 0o755  # e.g. ~ or ~/.config: tightening it would surprise the user
    assert _mode(shared / "profiles.toml") == 0o600


def test_private_file_is_created_0600_and_an_existing_one_tightened_without_touching_content(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        created = ensure_private_file(tmp_path / "new")
    finally:
        os.umask(old)
    assert _mode(created) == 0o600
    existing = tmp_path / "existing"
    existing.write_text("keep me")
    existing.chmod(0o644)
    ensure_private_file(existing)
    assert _mode(existing) == 0o600 and existing.read_text() == "keep me"


def test_a_symlinked_ledger_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OSError):
        ensure_private_file(link)
