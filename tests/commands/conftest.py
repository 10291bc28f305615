"""Fixtures for the headless commands: credentials in the environment and a scripted IMS behind the client."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from ims_fake_server import AK, PROJECT_ID, REGION, SK, FakeIms, FakeSleep, fast_retry

from imstui.core.context import client_overrides


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", REGION)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def fake(env: None, sleep: FakeSleep) -> Iterator[FakeIms]:
    ims = FakeIms()
    with client_overrides(transport=ims.transport(), retry=fast_retry(sleep), sleep=sleep):
        yield ims
