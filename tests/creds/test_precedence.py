"""Precedence: command-line flags > HUAWEICLOUD_SDK_* environment > stored profile; and the source labels."""

from __future__ import annotations

import argparse
import threading
from typing import Any

import pytest

from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError
from imstui.api.secret import Secret
from imstui.core.context import resolve_settings
from imstui.core.credential_source import aload_profile_settings, load_profile_settings
from imstui.core.profiles import Profile, ProfileStore
from imstui.core.secret_store import SESSION_SECRETS, PlaintextSecrets, SecretStore, SecretStoreUnavailable

PROFILE_SK = "SK-profile-3b9e1d"
ENV_SK = "SK-env-77aa01"


def args(**kw: Any) -> argparse.Namespace:
    base = {"demo": False, "profile": None, "region": None, "project_id": None, "endpoint": None, "iam_endpoint": None}
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def prod_profile() -> Profile:
    profile = Profile(
        name="prod",
        region="ap-southeast-1",
        project_id="11112222333344445555666677778888",
        endpoint="https://ims.profile.example",
        iam_endpoint="https://iam.profile.example",
        ak_hint="HPUA…0001",
    )
    ProfileStore().save(profile)
    SecretStore().set("prod", Credentials(ak="HPUAPROFILEAK0001", sk=Secret(PROFILE_SK)))
    return profile


def test_profile_alone_supplies_everything(prod_profile: Profile) -> None:
    settings = resolve_settings(args(), environ={})
    assert settings.region == "ap-southeast-1"
    assert settings.project_id == "11112222333344445555666677778888"
    assert settings.ims_endpoint == "https://ims.profile.example"
    assert settings.iam_endpoint == "https://iam.profile.example"
    assert settings.credentials.sk.reveal() == PROFILE_SK
    assert settings.sources["credentials"] == "keyring (profile prod)"
    assert settings.sources["region"] == "profile prod"


def test_env_beats_profile_and_flags_beat_env(prod_profile: Profile, memory_keyring: Any) -> None:
    env = {
        "HUAWEICLOUD_SDK_AK": "HPUAENVAK00000001",
        "HUAWEICLOUD_SDK_SK": ENV_SK,
        "HUAWEICLOUD_SDK_PROJECT_ID": "99990000999900009999000099990000",
    }
    memory_keyring.items.clear()  # env keys win without reading the keyring at all
    settings = resolve_settings(args(), environ=env)
    assert settings.credentials.sk.reveal() == ENV_SK
    assert settings.project_id == "99990000999900009999000099990000"
    assert settings.sources["project_id"] == "env HUAWEICLOUD_SDK_PROJECT_ID"
    assert settings.ims_endpoint == "https://ims.profile.example"  # not given by env: the profile's

    flagged = resolve_settings(args(project_id="aaaabbbbccccddddeeeeffff00001111"), environ=env)
    assert flagged.project_id == "aaaabbbbccccddddeeeeffff00001111"
    assert flagged.sources["project_id"] == "--project-id"


def test_region_override_drops_the_profiles_region_bound_settings(prod_profile: Profile) -> None:
    settings = resolve_settings(args(region="cn-north-4"), environ={})
    assert settings.region == "cn-north-4"
    assert settings.project_id is None  # discovered for the new region, not the profile's project
    assert settings.ims_endpoint == "https://ims.cn-north-4.myhuaweicloud.com"
    assert settings.credentials.sk.reveal() == PROFILE_SK


def test_named_profile_missing_is_a_clear_error(prod_profile: Profile) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(args(profile="nope"), environ={})
    assert "no profile named 'nope'" in caught.value.message
    with pytest.raises(ConfigurationError):
        resolve_settings(args(), environ={"IMSTUI_PROFILE": "nope"})


def test_profile_without_stored_keys_says_what_to_do(memory_keyring: Any) -> None:
    ProfileStore().save(Profile(name="empty", region="ap-southeast-1"))
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(args(), environ={})
    assert "imstui profile add empty" in caught.value.message


def test_session_and_plaintext_sources() -> None:
    ProfileStore().save(Profile(name="sess", region="ap-southeast-1", credential_store="session"))
    ProfileStore().save(Profile(name="plain", region="ap-southeast-1", credential_store="plaintext"))
    SESSION_SECRETS.set("sess", Credentials(ak="HPUASESSIONAK0001", sk=Secret("s1")))
    PlaintextSecrets().set("plain", Credentials(ak="HPUAPLAINAK000001", sk=Secret("p1")))
    sess = load_profile_settings("sess")
    assert sess.source == "session" and sess.warning is None
    plain = load_profile_settings("plain")
    assert plain.source == "plaintext"
    assert plain.warning is not None and "UNENCRYPTED" in plain.warning
    assert resolve_settings(args(profile="plain"), environ={}).sources["credentials"] == "plaintext (profile plain)"


def test_locked_keyring_surfaces_as_secret_store_unavailable(prod_profile: Profile) -> None:
    from keyring.backends import fail

    with pytest.raises(SecretStoreUnavailable) as caught:
        load_profile_settings("prod", store=SecretStore(fail.Keyring()))
    assert caught.value.reason == "no-backend"


def test_no_profile_no_env_keeps_the_original_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(args(region="ap-southeast-1"), environ={})
    assert "HUAWEICLOUD_SDK_AK" in caught.value.message


async def test_async_loading_reads_the_keyring_off_the_event_loop(prod_profile: Profile) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    class WatchedStore(SecretStore):
        def get(self, name: str) -> Credentials | None:
            seen.append(threading.get_ident())
            return super().get(name)

    settings = await aload_profile_settings("prod", store=WatchedStore(), environ={})
    assert settings.profile == "prod" and settings.source == "keyring"
    assert settings.credentials is not None and settings.credentials.sk.reveal() == PROFILE_SK
    assert seen and loop_thread not in seen
