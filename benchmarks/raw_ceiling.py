"""The real ceiling for job-status checks against `imstui sim`: a raw asyncio HTTP/1.1 client.

No httpx, no parsing beyond the status line and Content-Length, no ledger: ``--connections`` keep-alive connections
(asyncio streams), each sending ``GET /v1/cloudimages/job/{id}`` one after another with a signature computed before
the run (SDK-HMAC-SHA256 with imstui's own signer, dated once: the simulator accepts a date within its skew window,
so the signatures stay valid for a run of a few minutes). An answer counts when it is ``200`` and its body holds the
job id asked for. What this reaches is what the simulator can serve to *some* client on this machine; the poller's
share of it (``benchmarks/poller_bench.py`` prints it) says how much the poller's own stack costs.

    python benchmarks/raw_ceiling.py [--jobs 500] [--duration 6] [--connections 8]

As a module: :func:`measure` (``poller_bench.py`` calls it on its own simulator, in the same run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imstui.api.credentials import Credentials  # noqa: E402
from imstui.api.secret import Secret  # noqa: E402
from imstui.api.signer import HEADER_DATE, HEADER_PROJECT, format_sdk_date, sign  # noqa: E402

JOB_PATH = "/v1/cloudimages/job/{job_id}"


@dataclass(frozen=True)
class CeilingResult:
    checks: int
    errors: int
    seconds: float
    cpu_seconds: float  # this process's CPU over the run (the simulator's is not counted)

    @property
    def per_second(self) -> float:
        return self.checks / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_check(self) -> float:
        return 1000 * self.cpu_seconds / max(self.checks, 1)


def signed_requests(exports: dict[str, str], job_ids: list[str]) -> list[tuple[bytes, bytes]]:
    """``(request bytes, job id bytes)`` per job: the whole GET, headers and signature included, dated now."""
    url = urlsplit(exports["IMSTUI_IMS_ENDPOINT"])
    host = url.netloc
    creds = Credentials(exports["HUAWEICLOUD_SDK_AK"], Secret(exports["HUAWEICLOUD_SDK_SK"]))
    project = exports["HUAWEICLOUD_SDK_PROJECT_ID"]
    date = format_sdk_date(datetime.now(timezone.utc))
    out: list[tuple[bytes, bytes]] = []
    for job_id in job_ids:
        path = JOB_PATH.format(job_id=job_id)
        headers = {"Host": host, HEADER_DATE: date, HEADER_PROJECT: project}
        auth = sign(creds, "GET", path, [], headers, b"")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{HEADER_DATE}: {date}\r\n{HEADER_PROJECT}: {project}\r\n"
            f"Authorization: {auth}\r\nAccept: application/json\r\n\r\n"
        )
        out.append((request.encode("ascii"), job_id.encode("ascii")))
    return out


async def _connection(
    host: str, port: int, requests: list[tuple[bytes, bytes]], start: int, deadline: float, counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = start
    try:
        while time.perf_counter() < deadline:
            request, job_id = requests[index % len(requests)]
            index += 7  # each connection walks the jobs with its own offset
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if status_line[9:12] == b"200" and job_id in body:
                counts[0] += 1
            else:
                counts[1] += 1
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def ameasure(exports: dict[str, str], job_ids: list[str], duration: float, connections: int = 8) -> CeilingResult:
    """Checks per second by ``connections`` raw keep-alive connections for ``duration`` seconds (after 0.5 s of
    warm-up that is not counted)."""
    url = urlsplit(exports["IMSTUI_IMS_ENDPOINT"])
    assert url.hostname is not None and url.port is not None
    requests = signed_requests(exports, job_ids)
    warm = [0, 0]
    await asyncio.gather(
        *(_connection(url.hostname, url.port, requests, i, time.perf_counter() + 0.5, warm) for i in range(connections))
    )
    counts = [0, 0]
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(
        *(_connection(url.hostname, url.port, requests, i * 31, t0 + duration, counts) for i in range(connections))
    )
    return CeilingResult(counts[0], counts[1], time.perf_counter() - t0, time.process_time() - cpu0)


def measure(exports: dict[str, str], job_ids: list[str], duration: float, connections: int = 8) -> CeilingResult:
    return asyncio.run(ameasure(exports, job_ids, duration, connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="one JSON document instead of the lines")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import sim_throughput

    with sim_throughput.start_sim(args.jobs) as sim:
        job_ids = asyncio.run(_create(sim.exports, args.jobs))
        cpu0 = sim_throughput.cpu_seconds(sim.pid)
        result = measure(sim.exports, job_ids, args.duration, args.connections)
        server_cpu = sim_throughput.cpu_seconds(sim.pid) - cpu0
    if args.json:
        print(json.dumps({**result.__dict__, "per_second": result.per_second, "server_cpu_seconds": server_cpu}))
        return
    print(
        f"raw ceiling: {result.per_second:.0f} checks/s ({result.checks} ok, {result.errors} errors in "
        f"{result.seconds:.1f} s, {args.connections} keep-alive connections, {args.jobs} jobs)"
    )
    print(f"client CPU: {result.cpu_ms_per_check:.3f} ms per check; simulator CPU: {server_cpu:.1f} s")


async def _create(exports: dict[str, str], n: int) -> list[str]:
    import httpx
    import sim_throughput

    from imstui.api.signer import SdkHmacAuth

    creds = Credentials(exports["HUAWEICLOUD_SDK_AK"], Secret(exports["HUAWEICLOUD_SDK_SK"]))
    auth = SdkHmacAuth(creds, exports["HUAWEICLOUD_SDK_PROJECT_ID"])
    async with httpx.AsyncClient(base_url=exports["IMSTUI_IMS_ENDPOINT"], auth=auth, timeout=60) as client:
        return list(await sim_throughput.create_jobs(client, n, 16))


if __name__ == "__main__":
    main()
