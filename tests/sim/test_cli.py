"""`imstui sim` serves on loopback, prints the endpoint and demo credentials, and refuses remote binds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from imstui.api.signer import SdkHmacAuth
from imstui.sim import seed
from imstui.sim.harness import parse_exports, start_sim_process

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imstui", "sim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_sim_serves_and_prints_exports_a_client_can_use() -> None:
    with start_sim_process("--seed", "1", cwd=ROOT, stderr=subprocess.PIPE) as sim:
        exports = sim.exports
        assert exports["HUAWEICLOUD_SDK_AK"] == "IMSTUIDEMOAK00000001"
        assert exports["IMSTUI_IMS_ENDPOINT"].startswith("http://127.0.0.1:")
        assert exports["HUAWEICLOUD_SDK_IAM_ENDPOINT"] == exports["IMSTUI_IMS_ENDPOINT"]
        assert not exports["IMSTUI_IMS_ENDPOINT"].endswith(":0")
        auth = SdkHmacAuth(sim.credentials(), sim.project_id)
        with httpx.Client(base_url=sim.endpoint, auth=auth, timeout=10) as client:
            response = client.get("/v2/cloudimages", params={"id": seed.ELIGIBLE_LINUX_ID})
        assert response.status_code == 200
        assert response.json()["images"][0]["id"] == seed.ELIGIBLE_LINUX_ID


def test_sim_flags_choose_the_wire_variants_and_limits() -> None:
    flags = ("--seed", "1", "--statuses", "lower", "--time-format", "legacy", "--quota", "500", "--copy-burst", "1/60")
    with start_sim_process(*flags, cwd=ROOT, stderr=subprocess.PIPE) as sim:
        auth = SdkHmacAuth(sim.credentials(), sim.project_id)
        with httpx.Client(base_url=sim.endpoint, auth=auth, timeout=10) as client:
            quota = client.get("/v1/cloudimages/quota").json()["quotas"]["resources"][0]
            copy = f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy"
            headers = {"Content-Type": "application/json;charset=UTF-8"}
            first = client.post(copy, content=b'{"name": "a"}', headers=headers)
            second = client.post(copy, content=b'{"name": "b"}', headers=headers)
            job = client.get(f"/v1/cloudimages/job/{first.json()['job_id']}").json()
    assert quota["quota"] == 500
    assert second.status_code == 400 and second.json()["error"]["code"] == "IMG.0060"
    assert job["status"] in ("init", "running") and job["begin_time"][2] == "-"


@pytest.mark.parametrize("flags", [("--copy-burst", "many"), ("--statuses", "title")])
def test_sim_rejects_bad_variant_flags(flags: tuple[str, str]) -> None:
    result = _run(*flags)
    assert result.returncode == 2 and result.stderr


def test_sim_refuses_a_remote_bind_without_allow_remote() -> None:
    result = _run("--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("faults", ["bogus=1", "5xx=3"])
def test_sim_rejects_bad_fault_syntax(faults: str) -> None:
    result = _run("--faults", faults)
    assert result.returncode == 2
    assert "imstui sim:" in result.stderr


def test_sim_path_does_not_import_textual() -> None:
    code = (
        "import sys; from imstui.cli import build_parser; build_parser();"
        "import imstui.commands.sim, imstui.sim.server, imstui.sim.demo;"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_env_overrides_change_the_printed_credentials_without_leaking_the_secret() -> None:
    env = {**os.environ, "IMSTUI_SIM_AK": "CUSTOMSIMAK000000001", "IMSTUI_SIM_SK": "my-own-sim-secret"}
    with start_sim_process(env=env, cwd=ROOT) as sim:
        text = "".join(sim.lines)
    assert "export HUAWEICLOUD_SDK_AK=CUSTOMSIMAK000000001" in text
    assert "my-own-sim-secret" not in text
    assert 'export HUAWEICLOUD_SDK_SK="$IMSTUI_SIM_SK"' in text


def test_printed_exports_round_trip_through_a_shell_parser() -> None:
    lines = ["# comment", "export A=plain", "export B='with space'", 'export C="$IMSTUI_SIM_SK"', "not an export"]
    assert parse_exports(lines) == {"A": "plain", "B": "with space", "C": "$IMSTUI_SIM_SK"}


@pytest.mark.e2e
def test_headless_commands_against_imstui_sim_with_the_printed_exports(tmp_path: Path) -> None:
    """`imstui sim` in one terminal, `imstui image / copy --wait / job / jobs` in another: SUCCESS and FAIL."""
    with start_sim_process("--seed", "2", "--speed", "50", cwd=ROOT) as sim:
        env = sim.client_env({**os.environ, "IMSTUI_STATE_DIR": str(tmp_path / "state")})

        def imstui(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "imstui", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )

        lookup = imstui("image", seed.ELIGIBLE_LINUX_ID, "--json")
        assert lookup.returncode == 0, lookup.stderr
        good = imstui("copy", seed.ELIGIBLE_LINUX_ID, "--name", "e2e-good", "--wait", "--json")
        assert good.returncode == 0, good.stderr
        bad = imstui("copy", seed.INTERNAL_FAIL_ID, "--name", "e2e-bad", "--wait", "--json")
        assert bad.returncode == 1, bad.stderr
        jobs = imstui("jobs", "--json", "--all")
        assert jobs.returncode == 0, jobs.stderr
        rows = {row["name"]: row for row in json.loads(jobs.stdout)["jobs"]}
        job = imstui("job", rows["e2e-good"]["job_id"], "--json")
    assert job.returncode == 0, job.stderr
    assert json.loads(lookup.stdout)["image"]["id"] == seed.ELIGIBLE_LINUX_ID
    assert rows["e2e-good"]["status"] == "SUCCESS" and rows["e2e-good"]["new_image_id"]
    assert rows["e2e-bad"]["status"] == "FAIL" and rows["e2e-bad"]["error_code"] == seed.INTERNAL_FAIL_ERROR[0]
