"""A profile's account (domain) id: stored by ``imstui profile add|import|set --domain-id`` (checked), and used to
sign EPS requests before asking IAM; ``--domain-id`` and ``IMSTUI_DOMAIN_ID`` win over it."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imstui.cli import main
from imstui.core.profiles import ProfileStore, profile_domain_id
from imstui.sim.config import DEMO_AK, DEMO_DOMAIN_ID, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig
from imstui.sim.server import RunningSim, run_in_thread

OTHER_DOMAIN = "0123456789abcdef0123456789abcdef"


def _add(monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{DEMO_SK}\n\n"))
    return main(["profile", "add", "prod", "--region", DEMO_REGION, "--ak", DEMO_AK, "--sk-stdin", *extra])


def test_the_domain_id_is_stored_checked_changed_and_removed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], memory_keyring: Any
) -> None:
    assert _add(monkeypatch, "--domain-id", "not a/domain") == 1
    assert "account (domain) id" in capsys.readouterr().err and ProfileStore().names() == []  # refused, not saved

    assert _add(monkeypatch, "--domain-id", DEMO_DOMAIN_ID) == 0
    assert f"account (domain) id {DEMO_DOMAIN_ID}" in capsys.readouterr().out
    assert f'domain_id = "{DEMO_DOMAIN_ID}"' in ProfileStore().path.read_text()
    assert main(["profile", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["domain_id"] == DEMO_DOMAIN_ID
    assert profile_domain_id() == DEMO_DOMAIN_ID  # the default profile's

    assert main(["profile", "set", "prod", "--domain-id", OTHER_DOMAIN]) == 0
    assert ProfileStore().get("prod").domain_id == OTHER_DOMAIN
    assert ProfileStore().get("prod").ak_hint  # the rest of the profile is kept
    assert main(["profile", "set", "prod", "--domain-id", "x/y"]) == 1
    assert ProfileStore().get("prod").domain_id == OTHER_DOMAIN
    assert main(["profile", "set", "prod"]) == 2  # nothing to change
    assert main(["profile", "set", "prod", "--domain-id", ""]) == 0
    assert ProfileStore().get("prod").domain_id is None and "domain_id" not in ProfileStore().path.read_text()


def test_import_takes_the_domain_id_of_the_sdk_credentials_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], memory_keyring: Any
) -> None:
    ini = tmp_path / "credentials"
    ini.write_text(f"[global]\nak = {DEMO_AK}\nsk = {DEMO_SK}\ndomain_id = {DEMO_DOMAIN_ID}\n")
    assert main(["profile", "import", "glob", "--region", DEMO_REGION, "--file", str(ini)]) == 0
    assert ProfileStore().get("glob").domain_id == DEMO_DOMAIN_ID


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    with run_in_thread(SimConfig(seed=3)) as running:
        yield running


def test_eps_is_signed_with_the_profiles_domain_id_and_the_option_or_env_wins(
    sim: RunningSim, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], memory_keyring: Any
) -> None:
    endpoints = ("--endpoint", sim.url, "--iam-endpoint", sim.url, "--project-id", DEMO_PROJECT_ID)
    assert _add(monkeypatch, *endpoints, "--domain-id", OTHER_DOMAIN) == 0  # not the simulated account's id
    capsys.readouterr()
    # The profile's id is used (IAM would have given the right one): the simulator refuses the signature.
    assert main(["enterprise-projects", "--json"]) == 1
    assert "X-Domain-Id" in capsys.readouterr().out
    assert main(["enterprise-projects", "--json", "--domain-id", DEMO_DOMAIN_ID]) == 0  # the option wins
    capsys.readouterr()
    monkeypatch.setenv("IMSTUI_DOMAIN_ID", DEMO_DOMAIN_ID)  # and the environment
    assert main(["enterprise-projects", "--json"]) == 0
    monkeypatch.delenv("IMSTUI_DOMAIN_ID")
    capsys.readouterr()
    assert main(["profile", "set", "prod", "--domain-id", DEMO_DOMAIN_ID]) == 0
    capsys.readouterr()
    assert main(["enterprise-projects", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and any(p["id"] == "0" for p in doc["enterprise_projects"])
