"""The console connects through imstui.core.context: the same precedence and client as the headless commands,
first run -> credentials screen, and a cryptfile keyring -> the master-password modal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.widgets import Input

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.core.context import MissingCredentialsError, resolve_settings
from imstui.core.profiles import Profile, ProfileStore
from imstui.core.secret_store import SecretStore
from imstui.ui.app import ImstuiApp
from imstui.ui.connectors import DemoConnector, ProfileConnector
from imstui.ui.screens.credentials import CredentialsScreen
from imstui.ui.screens.unlock import UnlockScreen

from .fakes import FROZEN, wait_until
from .screen_text import screen_text

PROFILE_PROJECT = "11112222333344445555666677778888"
ENV_PROJECT = "99990000999900009999000099990000"
PASSWORD = "right horse battery"


def args(**kw: Any) -> argparse.Namespace:
    base = {"demo": False, "profile": None, "region": None, "project_id": None, "endpoint": None, "iam_endpoint": None}
    base.update(kw)
    return argparse.Namespace(**base)


def save_prod(store: SecretStore | None = None) -> None:
    ProfileStore().save(Profile(name="prod", region="ap-southeast-1", project_id=PROFILE_PROJECT))
    (store or SecretStore()).set("prod", Credentials(ak="HPUAPROFILEAK0001", sk=Secret("SK-profile-3b9e1d")))


@pytest.mark.parametrize(
    ("flags", "env", "region", "project"),
    [
        ({}, {}, "ap-southeast-1", PROFILE_PROJECT),
        ({}, {"HUAWEICLOUD_SDK_PROJECT_ID": ENV_PROJECT}, "ap-southeast-1", ENV_PROJECT),
        (
            {"project_id": "aaaabbbbccccddddeeeeffff00001111"},
            {"HUAWEICLOUD_SDK_PROJECT_ID": ENV_PROJECT},
            "ap-southeast-1",
            "aaaabbbbccccddddeeeeffff00001111",
        ),
        ({"region": "cn-north-4"}, {}, "cn-north-4", None),  # the profile's project belongs to its own region
    ],
)
async def test_console_session_uses_the_same_precedence_as_the_commands(
    memory_keyring: Any, tmp_path: Path, flags: dict[str, str], env: dict[str, str], region: str, project: str | None
) -> None:
    save_prod()
    expected = resolve_settings(args(**flags), environ=env)
    session = await ProfileConnector(args(**flags), environ=env).connect(None)
    try:
        assert (session.profile, session.region, session.project_id) == ("prod", region, project)
        assert (expected.region, expected.project_id) == (region, project)
        assert session.api.region == region and session.api.project_id == project
    finally:
        await session.aclose()


async def test_the_console_and_the_headless_commands_open_the_same_session(memory_keyring: Any) -> None:
    """``imstui`` and ``imstui jobs watch`` / ``copy --wait`` with the same options follow the same jobs: one
    factory gives both the same profile, endpoint and ledger file."""
    from imstui.connect import session_for_args

    save_prod()
    env = {"HUAWEICLOUD_SDK_PROJECT_ID": ENV_PROJECT}
    console = await ProfileConnector(args(), environ=env).connect(None)
    headless = session_for_args(args(), environ=env)
    try:
        assert (console.profile, console.endpoint) == (headless.profile, headless.endpoint)
        assert console.endpoint.project_id == ENV_PROJECT and console.profile == "prod"
        assert console.ledger.path == headless.ledger.path
        assert console.keyring is not None and headless.keyring is None  # only the console shows the verdict
    finally:
        await console.aclose()
        await headless.aclose()


async def test_first_run_and_a_profile_without_keys_need_credentials(memory_keyring: Any) -> None:
    with pytest.raises(MissingCredentialsError) as first:
        await ProfileConnector(args(), environ={}).connect(None)
    assert first.value.profile is None and "HUAWEICLOUD_SDK_AK" in str(first.value)
    ProfileStore().save(Profile(name="empty", region="ap-southeast-1"))
    with pytest.raises(MissingCredentialsError) as empty:
        await ProfileConnector(args(), environ={}).connect("empty")
    assert empty.value.profile == "empty" and "imstui profile add empty" in str(empty.value)


async def test_first_run_opens_the_credentials_screen(memory_keyring: Any) -> None:
    app = ImstuiApp(ProfileConnector(args(), environ={}), clock=lambda: FROZEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        assert app.session is None


def cryptfile(path: Path) -> Any:
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    backend = CryptFileKeyring()
    backend.file_path = str(path)
    backend.time_cost = 1  # a cheap Argon2 keeps the test fast (the file format is the same)
    backend.memory_cost = 1024
    return backend


async def test_locked_cryptfile_asks_for_the_master_password_then_connects(tmp_path: Path) -> None:
    from imstui.core.secret_store import reset_default_store

    path = tmp_path / "cryptfile_pass.cfg"
    writer = SecretStore(cryptfile(path))
    writer.unlock(PASSWORD)
    save_prod(writer)
    keyring.set_keyring(cryptfile(path))  # a new, locked instance, as in a fresh process
    reset_default_store()
    app = ImstuiApp(ProfileConnector(args(), environ={}), clock=lambda: FROZEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert app.session is None
        await pilot.press(*"wrong password", "enter")
        await wait_until(pilot, lambda: "wrong" in screen_text(app) and isinstance(app.screen, UnlockScreen))
        field = app.screen.query_one("#master-password", Input)
        field.value = PASSWORD
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session is not None)
        assert app.session is not None and app.session.profile == "prod"
        assert app.session.project_id == PROFILE_PROJECT
        assert PASSWORD not in screen_text(app)


async def test_demo_connector_opens_the_simulator_with_its_catalogue(tmp_path: Path) -> None:
    """The demo session comes from the one session factory, on the simulator, with the seeded images to pick."""
    session = await DemoConnector(speed=7.0, ledger_path=tmp_path / "jobs.sqlite3").connect(None)
    try:
        assert session.demo and session.profile == "demo" and session.catalogue is not None
        seeded = {image.key: image for image in session.catalogue.images}
        linux = seeded["eligible_linux"]
        image = await session.api.get_image(linux.image_id)
        assert image.name == linux.name == "web-server-ubuntu22"
        assert "FAILS" in session.catalogue.failure_hint
        assert session.poller.settings.first_delay < 2.5  # the demo speed shortens the poll intervals
    finally:
        await session.aclose()


async def test_the_demo_console_shows_only_demo_rows_and_keeps_them_across_a_restart(tmp_path: Path) -> None:
    from imstui.api.models import CopyRequest
    from imstui.core.ledger import Ledger
    from imstui.core.submit import submit_copy
    from imstui.sim import seed

    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as ledger:
        row = ledger.record_intent(
            profile="demo",  # a real account's job under a profile that happens to be called "demo"
            region="ap-southeast-1",
            project_id=PROFILE_PROJECT,
            source_image_id="src",
            source_image_name="base",
            name="real-copy",
            endpoint="https://ims.ap-southeast-1.myhuaweicloud.com",
        )
        ledger.attach_job_id(row, "real-job-0001")
    session = await DemoConnector(speed=7.0, ledger_path=path).connect(None)
    try:
        assert session.ledger.list(session.scope) == []
        image = await session.api.get_image(seed.ELIGIBLE_LINUX_ID)
        sent = await submit_copy(
            session.api, session.ledger, profile=session.profile, image=image, request=CopyRequest(name="demo-copy")
        )
    finally:
        await session.aclose()
    again = await DemoConnector(speed=7.0, ledger_path=path).connect(None)
    try:
        assert [r.job_id for r in again.ledger.list(again.scope)] == [sent.job_id]
        job = await again.api.get_job(str(sent.job_id))  # the restarted simulator still knows the job
        assert job.job_id == sent.job_id
    finally:
        await again.aclose()
