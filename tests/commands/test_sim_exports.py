"""``imstui sim`` prints the KMS and EPS exports (the same port) and the account id EPS signs with; a client set up
from the printed exports alone lists keys and enterprise projects. ``--kms-endpoint`` / ``--eps-endpoint`` /
``--domain-id`` on the commands that talk to KMS/EPS: checked before anything is sent (plain http only to loopback)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imstui.cli import main
from imstui.sim import seed
from imstui.sim.harness import SimProcess, start_sim_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim_process("--seed", "4", cwd=ROOT, stderr=subprocess.PIPE) as running:
        yield running


def test_the_banner_exports_kms_eps_and_the_domain_id_on_the_one_port(sim: SimProcess) -> None:
    exports = sim.exports
    assert exports["IMSTUI_KMS_ENDPOINT"] == exports["IMSTUI_EPS_ENDPOINT"] == exports["IMSTUI_IMS_ENDPOINT"]
    assert sim.kms_endpoint == sim.eps_endpoint == sim.endpoint
    assert sim.domain_id and len(sim.domain_id) == 32
    text = "".join(sim.lines)
    assert f"export IMSTUI_KMS_ENDPOINT={sim.endpoint}" in text and f"export IMSTUI_DOMAIN_ID={sim.domain_id}" in text


def test_a_client_configured_by_the_printed_exports_reaches_kms_and_eps(
    sim: SimProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in sim.exports.items():
        monkeypatch.setenv(name, value)
    assert main(["keys", "--json"]) == 0
    keys = json.loads(capsys.readouterr().out)
    assert keys["kms_endpoint"] == sim.endpoint and any(k["alias"] == "ims/default" for k in keys["keys"])
    assert main(["enterprise-projects", "--json"]) == 0  # signed with IMSTUI_DOMAIN_ID: the simulator checks it
    projects = json.loads(capsys.readouterr().out)
    assert projects["eps_endpoint"] == sim.endpoint and projects["ok"] is True


TWO = (seed.ELIGIBLE_LINUX_ID, seed.CJK_ID)
REFUSED = {
    "copy-kms": (("copy", *TWO, "--name-template", "{name}-k", "--key", "ims/default", "--kms-endpoint",
                  "http://kms.example.com"), "--kms-endpoint: refusing plain http://"),
    "copy-eps": (("copy", *TWO, "--name-template", "{name}-e", "--enterprise-project", "apps", "--eps-endpoint",
                  "http://eps.example.com"), "--eps-endpoint: refusing plain http://"),
    "copy-domain": (("copy", *TWO, "--name-template", "{name}-d", "--enterprise-project", "apps", "--domain-id",
                     "not/an id"), "--domain-id: an account (domain) id"),
    "rekey-kms": (("rekey", "--from-key", "none", "--to-key", "ims/default", "--kms-endpoint",
                   "http://kms.example.com"), "--kms-endpoint: refusing plain http://"),
}  # fmt: skip


@pytest.mark.parametrize(("argv", "said"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_kms_or_eps_option_that_cannot_be_used_is_refused_before_anything_is_sent(
    sim: SimProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: tuple[str, ...],
    said: str,
) -> None:
    for name, value in sim.exports.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(tmp_path / "state"))
    code = main([*argv, "--yes", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 2 and doc["ok"] is False and said in json.dumps(doc)
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").rglob("*.sqlite3"))  # no batch stored
