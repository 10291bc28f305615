"""`imstui keys` end to end through imstui.cli.main on the in-process simulator (--demo)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from imstui.cli import main
from imstui.sim import controlled_backend
from imstui.sim import kms as sim_kms
from imstui.sim.demo import DemoBackend


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> DemoBackend:
    """The backend --demo will use (so a test can add keys to it)."""
    chosen = controlled_backend()
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    monkeypatch.delenv("IMSTUI_KMS_ENDPOINT", raising=False)
    return chosen


def test_json_lists_enabled_keys_default_first(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo", "keys", "--json")
    doc: dict[str, Any] = json.loads(out)  # exactly one document
    assert (code, doc["ok"], err) == (0, True, "")
    keys = doc["keys"]
    assert keys[0]["alias"] == "ims/default" and keys[0]["default_key"] is True
    assert all(k["enabled"] and k["state"] == "2" for k in keys)
    assert {k["key_id"] for k in keys} >= {sim_kms.IMS_DEFAULT_KEY_ID, sim_kms.HOSTILE_KEY_ID}
    assert doc["count"] == len(keys) == 5
    assert keys[0]["created_at"] == "2021-12-06T16:04:02Z"
    hostile = next(k for k in keys if k["key_id"] == sim_kms.HOSTILE_KEY_ID)
    assert "\x1b" not in hostile["alias"] + hostile["description"] and "\u202e" not in hostile["alias"]


def test_all_states_shows_the_keys_that_cannot_be_chosen(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--demo", "keys", "--all-states", "--json")
    states = {k["alias"]: k["state_text"] for k in json.loads(out)["keys"]}
    assert code == 0
    assert states["demo/disabled"] == "disabled" and states["demo/retiring"] == "pending deletion"
    assert states["demo/not-yet-active"] == "pending activation" and states["demo/byok-import"] == "pending import"


def test_human_table(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--demo", "keys", "--all-states")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ALIAS", "STATE", "DEFAULT", "KEY", "ID", "CREATED"]
    assert lines[1].startswith("ims/default ") and " yes " in lines[1]
    assert any(line.startswith("demo/retiring") and "pending deletion" in line for line in lines)
    assert lines[-1] == "9 keys, 5 can encrypt a copy (imstui copy --key)"
    assert "\x1b" not in out


def test_long_key_lists_are_fetched_page_by_page(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(150):
        backend.state.kms.add(f"00000000-0000-4000-8000-{n:012d}", f"bulk/{n:03d}")
    code, out, _ = run(capsys, "--demo", "keys", "--json")
    assert code == 0 and json.loads(out)["count"] == 155  # more than one page of 100


def test_endpoint_from_env_and_option(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMSTUI_KMS_ENDPOINT", "http://127.0.0.1:18443")
    _, out, _ = run(capsys, "--demo", "keys", "--json")
    assert json.loads(out)["kms_endpoint"] == "http://127.0.0.1:18443"
    _, out, _ = run(capsys, "--demo", "keys", "--json", "--kms-endpoint", "http://localhost:9")
    assert json.loads(out)["kms_endpoint"] == "http://localhost:9"


def test_plain_http_to_a_remote_kms_is_refused(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo", "keys", "--json", "--kms-endpoint", "http://kms.example.com")
    assert code == 2 and "plain http" in err
    assert json.loads(out)["error"]["type"] == "ConfigurationError"


def test_no_enabled_keys_is_said(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    backend.state.kms.keys = [k for k in backend.state.kms.keys if k["key_state"] != "2"]
    code, out, _ = run(capsys, "--demo", "keys")
    assert code == 0 and out.strip() == "no enabled KMS keys (--all-states lists the others) in ap-southeast-1"


def test_usage_error_with_json_is_one_document(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--demo", "keys", "--json", "--bogus"])
    doc = json.loads(capsys.readouterr().out)
    assert info.value.code == 2 and doc["error"]["type"] == "UsageError"


def test_building_the_parser_does_not_load_the_network_stack() -> None:
    """`imstui keys` / `enterprise-projects` register without importing httpx (every command's start-up pays
    for what the parser imports); the KMS/EPS clients load only when the command runs."""
    program = (
        "import sys, imstui.cli\n"
        "imstui.cli.parse_args(['keys', '--all-states'])\n"
        "imstui.cli.parse_args(['enterprise-projects', '--name', 'x'])\n"
        "import imstui.core.keys, imstui.core.enterprise_projects, imstui.core.tags\n"
        "print('httpx' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"
