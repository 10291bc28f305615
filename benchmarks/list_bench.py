"""Listing 10,000 images: imstui's client (imstui.api.image_list) vs the official SDK's ``list_images`` loop.

Starts one ``imstui sim --images N`` (uvicorn, loopback, free port) and lists every private image of the project
through it, page by page (``limit`` 500, ``marker`` = the last image's id, ``sort_key=created_at&sort_dir=desc``,
``enterprise_project_id=all_granted_eps``: the same query both ways), keeping every parsed image in a list. Each
client runs in a subprocess of its own, alternately, ``--runs`` times:

* a timed run: wall time of the whole listing (client built, project id given), the client process's CPU time
  during it (its own cost, less moved by other load than the wall time), and the subprocess's peak RSS
  (``ru_maxrss``) with the increase over its RSS after imports;
* a traced run: ``tracemalloc`` peak of the listing alone (started after imports).

Clients: ``sdk``; ``imstui`` (``ImageLister(read_ahead=True)``, as ``imstui images`` and ``imstui rekey`` list: the
next page is asked for while this one is parsed); ``imstui-serial`` (one request at a time). Prints the median of
each figure (and the fastest wall time), the ratios to the SDK and whether the target (<= 1.0x the SDK's time and
memory) is met. The clients share the machine with the simulator: its time is in every wall figure.

    python benchmarks/list_bench.py [--images 10000] [--runs 3] [--page 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imstui.sim.harness import start_sim_process  # noqa: E402

FIGURES = ("wall", "cpu", "rss", "rss_gain", "traced_peak")
CLIENTS = ("sdk", "imstui", "imstui-serial")  # imstui reads one page ahead; imstui-serial one request at a time


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _imstui_loader(
    endpoint: str, ak: str, sk: str, project: str, region: str, page: int, read_ahead: bool = True
) -> Any:
    from imstui.api.client import ImsClient
    from imstui.api.credentials import Credentials
    from imstui.api.image_list import ImageLister, ImageQuery
    from imstui.api.secret import Secret

    async def listing() -> list[Any]:
        client = ImsClient(
            credentials=Credentials(ak, Secret(sk)),
            region=region,
            project_id=project,
            ims_endpoint=endpoint,
            iam_endpoint=endpoint,
        )
        images: list[Any] = []
        async with client:
            async for part in ImageLister(client, page_size=page, read_ahead=read_ahead).pages(ImageQuery()):
                images.extend(part.images)
        return images

    return lambda: asyncio.run(listing())


def _sdk_loader(endpoint: str, ak: str, sk: str, project: str, region: str, page: int, read_ahead: bool = False) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkims.v2 import ImsClient, ListImagesRequest

    def listing() -> list[Any]:
        config = HttpConfig.get_default_config()
        config.retry_times = 0
        client = (
            ImsClient.new_builder()
            .with_http_config(config)
            .with_credentials(BasicCredentials(ak, sk, project))
            .with_endpoints([endpoint])
            .build()
        )
        images: list[Any] = []
        marker = None
        while True:
            request = ListImagesRequest(
                imagetype="private",
                sort_key="created_at",
                sort_dir="desc",
                enterprise_project_id="all_granted_eps",
                limit=page,
                marker=marker,
            )
            got = client.list_images(request).images or []
            images.extend(got)
            if len(got) < page:
                return images
            marker = got[-1].id

    return listing


def child(options: argparse.Namespace) -> None:
    """One run in this process: print a JSON line of figures."""
    make = _sdk_loader if options.child == "sdk" else _imstui_loader
    env = os.environ
    listing = make(
        env["IMSTUI_IMS_ENDPOINT"],
        env["HUAWEICLOUD_SDK_AK"],
        env["HUAWEICLOUD_SDK_SK"],
        env["HUAWEICLOUD_SDK_PROJECT_ID"],
        env["HUAWEICLOUD_SDK_REGION"],
        options.page,
        options.child == "imstui",  # "imstui-serial": one request at a time, no read-ahead
    )
    base_rss = _rss_mib()
    if options.trace:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    images = listing()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss = _rss_mib()
    figures: dict[str, Any] = {"images": len(images), "wall": wall, "cpu": cpu, "rss": rss, "rss_gain": rss - base_rss}
    if options.trace:
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(json.dumps(figures))


def run_child(which: str, sim_exports: dict[str, str], page: int, trace: bool) -> dict[str, Any]:
    """One run of ``which`` in a fresh interpreter; the simulator's exports (demo AK/SK, endpoint) go in its
    environment, not on its command line."""
    command = [sys.executable, __file__, "--child", which, "--page", str(page), *(["--trace"] if trace else [])]
    env = {**os.environ, **sim_exports}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True, cwd=ROOT, env=env)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="generated images in the simulator")
    parser.add_argument("--runs", type=int, default=3, help="runs of each client (median shown)")
    parser.add_argument("--page", type=int, default=500, help="images per page (limit)")
    parser.add_argument("--child", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options)
        return
    with start_sim_process("--images", str(options.images), "--seed", "1", cwd=ROOT) as sim:
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in CLIENTS}
        for _ in range(options.runs):
            for which in CLIENTS:
                timed = run_child(which, sim.exports, options.page, trace=False)
                timed.update(traced_peak=run_child(which, sim.exports, options.page, trace=True)["traced_peak"])
                results[which].append(timed)
    counts = {r["images"] for rows in results.values() for r in rows}
    print(f"list_bench: {options.images:,} generated images (+ seeded), page {options.page}, {options.runs} runs each")
    print(f"images listed per run: {sorted(counts)}")
    header = (
        f"{'client':<14} {'wall s':>8} {'min wall':>9} {'client cpu s':>13} {'peak RSS MiB':>13} {'RSS gain MiB':>13} "
        f"{'tracemalloc peak MiB':>21}"
    )
    print(header)
    medians: dict[str, dict[str, float]] = {}
    for which, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in FIGURES}
        medians[which] = med
        print(
            f"{which:<14} {med['wall']:>8.3f} {min(r['wall'] for r in rows):>9.3f} {med['cpu']:>13.3f} "
            f"{med['rss']:>13.1f} {med['rss_gain']:>13.1f} {med['traced_peak']:>21.1f}"
        )
    for which in ("imstui", "imstui-serial"):
        ratios = {k: medians[which][k] / medians["sdk"][k] for k in FIGURES}
        met = ratios["wall"] <= 1.0 and ratios["traced_peak"] <= 1.0 and ratios["rss"] <= 1.0
        print(
            f"{which} / SDK: "
            + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items())
            + f"  (target <= 1.0x time and memory: {'met' if met else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
