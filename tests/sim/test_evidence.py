"""The simulator answers as the evidence says IMS does: the quota endpoint, IMG.0015 at the quota, IMG.0060 under a
burst of copies, and the wire variants (old time format, lower-case statuses) as options."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from imstui.api.models import Job
from imstui.sim import controlled_backend, seed
from imstui.sim.config import SimConfig
from imstui.sim.demo import DemoBackend
from imstui.sim.jobs import format_legacy_time

from .conftest import COPY_HEADERS

LEGACY_TIME = re.compile(r"^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d:\d{3}$")


async def _copy(client: httpx.AsyncClient, name: str = "replica") -> httpx.Response:
    body = json.dumps({"name": name}).encode()
    return await client.post(f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", content=body, headers=COPY_HEADERS)


async def _quota(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/cloudimages/quota")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _own_private(backend: DemoBackend) -> int:
    return backend.state.private_images_used(backend.project_id)


async def test_quota_endpoint_has_the_documented_shape_and_counts_copies() -> None:
    backend = controlled_backend(private_image_quota=50)
    async with backend.client() as client:
        before = await _quota(client)
        assert list(before) == ["quotas"] and list(before["quotas"]) == ["resources"]
        [resource] = before["quotas"]["resources"]
        assert set(resource) == {"type", "used", "quota", "min", "max"}
        assert resource["type"] == "image" and resource["quota"] == 50
        assert all(isinstance(resource[k], int) for k in ("used", "quota", "min", "max"))
        assert (await _copy(client)).status_code == 200
        after = (await _quota(client))["quotas"]["resources"][0]
    assert after["used"] == resource["used"] + 1


async def test_a_copy_that_would_exceed_the_quota_is_img_0015_and_creates_nothing() -> None:
    probe = controlled_backend()
    backend = controlled_backend(private_image_quota=_own_private(probe) + 1)
    async with backend.client() as client:
        assert (await _copy(client)).status_code == 200
        resource = (await _quota(client))["quotas"]["resources"][0]
        assert resource["used"] == resource["quota"]
        refused = await _copy(client)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "IMG.0015",
        "message": "The number of private images has reached the maximum allowed.",
    }
    assert backend.state.copies_created == 1


@pytest.mark.parametrize(("mode", "status", "code"), [("forbidden", 403, "APIGW.0306"), ("missing", 404, "APIGW.0101")])
async def test_quota_endpoint_can_refuse_like_a_cloud_without_it(mode: str, status: int, code: str) -> None:
    backend = controlled_backend(quota_api=mode)
    async with backend.client() as client:
        response = await client.get("/v1/cloudimages/quota")
        assert (await _copy(client)).status_code == 200  # copies are unaffected
    assert response.status_code == status and response.json()["error_code"] == code


async def test_a_burst_of_copies_meets_flow_control_and_the_window_reopens() -> None:
    backend = controlled_backend(copy_burst=(3, 60.0))
    async with backend.client() as client:
        assert [(await _copy(client)).status_code for _ in range(3)] == [200, 200, 200]
        refused = await _copy(client)
        assert refused.status_code == 400
        assert refused.json()["error"] == {
            "code": "IMG.0060",
            "message": "The number of tasks exceeds the flow control limit.",
        }
        assert backend.state.copies_created == 3  # a definite rejection: nothing was created
        backend.manual_clock.advance(60)
        assert (await _copy(client)).status_code == 200


async def test_without_a_burst_limit_many_copies_are_accepted() -> None:
    backend = controlled_backend(max_running_jobs=500, private_image_quota=1000)
    async with backend.client() as client:
        statuses = {(await _copy(client)).status_code for _ in range(20)}
    assert statuses == {200}


async def test_legacy_time_format_option() -> None:
    backend = controlled_backend(instant=True, time_format="legacy")
    async with backend.client() as client:
        job_id = (await _copy(client)).json()["job_id"]
        doc = (await client.get(f"/v1/cloudimages/job/{job_id}")).json()
    assert LEGACY_TIME.match(doc["begin_time"]) and LEGACY_TIME.match(doc["end_time"])
    assert format_legacy_time(1433441466.586) == "04-Jun-2015 18:11:06:586"  # the old sample's begin_time


async def test_lower_case_status_option_writes_the_prose_spellings() -> None:
    backend = controlled_backend(status_case="lower")
    async with backend.client() as client:
        ok_id = (await _copy(client)).json()["job_id"]
        assert (await client.get(f"/v1/cloudimages/job/{ok_id}")).json()["status"] == "init"
        backend.manual_clock.advance(5)
        assert (await client.get(f"/v1/cloudimages/job/{ok_id}")).json()["status"] == "running"
        backend.manual_clock.advance(30)
        assert (await client.get(f"/v1/cloudimages/job/{ok_id}")).json()["status"] == "success"
        body = json.dumps({"name": "doomed", "cmk_id": seed.FAILING_CMK_ID}).encode()
        bad = await client.post(f"/v1/cloudimages/{seed.ELIGIBLE_LINUX_ID}/copy", content=body, headers=COPY_HEADERS)
        backend.manual_clock.advance(30)
        failed = (await client.get(f"/v1/cloudimages/job/{bad.json()['job_id']}")).json()
    assert failed["status"] == "failed" and failed["error_code"] == seed.FAILING_CMK_ERROR[0]


async def test_default_job_documents_follow_the_samples() -> None:
    backend = controlled_backend()
    async with backend.client() as client:
        job_id = (await _copy(client)).json()["job_id"]
        backend.manual_clock.advance(5)
        running = (await client.get(f"/v1/cloudimages/job/{job_id}")).json()
    assert running["status"] == "RUNNING" and running["end_time"] == ""
    assert 0 < running["entities"]["process_percent"] < 1
    assert Job.from_api(running).job_id == job_id


@pytest.mark.parametrize(
    ("field", "value"),
    [("quota_api", "sometimes"), ("time_format", "rfc"), ("status_case", "title"), ("copy_burst", (0, 1.0))],
)
def test_bad_wire_options_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        SimConfig(**{field: value})  # type: ignore[arg-type]  # a wrong value on purpose
