"""Fixtures for the credential tests."""

from __future__ import annotations

import getpass

import pytest


class GetpassCalled(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring backend that prompts through getpass would fight Textual for the terminal: fail loudly."""

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise GetpassCalled("getpass.getpass was called")

    monkeypatch.setattr(getpass, "getpass", refuse)
