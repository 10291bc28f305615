"""Small fakes for console tests that do not need the simulator: an in-memory IMS and a connector for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from imstui.api.errors import ImageNotFoundError, ImstuiError, JobNotFoundError
from imstui.api.models import CopyRequest, Image, Job
from imstui.api.quota import ImageQuota
from imstui.core.session import Endpoint, Session

REGION = "ap-southeast-1"
PROJECT = "0123456789abcdef0123456789abcdef"
GOOD_ID = "465076de-dc36-4aec-80f5-ef9d8009428f"
BLOCKED_ID = "0b9d8c7f-1111-4aec-80f5-ef9d8009428f"
HOSTILE_ID = "d3adbeef-2222-4aec-80f5-ef9d8009428f"
HOSTILE_NAME = "[/bad] [@click=app.quit]x[/] [b]bold\x1b]0;HACKED\x07\x1b[2J"
FROZEN = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def image(image_id: str = GOOD_ID, **overrides: Any) -> Image:
    data: dict[str, Any] = {
        "id": image_id,
        "name": "web-base-2026",
        "status": "active",
        "__imagetype": "private",
        "__os_type": "Linux",
        "__os_version": "Ubuntu 22.04 server 64bit",
        "__image_size": str(8 * 1024**3),
        "min_disk": 40,
        "owner": PROJECT,
        "enterprise_project_id": "0",
        "created_at": "2026-01-10T08:00:00Z",
        "updated_at": "2026-01-11T09:30:00Z",
    }
    data.update(overrides)
    return Image.from_api(data)


def default_images() -> dict[str, Image]:
    return {
        GOOD_ID: image(),
        BLOCKED_ID: image(BLOCKED_ID, name="win-2019", __os_type="Windows", __whole_image="true"),
        HOSTILE_ID: image(HOSTILE_ID, name=HOSTILE_NAME),
    }


class FakeApi:
    """An ImsApi in memory. ``copy_gate`` (an Event) holds the copy POST open so tests can press keys meanwhile."""

    def __init__(self, images: dict[str, Image] | None = None) -> None:
        self.images = default_images() if images is None else images
        self.copies: list[tuple[str, CopyRequest]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.copy_error: ImstuiError | None = None
        self.copy_gate: asyncio.Event | None = None
        # What a new job says from its first status check on: (source image id, job id) -> the job document
        # (None: RUNNING at 10 %). Set it where a test or scene must not depend on when the poller first looks.
        self.job_for: Callable[[str, str], dict[str, Any]] | None = None
        self.closed = False
        # The private-image quota the lookup and the copy form show (an error: the quota call fails).
        self.quota: ImageQuota | ImstuiError = ImageQuota(used=3, quota=50)

    @property
    def region(self) -> str:
        return REGION

    @property
    def project_id(self) -> str | None:
        return PROJECT

    async def ensure_project_id(self) -> str:
        return PROJECT

    async def get_image_quota(self) -> ImageQuota:
        if isinstance(self.quota, ImstuiError):
            raise self.quota
        return self.quota

    async def get_image(self, image_id: str) -> Image:
        try:
            return self.images[image_id]
        except KeyError:
            raise ImageNotFoundError(image_id) from None

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        self.copies.append((image_id, request))
        if self.copy_gate is not None:
            await self.copy_gate.wait()
        if self.copy_error is not None:
            raise self.copy_error
        job_id = f"{len(self.copies):032x}"
        if self.job_for is not None:
            self.jobs[job_id] = self.job_for(image_id, job_id)
        else:
            self.jobs[job_id] = {"status": "RUNNING", "job_id": job_id, "entities": {"process_percent": 10}}
        return job_id

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        try:
            return Job.from_api(self.jobs[job_id], job_id=job_id)
        except KeyError:
            raise JobNotFoundError(job_id) from None

    async def aclose(self) -> None:
        self.closed = True


class FakeConnector:
    """Connects a FakeApi with a real Ledger (in tmp) and a real Poller."""

    def __init__(self, tmp: Path, api: FakeApi | None = None, *, demo: bool = True, check_pages: bool = True) -> None:
        self.api = api or FakeApi()
        self.tmp = tmp
        self._demo = demo
        self.check_pages = check_pages  # False: as the profile connector, the pages are checked once connected
        self.session: Session | None = None

    @property
    def demo(self) -> bool:
        return self._demo

    @property
    def profile_store(self) -> None:
        return None

    @property
    def secret_store(self) -> None:
        return None

    async def connect(self, profile: str | None) -> Session:
        from imstui.core.ledger import Ledger
        from imstui.core.poller import Poller, PollSettings

        ledger = Ledger(self.tmp / "jobs.sqlite3", check_pages=self.check_pages)
        settings = PollSettings(first_delay=0.05, initial_interval=0.05, max_interval=0.2, rate_per_second=None)
        poller = Poller(self.api, ledger, profile="test", settings=settings, now=lambda: FROZEN)
        endpoint = Endpoint(REGION, PROJECT, "https://ims.example.test", "https://iam.example.test")
        self.session = Session(
            api=self.api, ledger=ledger, poller=poller, profile="test", endpoint=endpoint, demo=self._demo
        )
        return self.session


async def wait_until(
    pilot: Any, predicate: Callable[[], object], *, timeout: float = 120.0, delay: float = 0.02
) -> None:
    """Let the app run until ``predicate()`` is true; fails the test if it is still false after ``timeout`` seconds
    (a generous wall-clock bound for a loaded machine: the wait ends as soon as the state is reached)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never became true"
        await pilot.pause(delay)
    await pilot.pause()


def demo_app(tmp: Path, *, speed: float = 50.0, size_hint: str = "") -> Any:
    """The console on the in-process simulator (what ``imstui --demo`` runs), with a frozen clock."""
    from imstui.ui.app import ImstuiApp
    from imstui.ui.connectors import DemoConnector

    return ImstuiApp(DemoConnector(speed=speed, ledger_path=tmp / "demo-jobs.sqlite3"), clock=lambda: FROZEN)


def fake_app(tmp: Path, api: FakeApi | None = None) -> Any:
    from imstui.ui.app import ImstuiApp

    return ImstuiApp(FakeConnector(tmp, api), clock=lambda: FROZEN)
