"""``imstui copy ID ID ...`` and ``imstui batch list|show|resume`` through ``imstui.cli.main`` against a simulator on
loopback: the plan printed first, confirmation rules (no TTY: exit 2, nothing sent), empty plans, skipped items,
one JSON document with every item's outcome, duplicates said once, a resume with the wrong profile refused."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from imstui.cli import main
from imstui.sim import seed
from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig
from imstui.sim.server import RunningSim, run_in_thread

GOOD = [seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, seed.CJK_ID]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _point_at(running: RunningSim, state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a headless command using the simulator's demo credentials and its own ledger."""
    for name, value in {
        "HUAWEICLOUD_SDK_AK": DEMO_AK,
        "HUAWEICLOUD_SDK_SK": DEMO_SK,
        "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
        "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID,
        "IMSTUI_IMS_ENDPOINT": running.url,
        "IMSTUI_STATE_DIR": str(state_dir),
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningSim]:
    config = SimConfig(init_seconds=(0.0, 0.0), run_seconds=(0.0, 0.0), seed=5)
    with run_in_thread(config) as running:
        _point_at(running, tmp_path / "state", monkeypatch)
        yield running


def _copies(sim: RunningSim) -> list[str]:
    """The target names of every copy the simulator accepted."""
    return sorted(job.name for job in sim.state.jobs.values())


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def invoke(*argv: str, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", stdin or io.StringIO(""))
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_without_a_terminal_the_plan_is_printed_and_nothing_is_sent(sim: RunningSim, run: Run) -> None:
    code, out, err = run("copy", *GOOD, "--name-template", "{name}-{n}")
    assert code == 2
    text = out + err
    for position, image_id in enumerate(GOOD, start=1):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{position} "))
        assert "ready" in line and f"-{position}" in line and "key: none given" in line and image_id in line
    assert "nothing was sent" in err and _copies(sim) == []
    code, out, _ = run("batch", "list")
    assert code == 0 and "no batches" in out  # nothing stored either


def test_on_a_terminal_the_operator_is_asked_and_no_sends_nothing(sim: RunningSim, run: Run) -> None:
    code, _, err = run("copy", *GOOD, "--name-template", "{name}-{n}", stdin=_Tty("n\n"))
    assert code == 2 and "Copy 3 image(s)? [y/N]" in err and _copies(sim) == []
    code, _, _ = run("copy", *GOOD, "--name-template", "{name}-{n}", stdin=_Tty("y\n"))
    assert code == 0 and len(_copies(sim)) == 3


def test_an_empty_plan_exits_2_and_sends_nothing(sim: RunningSim, run: Run) -> None:
    code, _, err = run("copy", seed.WINDOWS_ID, seed.FULL_ECS_ID, "--name-template", "{name}-x", "--yes")
    assert code == 2 and "nothing to copy" in err and _copies(sim) == []


def test_skipped_items_are_said_and_every_item_is_in_the_one_json_document(sim: RunningSim, run: Run) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    code, out, err = run(
        "copy", *GOOD, seed.WINDOWS_ID, missing, "--name-template", "{name}-{n}", "--yes", "--wait", "--json"
    )
    doc = json.loads(out)  # one document, nothing else on stdout
    assert code == 1  # two images were not copied
    assert "skipping 2 item(s)" in err
    outcomes = {item["source_image_id"]: item for item in doc["items"]}
    assert [outcomes[i]["outcome"] for i in GOOD] == ["succeeded"] * 3
    assert all(outcomes[i]["new_image_id"] for i in GOOD)
    assert outcomes[seed.WINDOWS_ID]["outcome"] == "skipped" and outcomes[seed.WINDOWS_ID]["verdict"] == "not_eligible"
    assert outcomes[missing]["verdict"] == "not_found" and outcomes[missing]["job_id"] is None
    assert doc["plan"]["ready"] == 3 and doc["plan"]["skipped"] == 2
    assert len(_copies(sim)) == 3


def test_every_item_succeeding_with_wait_exits_0(sim: RunningSim, run: Run) -> None:
    code, out, _ = run("copy", *GOOD, "--name-template", "{name}-w{n}", "--yes", "--wait", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True and doc["progress"] == "3/3 done"
    assert doc["peak_in_flight"] <= 5 and doc["posts"] == 3


def test_a_file_of_ids_and_names_with_a_duplicate_said_once(sim: RunningSim, run: Run, tmp_path: Path) -> None:
    listing = tmp_path / "images.csv"
    listing.write_text(f"# id,name\n{GOOD[0]},from-file-a\n{GOOD[1]}\n{GOOD[0]}\n{GOOD[0]},other\n", encoding="utf-8")
    code, out, err = run("copy", "--from-file", str(listing), "--name-template", "{id8}-t", "--yes")
    assert code == 0
    assert (out + err).count("was given more than once") == 1
    assert _copies(sim) == sorted(["from-file-a", f"{GOOD[1][:8]}-t"])


def test_a_bad_template_or_tag_is_refused_before_anything_is_read(sim: RunningSim, run: Run) -> None:
    code, _, err = run("copy", *GOOD, "--name-template", "{name}-{nn}", "--yes")
    assert code == 2 and "unknown placeholder {nn}" in err
    code, _, err = run("copy", *GOOD, "--name-template", "{name}-{n}", "--tag", "bad key=v", "--yes")
    assert code == 2 and "tag" in err
    assert _copies(sim) == []


def test_batch_list_and_show_say_what_became_of_each_item(sim: RunningSim, run: Run) -> None:
    run("copy", *GOOD, seed.WINDOWS_ID, "--name-template", "{name}-s{n}", "--yes", "--wait")
    code, out, _ = run("batch", "list", "--json")
    [batch] = json.loads(out)["batches"]
    assert code == 0 and batch["progress"] == "3/4 done, 1 skipped" and batch["profile"] == "env"
    assert batch["counts"]["done"] == 3 and batch["counts"]["skipped"] == 1 and batch["counts"]["total"] == 4
    code, out, _ = run("batch", "show", str(batch["batch_id"]), "--json")
    shown: dict[str, Any] = json.loads(out)
    assert [i["outcome"] for i in shown["items"]] == ["succeeded", "succeeded", "succeeded", "skipped"]
    code, _, err = run("batch", "show", "99")
    assert code == 2 and "no batch 99" in err
    for command in (("show",), ("resume", "--yes"), ("retry", "--yes")):  # one document under --json, each
        code, out, err = run("batch", command[0], "99", "--json", *command[1:])
        assert code == 2 and "no batch 99" in err
        assert json.loads(out)["error"] == {"type": "NotFound", "message": "no batch 99"}
    assert len(_copies(sim)) == 3  # the three copies of the batch above; nothing sent since


def test_a_resume_under_another_profile_or_region_is_refused(
    sim: RunningSim, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("copy", *GOOD, "--name-template", "{name}-r{n}", "--yes")
    before = _copies(sim)
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", "eu-west-101")
    code, _, err = run("batch", "resume", "1", "--yes")
    assert code == 2 and "belongs to profile env in ap-southeast-1" in err and _copies(sim) == before
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", DEMO_REGION)
    code, out, _ = run("batch", "resume", "1", "--yes", "--json")
    assert code == 0 and json.loads(out)["posts"] == 0 and _copies(sim) == before  # all sent already: none again


def test_the_key_is_resolved_once_by_alias_and_tags_are_stored_with_each_item(sim: RunningSim, run: Run) -> None:
    argv = ["copy", GOOD[0], GOOD[1], "--name-template", "{name}-enc{n}", "--key", "demo/backup", "--tag", "env=prod"]
    code, out, err = run(*argv, "--yes", "--json")
    assert code == 0
    assert "key: demo/backup" in err  # the plan line (progress goes to stderr with --json)
    assert "the tags go on each new image once its copy succeeded" in err  # without --wait: said when
    assert {job.cmk_id for job in sim.state.jobs.values()} == {seed.SECOND_CMK_ID}
    assert [item["tags"] for item in json.loads(out)["items"]] == [["env=prod"], ["env=prod"]]
    code, _, err = run("copy", GOOD[0], GOOD[1], "--name-template", "{name}-x{n}", "--key", "demo/disabled", "--yes")
    assert code == 2 and "demo/disabled" in err and len(sim.state.jobs) == 2  # refused before anything was sent


def test_flow_control_through_the_command_waits_and_sends_each_refused_copy_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Run
) -> None:
    config = SimConfig(init_seconds=(0.0, 0.0), run_seconds=(0.0, 0.0), seed=6, copy_burst=(2, 1.0))
    with run_in_thread(config) as running:
        _point_at(running, tmp_path / "flow", monkeypatch)
        sources = [*GOOD, seed.HOSTILE_MARKUP_ID]
        code, out, err = run("copy", *sources, "--name-template", "flow-{n}", "--yes", "--wait", "--json")
        doc = json.loads(out)
        assert code == 0 and doc["flow_waits"] >= 1 and "IMG.0060" in err
        assert sorted(job.source_id for job in running.state.jobs.values()) == sorted(sources)  # each once
        assert [item["outcome"] for item in doc["items"]] == ["succeeded"] * 4
