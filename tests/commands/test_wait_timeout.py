"""``--timeout`` of ``jobs watch`` and ``copy --wait``: on the poller's (virtual) clock, exit 124, one line, the
jobs left outstanding in the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ims_fake_server import IMAGE_ID, JOB_ID, PROJECT_ID, REGION, FakeIms, FakeSleep, gateway_error, job_doc

from imstui.cli import main
from imstui.core.context import client_overrides
from imstui.core.jobs import is_outstanding
from imstui.core.ledger import Ledger
from imstui.sim import seed
from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig
from imstui.sim.server import RunningSim, run_in_thread


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # a usage error, as argparse ends it
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _seed(job_id: str) -> None:
    with Ledger() as led:
        row = led.record_intent(
            profile="env",
            region=REGION,
            project_id=PROJECT_ID,
            source_image_id=IMAGE_ID,
            source_image_name="web01-golden",
            name="copy",
        )
        led.attach_job_id(row, job_id)


def _still_outstanding(job_id: str) -> bool:
    with Ledger() as led:
        record = led.get(job_id)
    return record is not None and is_outstanding(record)


def test_watch_stops_after_the_timeout_with_one_line_and_exit_124(
    fake: FakeIms, sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING", entities={"process_percent": 0.4})]  # never finishes
    code, out, err = run(capsys, "jobs", "watch", "--timeout", "60", "--json")
    assert code == 124
    doc = json.loads(out)
    assert doc["ok"] is False and doc["timed_out"] is True
    assert [job["job_id"] for job in doc["jobs"]] == [JOB_ID]
    lines = [line for line in err.splitlines() if line.startswith("stopped waiting")]
    assert lines == [
        "stopped waiting after 1m: 1 job(s) still running on the server; follow them with: imstui jobs watch"
    ]
    assert sum(sleep.calls) <= 60.0 + 1e-9  # the poller's clock, not the machine's: exactly within the limit
    assert _still_outstanding(JOB_ID)


def test_a_throttle_pause_longer_than_the_timeout_does_not_outlast_it(
    fake: FakeIms, sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING")]
    for _ in range(3):
        fake.queue(
            "GET", "/job/", gateway_error(429, "APIGW.0308", "policy user over ratelimit,limit:200,time:5 minute")
        )
    code, out, _ = run(capsys, "jobs", "watch", "--timeout", "90s")
    assert code == 124
    assert "stopped waiting after 90s: 1 job(s) still running on the server" in out
    assert sum(sleep.calls) <= 90.0 + 1e-9
    assert _still_outstanding(JOB_ID)


def test_watch_a_job_that_ends_before_the_timeout_exits_0_as_without_one(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING"), job_doc("SUCCESS")]
    code, out, _ = run(capsys, "jobs", "watch", "--timeout", "15m", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and "timed_out" not in doc
    assert not _still_outstanding(JOB_ID)


def test_copy_wait_with_a_timeout_keeps_the_job_id_and_exits_124(
    fake: FakeIms, sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.jobs[JOB_ID] = [job_doc("RUNNING")]
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--wait", "--timeout", "2m", "--json")
    assert code == 124
    doc = json.loads(out)
    assert doc["ok"] is False and doc["timed_out"] is True and doc["job_id"] == JOB_ID
    assert f"job {JOB_ID}" in err
    assert "stopped waiting after 2m: 1 job(s) still running on the server; follow them with: imstui jobs watch" in err
    assert len(fake.seen("POST")) == 1
    assert sum(sleep.calls) <= 120.0 + 1e-9
    assert _still_outstanding(JOB_ID)


def test_copy_wait_that_succeeds_within_the_timeout_exits_0(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("RUNNING"), job_doc("SUCCESS")]
    code, out, _ = run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--wait", "--timeout", "1h")
    assert code == 0 and "new image:" in out
    assert not _still_outstanding(JOB_ID)


def test_copy_timeout_without_wait_is_a_usage_error_and_sends_nothing(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--timeout", "5")
    assert code == 2 and "--timeout" in err and "--wait" in err
    assert fake.seen("POST") == []


@pytest.mark.parametrize("value", ["-1", "0", "abc", "5d", "1e999"])
@pytest.mark.parametrize("command", [["jobs", "watch"], ["copy", IMAGE_ID, "--name", "x", "--wait"]])
def test_an_invalid_timeout_is_refused_with_a_clear_message(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], command: list[str], value: str
) -> None:
    code, _, err = run(capsys, *command, f"--timeout={value}")
    assert code == 2 and "invalid timeout" in err and "positive number of seconds" in err
    assert fake.seen("POST") == [] and fake.seen("GET") == []


@pytest.fixture
def slow_sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningSim]:
    """The simulator on loopback with copies that run for hours, and the commands' poller on virtual time."""
    config = SimConfig(init_seconds=(0.0, 0.0), run_seconds=(36000.0, 36000.0), seed=5)
    with run_in_thread(config) as running, client_overrides(sleep=FakeSleep()):
        for name, value in {
            "HUAWEICLOUD_SDK_AK": DEMO_AK,
            "HUAWEICLOUD_SDK_SK": DEMO_SK,
            "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
            "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID,
            "IMSTUI_IMS_ENDPOINT": running.url,
            "IMSTUI_STATE_DIR": str(tmp_path / "state"),
        }.items():
            monkeypatch.setenv(name, value)
        yield running


def test_a_batch_wait_stops_at_the_timeout_and_its_jobs_stay_outstanding(
    slow_sim: RunningSim, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID]
    argv = ["copy", *images, "--name-template", "{name}-t{n}", "--yes", "--wait", "--timeout", "15m", "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 124
    doc = json.loads(out)
    assert doc["ok"] is False and doc["timed_out"] is True and doc["posts"] == 2
    assert all(item["job_id"] for item in doc["items"]) and len(slow_sim.state.jobs) == 2
    assert "stopped waiting after 15m: 2 job(s) still running on the server; follow them with: imstui jobs watch" in err
    with Ledger() as led:
        assert len(led.outstanding()) == 2
    code, _, err = run(capsys, "batch", "resume", str(doc["batch_id"]), "--yes", "--timeout", "5")  # no --wait
    assert code == 2 and "--timeout needs --wait" in err and len(slow_sim.state.jobs) == 2


def test_a_batch_timeout_without_wait_is_refused_before_anything_is_sent(
    slow_sim: RunningSim, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["copy", seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, "--name-template", "{name}-u{n}", "--yes"]
    code, _, err = run(capsys, *argv, "--timeout", "5")
    assert code == 2 and "--timeout needs --wait" in err and slow_sim.state.jobs == {}
