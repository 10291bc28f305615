"""`imstui profile ...` and `imstui doctor`, in process: stdin-fed SK, the signed call against a fake IAM."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from creds import iamfake
from imstui.cli import main
from imstui.core.context import client_overrides
from imstui.core.secret_store import SecretStore, reset_default_store

AK = "HPUACLITESTAK00001"
SK = "SK-cli-test-0f9e8d7c6b5a"


def feed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def add_prod(monkeypatch: pytest.MonkeyPatch, *extra: str, sk: str = SK) -> int:
    feed(monkeypatch, f"{sk}\n\n")
    return main(["profile", "add", "prod", "--region", "ap-southeast-1", "--ak", AK, "--sk-stdin", *extra])


def test_add_list_test_doctor_remove(monkeypatch: pytest.MonkeyPatch, capsys: Any, memory_keyring: Any) -> None:
    assert add_prod(monkeypatch) == 0
    out = capsys.readouterr().out
    assert "saved profile prod" in out and "HPUA…0001" in out and SK not in out
    assert json.loads(memory_keyring.items[("imstui", "prod")])["sk"] == SK

    assert main(["profile", "list"]) == 0
    listing = capsys.readouterr().out
    assert "prod" in listing and "keyring" in listing and "discover" in listing

    with client_overrides(transport=iamfake.mock_iam(AK, SK)):
        assert main(["profile", "test", "prod"]) == 0
        assert "OK" in capsys.readouterr().out
        assert main(["doctor"]) == 0
    report = capsys.readouterr().out
    assert "credentials     keyring" in report
    assert iamfake.PROJECT_ID in report
    assert "result: all good" in report
    assert SK not in report

    assert main(["profile", "remove", "prod"]) == 0
    assert ("imstui", "prod") not in memory_keyring.items
    assert main(["profile", "list"]) == 0
    assert "no profiles yet" in capsys.readouterr().out


def test_wrong_keys_give_the_code_meaning_and_next_step(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert add_prod(monkeypatch, sk="SK-wrong") == 0
    capsys.readouterr()
    with client_overrides(transport=iamfake.mock_iam(AK, SK)):
        assert main(["doctor"]) == 1
    report = capsys.readouterr().out
    assert "FAILED" in report and "APIGW.0301" in report
    assert "next step:" in report
    assert "SK-wrong" not in report


def test_doctor_json(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert add_prod(monkeypatch) == 0
    capsys.readouterr()
    with client_overrides(transport=iamfake.mock_iam(AK, SK)):
        assert main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert data["credential_source"] == "keyring"
    assert data["signed_call"]["project_id"] == iamfake.PROJECT_ID
    assert data["keyring"]["secure"] is True


def test_env_keys_are_reported_as_env_and_win(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert add_prod(monkeypatch, sk="SK-stale-in-keyring") == 0
    capsys.readouterr()
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    with client_overrides(transport=iamfake.mock_iam(AK, SK)):
        assert main(["doctor"]) == 0
    assert "credentials     env" in capsys.readouterr().out


def test_insecure_keyring_refuses_without_opt_in(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    import keyring

    keyring.set_keyring(fail.Keyring())
    reset_default_store()
    assert add_prod(monkeypatch) == 1
    err = capsys.readouterr().err
    assert "not secure" in err
    assert "imstui session" in err and "keyrings.cryptfile" in err and "--insecure-plaintext" in err
    assert not (Path.home() / ".config" / "imstui" / "config.toml").exists()  # nothing saved

    # --store plaintext alone is not an opt-in either.
    assert add_prod(monkeypatch, "--store", "plaintext") == 1
    assert "--insecure-plaintext" in capsys.readouterr().err

    # The explicit opt-in: a 0600 file, and a warning that stays visible.
    assert add_prod(monkeypatch, "--insecure-plaintext") == 0
    captured = capsys.readouterr()
    assert "WARNING" in captured.err
    plain = Path.home() / ".config" / "imstui" / "credentials.plaintext.json"
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert 'credential_store = "plaintext"' in (Path.home() / ".config" / "imstui" / "config.toml").read_text()
    assert main(["profile", "list"]) == 0
    assert "PLAINTEXT" in capsys.readouterr().out
    with client_overrides(transport=iamfake.mock_iam(AK, SK)):
        main(["doctor"])
    report = capsys.readouterr().out
    assert "WARNING" in report and "UNENCRYPTED" in report
    assert "credentials     PLAINTEXT" in report
    # Removing the profile removes the plaintext keys too.
    assert main(["profile", "remove", "prod"]) == 0
    assert not plain.exists()


def test_doctor_with_no_keyring_tells_the_truth(capsys: Any) -> None:
    import keyring

    keyring.set_keyring(fail.Keyring())
    reset_default_store()
    assert main(["doctor"]) == 1
    report = capsys.readouterr().out
    assert "fail.Keyring" in report and "NOT secure" in report
    assert "1. Run imstui inside its own Secret Service" in report
    assert "2. keyrings.cryptfile is installed: select it with PYTHON_KEYRING_BACKEND=" in report
    assert "6. Last resort" in report
    assert "result: 1 problem(s)" in report


def test_cryptfile_master_password_is_never_asked_through_getpass_headless(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    import keyring
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    kr = CryptFileKeyring()
    kr.file_path = str(tmp_path / "cf.cfg")
    keyring.set_keyring(kr)
    reset_default_store()
    assert add_prod(monkeypatch) == 1  # no terminal: refuse, never getpass (which raises in these tests)
    assert "master password" in capsys.readouterr().err


def test_import_from_sdk_credentials_file(monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path) -> None:
    ini = tmp_path / "credentials"
    ini.write_text(
        "[basic]\nak = HPUAIMPORTAK00001\nsk = SK-imported-123\nproject_id = 0123456789abcdef0123456789abcdef\n"
        "security_token = tok-imported\niam_endpoint = https://iam.example.test\n\n[global]\nak = G\nsk = GS\n"
    )
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(ini))
    assert main(["profile", "import", "imp", "--region", "ap-southeast-1"]) == 0
    out = capsys.readouterr().out
    assert "SK-imported-123" not in out and "tok-imported" not in out
    stored = SecretStore().get("imp")
    assert stored is not None and stored.sk.reveal() == "SK-imported-123"
    assert stored.security_token is not None and stored.security_token.reveal() == "tok-imported"
    config = (Path.home() / ".config" / "imstui" / "config.toml").read_text()
    assert "0123456789abcdef0123456789abcdef" in config and "https://iam.example.test" in config
    assert "SK-imported" not in config and "tok-imported" not in config

    assert main(["profile", "import", "glob", "--region", "ap-southeast-1", "--section", "global"]) == 0
    glob = SecretStore().get("glob")
    assert glob is not None and glob.ak == "G"

    assert main(["profile", "import", "x", "--region", "ap-southeast-1", "--file", str(tmp_path / "none")]) == 1
    assert "no SDK credentials file" in capsys.readouterr().err


def test_bad_profile_name_and_empty_sk(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    feed(monkeypatch, "SK\n")
    assert main(["profile", "add", "../evil", "--region", "ap-southeast-1", "--ak", AK, "--sk-stdin"]) == 1
    assert "profile" in capsys.readouterr().err
    feed(monkeypatch, "\n")
    assert main(["profile", "add", "ok", "--region", "ap-southeast-1", "--ak", AK, "--sk-stdin"]) == 1
    assert "secret key is empty" in capsys.readouterr().err


def test_session_store_profile_keeps_no_keys(monkeypatch: pytest.MonkeyPatch, capsys: Any, memory_keyring: Any) -> None:
    assert main(["profile", "add", "s", "--region", "ap-southeast-1", "--store", "session"]) == 0
    assert memory_keyring.items == {}
    assert main(["doctor", "--no-call"]) == 1
    assert "session-only" in capsys.readouterr().out


def test_doctor_demo_checks_the_simulator(capsys: Any) -> None:
    assert main(["doctor", "--demo"]) == 0
    report = capsys.readouterr().out
    assert "--demo" in report and "OK: keys accepted" in report


def test_cryptfile_on_a_terminal_asks_imstuis_own_prompt(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    import getpass

    import keyring
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    from imstui.commands import doctor

    def cryptfile() -> Any:
        kr = CryptFileKeyring()
        kr.file_path = str(tmp_path / "cf.cfg")
        kr.time_cost, kr.memory_cost = 1, 1024  # cheap Argon2 for the test
        return kr

    prompts: list[str] = []
    answers = iter(["master-pw", "master-pw", "wrong", "wrong", "wrong"])

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(doctor, "interactive", lambda: True)
    keyring.set_keyring(cryptfile())
    reset_default_store()
    assert add_prod(monkeypatch) == 0  # SK from stdin, master password from the (simulated) terminal prompt
    assert prompts == ["New master password for the encrypted keyring: ", "Repeat it: "]
    assert SK not in (tmp_path / "cf.cfg").read_text()

    keyring.set_keyring(cryptfile())  # a new run: locked again
    reset_default_store()
    capsys.readouterr()
    assert main(["doctor", "--no-call"]) == 1
    captured = capsys.readouterr()
    assert "The master password for the encrypted keyring file is wrong." in captured.err
    assert "credentials     unavailable" in captured.out
    assert "stayed locked" in captured.out
