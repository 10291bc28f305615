"""A real ``imstui copy A B C ... --yes`` process killed with SIGKILL when the simulator has received its k-th copy
POST (held there until the process is dead), then ``imstui batch resume BATCH --yes --wait``: every image is
copied exactly once (the simulator counts the copies it accepted), the item whose POST was in flight at the kill
is "outcome unknown" and is not sent again, and the items never sent are sent by the resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig
from imstui.sim.fleet import fleet_image_id
from imstui.sim.server import RunningSim, run_in_thread

ITEMS = 7


class HeldPost:
    """Wraps the simulator's copy: counts accepted copies per source; the k-th POST waits for ``release``."""

    def __init__(self, sim: RunningSim, k: int) -> None:
        self.k = k
        self.received = 0
        self.accepted: Counter[str] = Counter()
        self.reached = threading.Event()
        self.release = threading.Event()
        self.held_source: str | None = None
        real: Callable[..., str] = sim.state.copy_image

        def copy_image(image_id: str, raw_body: bytes, project_id: str) -> str:
            self.received += 1
            if self.received == self.k:
                self.held_source = image_id
                self.reached.set()
                self.release.wait(60)  # the copy is created only after the client is dead
            job_id = real(image_id, raw_body, project_id)
            self.accepted[image_id] += 1
            return job_id

        sim.state.copy_image = copy_image  # type: ignore[method-assign]


@pytest.fixture
def sim() -> Iterator[RunningSim]:
    config = SimConfig(generated_images=ITEMS, init_seconds=(0.0, 0.0), run_seconds=(0.0, 0.0), seed=3)
    with run_in_thread(config) as running:
        yield running


def _env(sim: RunningSim, state_dir: Path) -> dict[str, str]:
    env = dict(os.environ)  # the isolated HOME/XDG dirs of this test
    env.update(
        HUAWEICLOUD_SDK_AK=DEMO_AK,
        HUAWEICLOUD_SDK_SK=DEMO_SK,
        HUAWEICLOUD_SDK_REGION=DEMO_REGION,
        HUAWEICLOUD_SDK_PROJECT_ID=DEMO_PROJECT_ID,
        IMSTUI_IMS_ENDPOINT=sim.url,
        IMSTUI_STATE_DIR=str(state_dir),
    )
    return env


@pytest.mark.parametrize("k", [1, 3, 6])
def test_killed_at_the_kth_post_then_resumed_every_image_is_copied_exactly_once(
    sim: RunningSim, tmp_path: Path, k: int
) -> None:
    held = HeldPost(sim, k)
    env = _env(sim, tmp_path / "state")
    sources = [fleet_image_id(n) for n in range(ITEMS)]
    command = [sys.executable, "-m", "imstui", "copy", *sources, "--name-template", "{name}-k{n}", "--yes"]
    process = subprocess.Popen(
        [*command, "--max-in-flight", "3"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.reached.wait(120), "the simulator never received the k-th copy"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        held.release.set()
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    resume = subprocess.run(
        [sys.executable, "-m", "imstui", "batch", "resume", "1", "--yes", "--wait", "--json"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    doc = json.loads(resume.stdout)
    outcomes = {item["source_image_id"]: item["outcome"] for item in doc["items"]}
    assert set(outcomes) == set(sources)
    assert held.held_source is not None and outcomes[held.held_source] == "outcome_unknown"
    assert held.accepted[held.held_source] == 1  # it was created (after the kill) and not sent again
    for source in sources:
        assert held.accepted[source] <= 1, f"{source} was copied {held.accepted[source]} times"
        if outcomes[source] != "outcome_unknown":
            assert outcomes[source] == "succeeded" and held.accepted[source] == 1
    assert held.received == sum(held.accepted.values())  # no copy POST was refused or lost in the simulator
    unknown = [source for source, outcome in outcomes.items() if outcome == "outcome_unknown"]
    assert 1 <= len(unknown) <= 3  # at most the 3 copies in flight at the kill; the others were sent once
    assert resume.returncode == 1  # not every item is known to have succeeded
    assert "outcome unknown" in resume.stderr or "outcome unknown" in doc["progress"]
