"""A small scripted IMS/IAM for httpx.MockTransport: default answers plus queued faults, and a request log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from imstui.api.client import ImsClient
from imstui.api.credentials import Credentials
from imstui.api.retry import RetryPolicy
from imstui.api.secret import Secret

AK = "HPUAFAKEACCESSKEY0001"
SK = "fake-secret-key-do-not-leak-0123456789"
REGION = "ap-southeast-1"
PROJECT_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
IMAGE_ID = "465076de-dc36-4aec-80f5-ef9d8009428f"
NEW_IMAGE_ID = "30e55148-deb9-4923-adb9-91618de16ba0"
JOB_ID = "9a175ac892fa13420193001c2e62205a"
IMS = f"https://ims.{REGION}.myhuaweicloud.com"
IAM = f"https://iam.{REGION}.myhuaweicloud.com"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def credentials() -> Credentials:
    return Credentials(ak=AK, sk=Secret(SK))


def image_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": IMAGE_ID,
        "name": "web01-golden",
        "status": "active",
        "visibility": "private",
        "__imagetype": "private",
        "__os_type": "Linux",
        "__platform": "Ubuntu",
        "__os_version": "Ubuntu 22.04 server 64bit",
        "disk_format": "zvhd2",
        "virtual_env_type": "FusionCompute",
        "min_disk": 40,
        "__image_size": "4294967296",
        "owner": PROJECT_ID,
        "created_at": "2026-01-02T03:04:05Z",
    }
    doc.update(overrides)
    return doc


def job_doc(status: str = "SUCCESS", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "job_id": JOB_ID,
        "job_type": "imsCopyImageInRegionJob",
        "begin_time": "2024-11-06T06:14:27.168Z",
        "end_time": "2024-11-06T06:16:38.446Z" if status in ("SUCCESS", "FAIL") else None,
        "status": status,
        "error_code": None,
        "fail_reason": None,
        "entities": {"image_name": "copy-of-web01", "image_id": NEW_IMAGE_ID} if status == "SUCCESS" else {},
    }
    doc.update(overrides)
    return doc


def ims_error(status: int, code: str, message: str, request_id: str = "req-ims-1") -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers={"X-Request-Id": request_id}
    )


def gateway_error(status: int, code: str, message: str, request_id: str = "req-gw-1", **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error_code": code, "error_msg": message, "request_id": request_id},
        headers={"X-Request-Id": request_id, **headers},
    )


@dataclass
class FakeIms:
    """Default behaviour: one project for the region, one image, copy -> JOB_ID, job -> SUCCESS.

    ``queue(method, path_regex, answer)`` makes the next matching request get ``answer`` (a Response, an exception
    to raise, or a callable); queued answers are used in order before the defaults.
    """

    projects: list[dict[str, Any]] = field(default_factory=lambda: [{"id": PROJECT_ID, "name": REGION}])
    images: dict[str, dict[str, Any]] = field(default_factory=lambda: {IMAGE_ID: image_doc()})
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {JOB_ID: [job_doc("SUCCESS")]})
    legacy_jobs_only: bool = False
    requests: list[httpx.Request] = field(default_factory=list)
    _queued: list[tuple[str, re.Pattern[str], Answer]] = field(default_factory=list)

    def queue(self, method: str, path_regex: str, answer: Answer) -> None:
        self._queued.append((method.upper(), re.compile(path_regex), answer))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def seen(self, method: str, path_regex: str = "") -> list[httpx.Request]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.search(r.url.path)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        for index, (method, pattern, answer) in enumerate(self._queued):
            if method == request.method and pattern.search(request.url.path):
                del self._queued[index]
                if isinstance(answer, Exception):
                    raise answer
                if isinstance(answer, httpx.Response):
                    return answer
                return answer(request)
        return self.default(request)

    def default(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/v3/projects":
            return httpx.Response(200, json={"projects": self.projects, "links": {}})
        if request.method == "GET" and path == "/v2/cloudimages":
            wanted = request.url.params.get("id")
            found = [doc for key, doc in self.images.items() if key == wanted]
            return httpx.Response(200, json={"images": found})
        match = re.fullmatch(r"/v1/cloudimages/([^/]+)/copy", path)
        if request.method == "POST" and match:
            if match.group(1) not in self.images:
                return ims_error(400, "IMG.0027", "The image does not exist.")
            return httpx.Response(200, json={"job_id": JOB_ID})
        match = re.fullmatch(r"/v1/cloudimages/job/([^/]+)", path)
        if request.method == "GET" and match:
            if self.legacy_jobs_only:
                return gateway_error(404, "APIGW.0101", "The API does not exist or has not been published.")
            return self._job(match.group(1))
        match = re.fullmatch(r"/v1/([^/]+)/jobs/([^/]+)", path)
        if request.method == "GET" and match:
            return self._job(match.group(2))
        return gateway_error(404, "APIGW.0101", "The API does not exist or has not been published.")

    def _job(self, job_id: str) -> httpx.Response:
        states = self.jobs.get(job_id)
        if not states:
            return ims_error(404, "IMG.0023", "An exception occurred during task query.")
        doc = states.pop(0) if len(states) > 1 else states[0]
        return httpx.Response(200, json=doc)


class FakeSleep:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fast_retry(sleep: FakeSleep, **kwargs: Any) -> RetryPolicy:
    """The default policy shape with a recorded sleep and deterministic jitter (always the ceiling)."""
    return RetryPolicy(sleep=sleep, random=lambda: 1.0, clock=lambda: 0.0, **kwargs)


def body_json(request: httpx.Request) -> Any:
    return json.loads(request.content.decode("utf-8"))


def make_client(
    fake: FakeIms, sleep: FakeSleep | None = None, *, project_id: str | None = PROJECT_ID, **kw: Any
) -> ImsClient:
    """An :class:`ImsClient` in front of ``fake`` with a recorded sleep (no real waiting on retries)."""
    return ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=project_id,
        transport=fake.transport(),
        retry=fast_retry(sleep or FakeSleep()),
        **kw,
    )
