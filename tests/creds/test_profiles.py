"""Profiles file: names, paths (XDG / IMSTUI_CONFIG), TOML content, permissions, default selection."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.core.fsutil import ensure_private_dir, open_private, permission_problem, write_private_file
from imstui.core.profiles import Profile, ProfileStore, config_path, validate_profile_name


@pytest.mark.parametrize("name", ["default", "prod-ap.1", "A_b", "x" * 64, "..a"])
def test_valid_profile_names(name: str) -> None:
    assert validate_profile_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 65, "a/b", "a b", "..", ".", "naïve", "a:b", "a\nb", "$(id)"])
def test_invalid_profile_names_are_refused(name: str) -> None:
    with pytest.raises(LocalValidationError) as caught:
        validate_profile_name(name)
    assert "1-64 characters" in caught.value.message


def test_config_path_follows_xdg_and_imstui_config(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path() == isolated_home / ".config" / "imstui" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_home / "elsewhere"))
    assert config_path() == isolated_home / "elsewhere" / "imstui" / "config.toml"
    monkeypatch.setenv("IMSTUI_CONFIG", str(isolated_home / "my.toml"))
    assert config_path() == isolated_home / "my.toml"


def test_profiles_round_trip_without_secrets_and_private_modes(isolated_home: Path) -> None:
    store = ProfileStore()
    store.save(
        Profile(
            name="prod",
            region="ap-southeast-1",
            project_id=None,
            endpoint="https://ims.example.test/",
            credential_store="keyring",
            ak_hint="HPUA…4567",
        )
    )
    store.save(Profile(name="lab", region="cn-north-4", project_id="0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"))
    path = isolated_home / ".config" / "imstui" / "config.toml"
    text = path.read_text()
    assert 'project_id = "discover"' in text
    assert 'default_profile = "prod"' in text  # the first profile becomes the default
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in store.list()] == ["lab", "prod"]
    prod = store.get("prod")
    assert prod.project_id is None and prod.endpoint == "https://ims.example.test"
    assert store.get("lab").project_id == "0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5"


def test_default_and_selection_order(monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore()
    store.save(Profile(name="a", region="ap-southeast-1"))
    store.save(Profile(name="b", region="ap-southeast-1"), make_default=True)
    assert store.active_name() == "b"
    monkeypatch.setenv("IMSTUI_PROFILE", "a")
    assert ProfileStore().active_name() == "a"
    assert ProfileStore().active_name("b") == "b"  # --profile wins over IMSTUI_PROFILE
    assert store.remove("b") is True
    assert store.default_name() == "a"  # the last remaining profile becomes the default
    with pytest.raises(ConfigurationError) as caught:
        store.get("missing")
    assert "imstui profile add" in caught.value.message


def test_damaged_profiles_file_is_one_sentence(isolated_home: Path) -> None:
    path = isolated_home / ".config" / "imstui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.x\nregion=")
    with pytest.raises(ConfigurationError) as caught:
        ProfileStore().list()
    assert "not valid TOML" in caught.value.message


def test_private_file_helpers_set_0600_and_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "a" / "b" / "state.json"
        write_private_file(target, "{}")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
        write_private_file(target, '{"v": 2}')  # replaced atomically, still 0600, no temp file left
        assert target.read_text() == '{"v": 2}'
        assert [p.name for p in target.parent.iterdir()] == ["state.json"]
        log = tmp_path / "c" / "ledger.log"
        with open_private(log) as handle:
            handle.write("one\n")
        with open_private(log) as handle:
            handle.write("two\n")
        assert log.read_text() == "one\ntwo\n"
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        assert ensure_private_dir(tmp_path / "d") == tmp_path / "d"
    finally:
        os.umask(old)
    loose = tmp_path / "loose"
    loose.write_text("x")
    loose.chmod(0o644)
    problem = permission_problem(loose)
    assert problem is not None and "chmod 0600" in problem
    assert permission_problem(target) is None
