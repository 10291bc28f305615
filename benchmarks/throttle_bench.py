"""How many requests does the poller send into a 5-minute gateway throttle with 50 outstanding jobs?

The real API gateway answers 429 ``APIGW.0308`` WITHOUT ``Retry-After``, the window only in the message
("policy user over ratelimit,limit:200,time:5 minute"); every rejected request counts against the same limit.
This drives the real ``ImsClient`` (signing, error parsing) and the real ``Poller`` with default settings (those of
``jobs watch`` and the console) in virtual time, against an httpx mock transport that plays the gateway and counts
every request it receives. Two scenarios:

- ``throttled at start``: the account is already over its limit (another tool used it) when polling begins;
- ``throttled mid-run``: the limit is reached 60 s into polling.

Each job finishes 200 s + 4 s x its number after the start. Prints, per scenario: requests received during the
throttle window, requests in all, whether every job reached its final state, and the virtual time it took.
Asserts nothing (target: <= 5 requests during the window).

    python benchmarks/throttle_bench.py [--jobs 50] [--window 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from imstui.api.client import ImsClient  # noqa: E402
from imstui.api.credentials import Credentials  # noqa: E402
from imstui.api.secret import Secret  # noqa: E402
from imstui.core.ledger import Ledger  # noqa: E402
from imstui.core.poller import Poller, VirtualTime  # noqa: E402

REGION = "ap-southeast-1"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ENDPOINT = "http://127.0.0.1:9"  # never contacted: the mock transport answers


class _Body(httpx.AsyncByteStream):
    """A body the client streams (as from a socket), not one already read into memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


def _json(status: int, doc: dict[str, Any]) -> httpx.Response:
    data = json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    return httpx.Response(status, headers=headers, stream=_Body(data))


@dataclass
class Gateway:
    """The fake gateway + IMS: throttles every request in [throttle_from, throttle_from + window)."""

    virtual: VirtualTime
    throttle_from: float
    window: float
    finish: dict[str, float]
    received: list[float] = field(default_factory=list)

    def throttled(self, at: float) -> bool:
        return self.throttle_from <= at < self.throttle_from + self.window

    def handle(self, request: httpx.Request) -> httpx.Response:
        at = self.virtual.elapsed
        self.received.append(at)
        if self.throttled(at):
            minutes = round(self.window / 60)
            body = {
                "error_msg": "The throttling threshold has been reached: policy user over ratelimit,"
                f"limit:200,time:{minutes} minute",
                "error_code": "APIGW.0308",
                "request_id": f"req-{len(self.received)}",
            }
            return _json(429, body)
        job_id = request.url.path.rsplit("/", 1)[-1]
        done = at >= self.finish[job_id]
        entities: dict[str, Any] = {"image_name": "copy", "process_percent": 1.0 if done else 0.5}
        if done:
            entities["image_id"] = f"new-{job_id}"
        doc = {"job_id": job_id, "status": "SUCCESS" if done else "RUNNING", "entities": entities}
        return _json(200, doc)


async def scenario(jobs: int, throttle_from: float, window: float) -> dict[str, Any]:
    poller: Poller | None = None

    async def turns(_delay: float) -> None:
        for _ in range(25):  # let wake-ups and answers come first, then the virtual clock moves by the delay
            await asyncio.sleep(0)
        if poller is not None and virtual.elapsed > 3600:  # an hour of virtual time is plenty: stop a stuck run
            poller.stop()

    virtual = VirtualTime(turns)
    finish = {f"job{i:03d}": 200.0 + 4.0 * i for i in range(jobs)}
    gateway = Gateway(virtual, throttle_from, window, finish)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "jobs.sqlite3")
        for job_id in finish:
            ledger.import_job(job_id, "bench", REGION, PROJECT, at=virtual.now())
        client = ImsClient(
            credentials=Credentials("BENCHAK0123456789", Secret("bench-secret-key-0123456789")),
            region=REGION,
            project_id=PROJECT,
            ims_endpoint=ENDPOINT,
            iam_endpoint=ENDPOINT,
            transport=httpx.MockTransport(gateway.handle),
        )
        try:
            poller = Poller(client, ledger, profile="bench", clock=virtual.clock, sleep=virtual.sleep, now=virtual.now)
            records = await asyncio.wait_for(poller.run_until_done(), timeout=600)
        finally:
            await client.aclose()
            ledger.close()
    during = sum(1 for at in gateway.received if gateway.throttled(at))
    return {
        "during": during,
        "total": len(gateway.received),
        "final": sum(1 for r in records if r.is_terminal),
        "jobs": jobs,
        "elapsed": virtual.elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--window", type=float, default=300.0, help="throttle window, seconds")
    args = parser.parse_args()
    logging.getLogger("imstui").setLevel(logging.ERROR)  # the poller's "throttled" warnings: counted, not shown
    for label, start in (("throttled at start", 0.0), ("throttled mid-run", 60.0)):
        result = asyncio.run(scenario(args.jobs, start, args.window))
        print(
            f"{label:<19} {args.jobs} jobs, {args.window:.0f} s window: "
            f"{result['during']} requests during the window, {result['total']} in all; "
            f"{result['final']}/{result['jobs']} jobs final after {result['elapsed']:.0f} s (virtual)"
        )


if __name__ == "__main__":
    main()
