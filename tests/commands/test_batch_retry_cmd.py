"""``imstui batch retry BATCH`` through imstui.cli.main on the in-process simulator (--demo, jobs finish at once,
virtual time for --wait): only the item whose job FAILED is sent again, as a new attempt; an item that succeeded
is refused with why; without a terminal nothing changes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from ims_fake_server import FakeSleep

from imstui.cli import main
from imstui.core.context import client_overrides
from imstui.core.ledger import Ledger
from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend
from imstui.sim.state import ScriptedOutcome

SOURCES = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoBackend]:
    chosen = controlled_backend(instant=True)
    monkeypatch.setattr("imstui.sim.demo.demo_backend", lambda **_: chosen)
    with client_overrides(sleep=FakeSleep()):
        yield chosen


def _batch_with_one_failed_job(backend: DemoBackend, capsys: pytest.CaptureFixture[str]) -> dict[int, str]:
    backend.state.script_next_copy(ScriptedOutcome("IMG.0061", "Unknown system error.", fail_at=0.0))
    argv = ("--demo", "copy", *SOURCES, "--name-template", "{name}-again", "--max-in-flight", "1", "--yes", "--wait")
    code, _, _ = run(capsys, *argv)
    assert code == 1  # --wait: one job failed
    _, out, _ = run(capsys, "--demo", "batch", "show", "1", "--json")
    return {i["position"]: i["outcome"] for i in json.loads(out)["items"]}


def test_the_failed_item_is_sent_again_as_a_new_attempt_and_then_succeeds(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _batch_with_one_failed_job(backend, capsys) == {1: "failed", 2: "succeeded"}
    assert backend.state.copies_created == 2

    code, out, err = run(capsys, "--demo", "batch", "retry", "1")  # no terminal, no --yes: nothing changes
    assert code == 2 and "no terminal to ask on" in err
    assert "   1  retry" in out and "previous attempt: job" in out and "IMG.0061" in out
    assert backend.state.copies_created == 2

    code, out, err = run(capsys, "--demo", "batch", "retry", "1", "--item", "2")
    assert code == 2 and "2  not retried: succeeded" in out and "nothing to retry" in err

    code, out, _ = run(capsys, "--demo", "batch", "retry", "1", "--yes", "--wait", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True and doc["posts"] == 1
    assert [r["position"] for r in doc["retry"]] == [1]
    assert {i["position"]: i["outcome"] for i in doc["items"]} == {1: "succeeded", 2: "succeeded"}
    assert backend.state.copies_created == 3  # exactly one more copy
    with Ledger() as ledger:  # the failed attempt stays in the history; the new one says it retries it
        rows = [r for r in ledger.list() if r.source_image_id == SOURCES[0]]
    failed = next(r for r in rows if r.error_code == "IMG.0061")
    again = next(r for r in rows if r.row_id != failed.row_id)
    assert again.retry_of == failed.row_id and again.job_id == doc["items"][0]["job_id"]

    code, _, err = run(capsys, "--demo", "batch", "retry", "1", "--yes")
    assert code == 2 and "nothing to retry" in err and backend.state.copies_created == 3


def test_each_items_tags_go_on_its_new_image_and_the_batch_says_so(
    backend: DemoBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("--demo", "copy", *SOURCES, "--name-template", "{name}-tagged", "--tag", "env=prod", "--yes", "--wait")
    code, out, _ = run(capsys, *argv, "--json")
    doc = json.loads(out)
    assert code == 0 and [i["tags_state"] for i in doc["items"]] == ["applied", "applied"]
    for item in doc["items"]:
        assert backend.state.tags.of(item["new_image_id"]) == [{"key": "env", "value": "prod"}]
    assert backend.state.tags.calls == 2  # once per new image
    code, out, _ = run(capsys, "--demo", "batch", "show", "1")
    assert code == 0 and out.count("tags applied") == 2
