"""``imstui copy ID --name N --tag k=v --key ALIAS --enterprise-project NAME --wait``: ONE copy (not a batch of one),
the tags applied to the new image after the job succeeded (seen by GET tags and the official SDK's
list_image_tags), a tagging failure said as "copied, tags not applied" with exit 1 and the copy never repeated,
``imstui job JOB --retry-tags`` applying them again; the same in a subprocess against ``imstui sim``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkims.v2 import ImsClient, ListImageTagsRequest

from imstui.cli import main
from imstui.sim import seed
from imstui.sim.config import DEMO_AK, DEMO_DOMAIN_ID, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig
from imstui.sim.eps import PROD_WEB_ID
from imstui.sim.faults import FaultConfig
from imstui.sim.harness import SimProcess, start_sim_process
from imstui.sim.server import RunningSim, run_in_thread

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]


def _point_at(url: str, state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HUAWEICLOUD_SDK_AK": DEMO_AK,
        "HUAWEICLOUD_SDK_SK": DEMO_SK,
        "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
        "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID,
        "IMSTUI_IMS_ENDPOINT": url,
        "IMSTUI_KMS_ENDPOINT": url,
        "IMSTUI_EPS_ENDPOINT": url,
        "IMSTUI_DOMAIN_ID": DEMO_DOMAIN_ID,
        "IMSTUI_STATE_DIR": str(state_dir),
    }.items():
        monkeypatch.setenv(name, value)


def _sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, faults: str | None = None) -> Iterator[RunningSim]:
    values: dict[str, object] = {"init_seconds": (0.0, 0.0), "run_seconds": (0.0, 0.0), "seed": 5}
    if faults:
        values["faults"] = FaultConfig.parse(faults)
    with run_in_thread(SimConfig(**values)) as running:  # type: ignore[arg-type]
        _point_at(running.url, tmp_path / "state", monkeypatch)
        yield running


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningSim]:
    yield from _sim(monkeypatch, tmp_path)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def _sdk_tags(url: str, image_id: str) -> list[tuple[str, str]]:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    client = (
        ImsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(DEMO_AK, DEMO_SK, DEMO_PROJECT_ID))
        .with_endpoints([url])
        .build()
    )
    return [(t.key, t.value) for t in client.list_image_tags(ListImageTagsRequest(image_id=image_id)).tags]


def test_one_image_with_key_project_and_tags_is_one_copy_tagged_after_success(sim: RunningSim, run: Run) -> None:
    code, out, err = run(
        "copy", seed.ELIGIBLE_LINUX_ID, "--name", "web-tagged", "--tag", "env=prod", "--tag", "team=web",
        "--key", "ims/default", "--enterprise-project", "prod-web", "--wait", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and doc["tags_state"] == "applied" and doc["tags"] == [["env", "prod"], ["team", "web"]]
    assert "batch" not in (out + err).lower() and "plan" not in err.lower()  # said as one copy
    [job] = sim.state.jobs.values()  # one copy, with the resolved key and project ids
    assert job.name == "web-tagged" and job.enterprise_project_id == PROD_WEB_ID
    assert job.cmk_id and job.cmk_id != "ims/default"
    new_image = doc["new_image_id"]
    assert [(t["key"], t["value"]) for t in sim.state.tags.of(new_image)] == [("env", "prod"), ("team", "web")]
    assert _sdk_tags(sim.url, new_image) == [("env", "prod"), ("team", "web")]  # the official SDK as oracle
    code, out, _ = run("job", doc["job_id"], "--json")
    shown = json.loads(out)
    assert code == 0 and shown["tags_state"] == "applied" and shown["tags"] == [["env", "prod"], ["team", "web"]]


def test_a_bad_tag_is_refused_locally_naming_the_rule_and_nothing_is_sent(sim: RunningSim, run: Run) -> None:
    code, _, err = run("copy", seed.ELIGIBLE_LINUX_ID, "--name", "x", "--tag", "bad key=v")
    assert code == 2 and "may hold only" in err and sim.state.jobs == {}


def test_tags_that_cannot_be_applied_exit_1_and_a_retry_tags_applies_them_without_a_second_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Run
) -> None:
    for running in _sim(monkeypatch, tmp_path, faults="tags.5xx=1"):
        code, out, err = run("copy", seed.ELIGIBLE_SMALL_ID, "--name", "t", "--tag", "env=prod", "--wait", "--json")
        doc = json.loads(out)
        assert code == 1 and doc["ok"] is False and doc["tags_state"] == "failed"
        assert "copied, tags not applied: " in err and "--retry-tags" in err
        assert len(running.state.jobs) == 1 and running.state.tags.calls == 0
        code, out, err = run("job", doc["job_id"])
        assert code == 1 and "copied, tags not applied" in out
        running.state.faults.config = FaultConfig.parse("")  # the tag service is back
        code, out, err = run("job", doc["job_id"], "--retry-tags")
        assert code == 0, err
        assert "tags applied (1)" in out
        assert len(running.state.jobs) == 1 and running.state.tags.calls == 1  # the copy was never repeated
        assert _sdk_tags(running.url, doc["new_image_id"]) == [("env", "prod")]


@pytest.fixture(scope="module")
def sim_process() -> Iterator[SimProcess]:
    with start_sim_process("--seed", "3", "--speed", "1000", cwd=ROOT, stderr=subprocess.PIPE) as running:
        yield running


def test_copy_tag_end_to_end_in_a_subprocess_against_imstui_sim(sim_process: SimProcess, tmp_path: Path) -> None:
    env = sim_process.client_env(os.environ)
    env["IMSTUI_STATE_DIR"] = str(tmp_path / "state")
    argv = [sys.executable, "-m", "imstui", "copy", seed.CJK_ID, "--name", "e2e-tags"]
    argv += ["--tag", "env=prod", "--tag", "owner=ops", "--wait", "--json"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["tags_state"] == "applied"
    assert _sdk_tags(sim_process.endpoint, doc["new_image_id"]) == [("env", "prod"), ("owner", "ops")]


def test_jobs_watch_applies_the_tags_of_what_it_followed_and_says_so(sim: RunningSim, run: Run) -> None:
    code, out, _ = run("copy", seed.ELIGIBLE_SMALL_ID, "--name", "w", "--tag", "env=dev", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["tags_state"] == "pending" and sim.state.tags.calls == 0  # not yet: no one followed it
    code, out, err = run("jobs", "watch")
    assert code == 0, err
    assert "tags applied (1)" in out + err
    [new_image] = [job.new_image_id for job in sim.state.jobs.values() if job.new_image_id]
    assert _sdk_tags(sim.url, new_image) == [("env", "dev")] and sim.state.tags.calls == 1
    code, out, _ = run("jobs", "--all", "--json")
    assert code == 0 and '"tags_state": "applied"' in out
