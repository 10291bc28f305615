"""A batch of N images (default 100) with ``imstui copy ID ... --yes --wait`` vs a shell loop of N
``imstui copy ID --name NAME --wait`` runs, against one simulator in this process (uvicorn on loopback).

The simulator (generated images, copies of ~2 s: INIT 0.5 s + RUNNING 1.5 s, quota 1,000) counts the requests it
answers by route. Printed, for the batch:

* time from the command to the plan shown (the plan's last line on stderr: process start-up + the plan's reads)
  and the requests the plan took (image list pages, single lookups, the quota) vs the target N / 50 + a few;
* requests sent in total (by route), copy POSTs, peak copies in flight (the command's own count, and the
  simulator's unfinished jobs seen at each accepted copy), and the time to every copy SUCCESS;

then the same N copies as a shell loop (``bash -c 'for ...; do imstui copy ...; done'``): its time and requests.

    python benchmarks/batch_bench.py [--images 100] [--in-flight 5] [--skip-loop]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imstui.sim.config import DEMO_AK, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK, SimConfig  # noqa: E402
from imstui.sim.fleet import fleet_image_id  # noqa: E402
from imstui.sim.server import RunningSim, run_in_thread  # noqa: E402

PLAN_DONE = " to copy, "  # the plan's last line: "N to copy, M skipped (K requests to plan)"


class Counting:
    """Counts the requests the simulator answers, by route, and the unfinished jobs at each accepted copy."""

    def __init__(self, sim: RunningSim) -> None:
        routes = {"list_images_page": "image list/lookup", "copy_image": "copy POST", "job_document": "job status"}
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.peak_unfinished = 0
        state = sim.state
        for method, label in {**routes, "quota_document": "quota"}.items():
            setattr(state, method, self._counted(getattr(state, method), label, state))

    def _counted(self, real: Callable[..., Any], label: str, state: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.counts[label] += 1
                if label == "copy POST":
                    self.peak_unfinished = max(self.peak_unfinished, state.unfinished_jobs + 1)
            return real(*args, **kwargs)

        return call

    def take(self) -> Counter[str]:
        with self.lock:
            counts, self.counts, self.peak_unfinished = self.counts, Counter(), 0
        return counts


def _env(sim: RunningSim, state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_SDK_", "IMSTUI_"))}
    env.update(
        HUAWEICLOUD_SDK_AK=DEMO_AK,
        HUAWEICLOUD_SDK_SK=DEMO_SK,
        HUAWEICLOUD_SDK_REGION=DEMO_REGION,
        HUAWEICLOUD_SDK_PROJECT_ID=DEMO_PROJECT_ID,
        IMSTUI_IMS_ENDPOINT=sim.url,
        IMSTUI_STATE_DIR=str(state_dir),
        HOME=str(state_dir),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def run_batch(sim: RunningSim, counting: Counting, ids: list[str], in_flight: int, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "imstui", "copy", *ids, "--name-template", "{name}-batch{n}"]
    command += ["--max-in-flight", str(in_flight), "--yes", "--wait", "--json"]
    counting.take()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None and process.stdout is not None
    document: list[str] = []  # read meanwhile: a document larger than the pipe must not block the command
    reader = threading.Thread(target=lambda: document.append(process.stdout.read() if process.stdout else ""))
    reader.start()
    plan_at = None
    plan_line = ""
    errors: list[str] = []
    for line in process.stderr:
        errors.append(line)
        if plan_at is None and PLAN_DONE in line:
            plan_at, plan_line = time.perf_counter() - started, line.strip()
    process.wait()
    reader.join()
    raw = "".join(document)
    doc: dict[str, Any] = json.loads(raw) if raw.strip() else {}
    if "items" not in doc:
        raise SystemExit(f"the batch did not run (exit {process.returncode}): {raw[:2000]}{''.join(errors)[-2000:]}")
    wall = time.perf_counter() - started
    peak_sim = counting.peak_unfinished
    counts = counting.take()
    outcomes = Counter(item["outcome"] for item in doc["items"])
    print(f"batch of {len(ids)} images, at most {in_flight} in flight (exit {process.returncode}):")
    print(f"  time from command to plan shown : {plan_at:.2f} s" if plan_at is not None else "  plan never shown")
    print(f"  plan                            : {plan_line}  [target <= {len(ids) // 50} + a few]")
    print(f"  requests sent in total          : {sum(counts.values())}  ({dict(sorted(counts.items()))})")
    print(f"  copy POSTs / flow-control waits : {doc['posts']} / {doc['flow_waits']}")
    print(f"  peak copies in flight           : {doc['peak_in_flight']} (imstui)  {peak_sim} (simulator, unfinished)")
    print(f"  time to all SUCCESS             : {wall:.1f} s  outcomes {dict(outcomes)}")


def run_loop(counting: Counting, ids: list[str], env: dict[str, str]) -> None:
    script = (
        'n=0; for id in "$@"; do n=$((n+1)); "$PY" -m imstui copy "$id" --name "loop-$n" --wait >/dev/null || exit 1;'
        " done"
    )
    counting.take()
    started = time.perf_counter()
    code = subprocess.call(["bash", "-c", script, "loop", *ids], env={**env, "PY": sys.executable})
    wall = time.perf_counter() - started
    counts = counting.take()
    print(f"shell loop of {len(ids)} 'imstui copy ID --name NAME --wait' runs (exit {code}):")
    print(f"  requests sent in total          : {sum(counts.values())}  ({dict(sorted(counts.items()))})")
    print(f"  time to all SUCCESS             : {wall:.1f} s  ({wall / max(1, len(ids)):.2f} s per image)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=100, help="images in the batch (and in the loop)")
    parser.add_argument("--in-flight", type=int, default=5, help="--max-in-flight of the batch (default 5)")
    parser.add_argument("--skip-loop", action="store_true", help="only the batch")
    options = parser.parse_args()
    config = SimConfig(
        generated_images=options.images,
        init_seconds=(0.5, 0.5),
        run_seconds=(1.5, 1.5),
        private_image_quota=1000,
        max_running_jobs=50,
        seed=1,
    )
    ids = [fleet_image_id(n) for n in range(options.images)]
    with run_in_thread(config) as sim, tempfile.TemporaryDirectory() as scratch:
        counting = Counting(sim)
        run_batch(sim, counting, ids, options.in_flight, _env(sim, Path(scratch) / "batch"))
        if not options.skip_loop:
            run_loop(counting, ids, _env(sim, Path(scratch) / "loop"))


if __name__ == "__main__":
    main()
