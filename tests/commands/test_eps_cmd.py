"""`imstui enterprise-projects` end to end through imstui.cli.main on the in-process simulator (--demo)."""

from __future__ import annotations

import json

import pytest

from imstui.cli import main
from imstui.sim import controlled_backend
from imstui.sim import eps as sim_eps
from imstui.sim.config import DEMO_DOMAIN_ID
from imstui.sim.demo import DemoBackend


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> DemoBackend:
    chosen = controlled_backend()
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    for name in ("IMSTUI_EPS_ENDPOINT", "IMSTUI_DOMAIN_ID"):
        monkeypatch.delenv(name, raising=False)
    return chosen


def test_json_offers_default_first_and_marks_disabled(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo", "enterprise-projects", "--json")
    doc = json.loads(out)
    assert (code, doc["ok"], err) == (0, True, "")
    projects = doc["enterprise_projects"]
    assert (projects[0]["id"], projects[0]["name"], projects[0]["choosable"]) == ("0", "default", True)
    assert [p["id"] for p in projects].count("0") == 1
    by_id = {p["id"]: p for p in projects}
    assert by_id[sim_eps.DISABLED_ID]["choosable"] is False and by_id[sim_eps.DISABLED_ID]["status_text"] == "disabled"
    assert "\x1b" not in by_id[sim_eps.HOSTILE_ID]["name"] and "\u202e" not in by_id[sim_eps.HOSTILE_ID]["name"]
    assert doc["domain_id"] == DEMO_DOMAIN_ID  # found with IAM /v3/auth/domains


def test_name_filter_and_human_table(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--demo", "enterprise-projects", "--name", "prod")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "STATUS", "ID"]
    assert [line.split()[0] for line in lines[1:]] == ["prod-web", "production-db"]
    _, out, _ = run(capsys, "--demo", "enterprise-projects")
    assert any(line.startswith("legacy-archive") and "(cannot be chosen)" in line for line in out.splitlines())
    assert out.splitlines()[1].startswith("default ")


def test_without_eps_rights_say_so_and_still_offer_default(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.state.eps.denied = True
    code, out, err = run(capsys, "--demo", "enterprise-projects", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert "no EPS rights" in err and "type the enterprise project id" in err
    assert doc["error"]["type"] == "NoEpsRightsError"
    assert [p["id"] for p in doc["enterprise_projects"]] == ["0"]


def test_explicit_domain_id_is_used_and_a_wrong_one_is_refused_by_the_gateway(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMSTUI_DOMAIN_ID", DEMO_DOMAIN_ID)
    code, out, _ = run(capsys, "--demo", "enterprise-projects", "--json")
    assert code == 0 and json.loads(out)["domain_id"] == DEMO_DOMAIN_ID
    code, out, err = run(capsys, "--demo", "enterprise-projects", "--json", "--domain-id", "f" * 32)
    assert code == 1 and json.loads(out)["error"]["code"] == "APIGW.0301" and "X-Domain-Id" in err
    code, _, err = run(capsys, "--demo", "enterprise-projects", "--domain-id", "not an id")
    assert code == 2 and "domain" in err


def test_plain_http_to_a_remote_eps_is_refused(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--demo", "enterprise-projects", "--eps-endpoint", "http://eps.example.com")
    assert code == 2 and "plain http" in err
