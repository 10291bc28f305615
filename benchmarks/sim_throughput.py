"""How many job-status requests per second does `imstui sim` serve?

Starts `python -m imstui sim` (uvicorn, 127.0.0.1, free port) in a subprocess, creates N copy jobs, then
for a fixed duration polls their status with C concurrent httpx.AsyncClient workers, each request signed
properly with imstui.api.signer.SdkHmacAuth (SDK-HMAC-SHA256, verified by the sim). Prints the figure.

The client runs on the same machine: on a 2-core box the number is "server + signing client", a lower
bound for the server alone. No assertion: this prints, it does not judge.

    python benchmarks/sim_throughput.py [--jobs 500] [--duration 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imstui.api.signer import SdkHmacAuth  # noqa: E402
from imstui.sim import seed  # noqa: E402
from imstui.sim.harness import SimProcess, start_sim_process  # noqa: E402


def start_sim(jobs: int) -> SimProcess:
    """`imstui sim` on a free loopback port; copies take ~15-40 min (speed 0.02), so statuses stay INIT/RUNNING."""
    return start_sim_process(
        "--seed", "1", "--speed", "0.02", "--max-jobs", str(jobs + 10), "--quota", str(jobs + 100), cwd=ROOT
    )


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), to tell the server's share of the work."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def create_jobs(client: httpx.AsyncClient, n: int, concurrency: int) -> list[str]:
    sources = [seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, *seed.BATCH_IDS]
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        body = json.dumps({"name": f"bench-{i:05d}"}).encode()
        async with gate:
            response = await client.post(
                f"/v1/cloudimages/{sources[i % len(sources)]}/copy", content=body, headers=headers
            )
        response.raise_for_status()
        return str(response.json()["job_id"])

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def worker(
    client: httpx.AsyncClient, job_ids: list[str], deadline: float, latencies: list[float], errors: list[int]
) -> None:
    rng = random.Random()
    while time.perf_counter() < deadline:
        job_id = rng.choice(job_ids)
        started = time.perf_counter()
        response = await client.get(f"/v1/cloudimages/job/{job_id}")
        if response.status_code == 200 and response.json()["job_id"] == job_id:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(response.status_code)


async def run(args: argparse.Namespace) -> None:
    with start_sim(args.jobs) as sim:
        auth = SdkHmacAuth(sim.credentials(), sim.project_id)
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=sim.endpoint, auth=auth, limits=limits, timeout=30) as client:
            t0 = time.perf_counter()
            job_ids = await create_jobs(client, args.jobs, args.concurrency)
            created_in = time.perf_counter() - t0
            latencies: list[float] = []
            errors: list[int] = []
            deadline = time.perf_counter() + args.duration
            cpu_before = cpu_seconds(sim.pid)
            started = time.perf_counter()
            await asyncio.gather(
                *(worker(client, job_ids, deadline, latencies, errors) for _ in range(args.concurrency))
            )
            elapsed = time.perf_counter() - started
            server_cpu = cpu_seconds(sim.pid) - cpu_before
        ordered = sorted(latencies)
        p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else float("nan")
        print(f"jobs created: {args.jobs} in {created_in:.1f} s ({args.jobs / created_in:.0f} copies/s)")
        print(
            f"job-status requests: {len(latencies)} ok, {len(errors)} errors in {elapsed:.1f} s "
            f"with {args.concurrency} concurrent signed clients"
        )
        print(f"throughput: {len(latencies) / elapsed:.0f} requests/s")
        if latencies and server_cpu > 0:
            per_request = server_cpu / len(latencies)
            print(
                f"server CPU: {server_cpu:.1f} s = {per_request * 1000:.2f} ms per request "
                f"(~{1 / per_request:.0f} requests/s per core for the server alone)"
            )
        if latencies:
            print(f"latency: median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
