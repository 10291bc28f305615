"""Fakes for the ledger/poller/submit tests: a virtual clock and a scripted ImsApi.

Imported by the test modules through the ``jobkit`` fixture (tests/core/conftest.py), so it works whatever the
pytest import mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from imstui.api.errors import JobNotFoundError
from imstui.api.models import CopyRequest, Image, Job

REGION = "ap-southeast-1"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


class FakeClock:
    """Virtual time: ``sleep`` lets the other tasks run for a few loop turns (so a wake-up that cancels the sleep
    comes first), then moves the clock to the sleep's end and returns."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.epoch = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
        self.sleeps: list[float] = []
        self.idle_turns = 25

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.t - 1000.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        target = self.t + max(0.0, delay)
        for _ in range(self.idle_turns):
            await asyncio.sleep(0)
        self.t = max(self.t, target)


def job(job_id: str, status: str, progress: float | None = None, **extra: Any) -> Job:
    entities: dict[str, Any] = {"image_name": "copy"}
    if progress is not None:
        entities["process_percent"] = progress
    if status == "SUCCESS":
        entities["image_id"] = extra.pop("image_id", f"new-{job_id}")
    doc: dict[str, Any] = {"job_id": job_id, "status": status, "job_type": "imsCopyImageInRegionJob"}
    doc["entities"] = entities
    doc.update(extra)
    return Job.from_api(doc)


Step = Job | BaseException | Callable[[], Job]


class FakeApi:
    """Scripted ``ImsApi`` (the real protocol, ``get_job(job_id, *, retry=True)`` included): each job id has a list
    of answers (a Job, an exception, or a callable); the last one repeats. Records every call with the virtual
    time."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.scripts: dict[str, list[Step]] = {}
        self.calls: list[tuple[float, str]] = []
        self.retry_flags: list[bool] = []
        self.copy_calls: list[tuple[str, CopyRequest]] = []
        self.copy_answer: Step | str = "0123456789abcdef0123456789abcdef"
        self.on_copy: Callable[[], None] | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_turns = 0
        self._region = REGION
        self._project = PROJECT

    @property
    def region(self) -> str:
        return self._region

    @property
    def project_id(self) -> str | None:
        return self._project

    async def ensure_project_id(self) -> str:
        return self._project

    async def get_image(self, image_id: str) -> Image:
        return Image(id=image_id, name="base", status="active")

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        self.copy_calls.append((image_id, request))
        if self.on_copy is not None:
            self.on_copy()
        answer = self.copy_answer
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, str)
        return answer

    def script(self, job_id: str, *steps: Step) -> None:
        self.scripts[job_id] = list(steps)

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        self.retry_flags.append(retry)
        return await self._answer(job_id)

    async def _answer(self, job_id: str) -> Job:
        self.calls.append((self.clock.t if self.clock else 0.0, job_id))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(self.delay_turns):
                await asyncio.sleep(0)
            steps = self.scripts.get(job_id)
            if not steps:
                raise JobNotFoundError(job_id)
            step = steps.pop(0) if len(steps) > 1 else steps[0]
            if isinstance(step, BaseException):
                raise step
            if callable(step):
                return step()
            return step
        finally:
            self.in_flight -= 1

    def calls_for(self, job_id: str) -> list[float]:
        return [t for t, j in self.calls if j == job_id]

    async def aclose(self) -> None:
        return None


class Kit:
    """What the ``jobkit`` fixture hands to tests."""

    FakeClock = FakeClock
    FakeApi = FakeApi
    job = staticmethod(job)
    REGION = REGION
    PROJECT = PROJECT
