"""Copy jobs move INIT -> RUNNING -> SUCCESS/FAIL on the simulator clock; finished jobs are purged."""

from __future__ import annotations

import re

import httpx

from imstui.api.models import Image, Job, JobStatus
from imstui.sim import ScriptedOutcome, controlled_backend, seed
from imstui.sim.demo import DemoBackend

from .conftest import COPY_HEADERS

JOB_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _copy(client: httpx.AsyncClient, image_id: str, **body: str) -> str:
    import json

    payload = json.dumps({"name": "replica-01", **body}).encode()
    response = await client.post(f"/v1/cloudimages/{image_id}/copy", content=payload, headers=COPY_HEADERS)
    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    return str(job_id)


async def _job(client: httpx.AsyncClient, job_id: str, *, legacy: bool = False, project: str = "") -> dict:  # type: ignore[type-arg]
    path = f"/v1/{project}/jobs/{job_id}" if legacy else f"/v1/cloudimages/job/{job_id}"
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_job_goes_init_running_success_and_the_copy_appears(
    backend: DemoBackend, client: httpx.AsyncClient
) -> None:
    job_id = await _copy(client, seed.ELIGIBLE_LINUX_ID, description="nightly replica")
    clock = backend.manual_clock

    first = await _job(client, job_id)
    assert first["status"] == "INIT"
    assert first["job_type"] == "imsCopyImageInRegionJob"
    assert JOB_TIME.match(first["begin_time"]) and first["end_time"] == ""  # as in the one running sample
    assert first["error_code"] is None and first["fail_reason"] is None

    clock.advance(2 + 5)  # INIT 2 s, then a quarter of the 20 s run
    running = await _job(client, job_id)
    assert running["status"] == "RUNNING"
    assert running["entities"]["process_percent"] == 0.25
    clock.advance(10)
    later = await _job(client, job_id, legacy=True, project=backend.project_id)
    assert later["status"] == "RUNNING" and later["entities"]["process_percent"] == 0.75
    assert later["end_time"] == ""

    listed = await client.get("/v2/cloudimages", params={"name": "replica-01"})
    assert listed.json()["images"] == []  # not in the catalogue before SUCCESS

    clock.advance(5)
    done = await _job(client, job_id)
    assert done["status"] == "SUCCESS" and JOB_TIME.match(done["end_time"])
    new_id = done["entities"]["image_id"]
    job = Job.from_api(done)
    assert job.status is JobStatus.SUCCESS and job.new_image_id == new_id

    images = (await client.get("/v2/cloudimages", params={"id": new_id})).json()["images"]
    image = Image.from_api(images[0])
    assert (image.name, image.description, image.status, image.owner) == (
        "replica-01",
        "nightly replica",
        "active",
        backend.project_id,
    )
    assert images[0]["__originalimagename"] == seed.ELIGIBLE_LINUX_ID
    glance = (await client.get(f"/v2/images/{new_id}")).json()
    assert glance["id"] == new_id  # the Glance route returns the image unwrapped


async def test_progress_can_be_reported_in_percent() -> None:
    backend = controlled_backend(progress_scale=100.0)
    async with backend.client() as client:
        job_id = await _copy(client, seed.ELIGIBLE_SMALL_ID)
        backend.manual_clock.advance(2 + 10)
        assert (await _job(client, job_id))["entities"]["process_percent"] == 50.0


async def test_failing_kms_key_fails_mid_copy_with_top_level_error(
    backend: DemoBackend, client: httpx.AsyncClient
) -> None:
    job_id = await _copy(client, seed.ELIGIBLE_LINUX_ID, cmk_id=seed.FAILING_CMK_ID)
    backend.manual_clock.advance(2 + 6)  # 30 % of the run: still running
    assert (await _job(client, job_id))["status"] == "RUNNING"
    backend.manual_clock.advance(4)  # 40 %: the key "is disabled"
    failed = await _job(client, job_id)
    assert failed["status"] == "FAIL"
    assert (failed["error_code"], failed["fail_reason"]) == seed.FAILING_CMK_ERROR
    assert JOB_TIME.match(failed["end_time"])
    assert "image_id" not in failed["entities"]


async def test_internal_failure_is_reported_only_inside_entities(
    backend: DemoBackend, client: httpx.AsyncClient
) -> None:
    job_id = await _copy(client, seed.INTERNAL_FAIL_ID)
    backend.manual_clock.advance(30)
    failed = await _job(client, job_id)
    assert failed["status"] == "FAIL"
    assert failed["error_code"] is None and failed["fail_reason"] is None
    assert (failed["entities"]["error_code"], failed["entities"]["error"]) == seed.INTERNAL_FAIL_ERROR
    job = Job.from_api(failed)
    assert job.error_code == "IMG.0014"


async def test_a_test_can_script_the_next_copy_to_fail(backend: DemoBackend, client: httpx.AsyncClient) -> None:
    backend.state.script_next_copy(ScriptedOutcome("IMG.0061", "Unknown system error.", fail_at=0.1))
    failing = await _copy(client, seed.ELIGIBLE_LINUX_ID)
    ok = await _copy(client, seed.ELIGIBLE_LINUX_ID)
    backend.manual_clock.advance(30)
    assert (await _job(client, failing))["error_code"] == "IMG.0061"
    assert (await _job(client, ok))["status"] == "SUCCESS"


async def test_finished_job_is_purged_and_then_unknown() -> None:
    backend = controlled_backend(instant=True, purge_after=60)
    async with backend.client() as client:
        job_id = await _copy(client, seed.ELIGIBLE_LINUX_ID)
        assert (await _job(client, job_id))["status"] == "SUCCESS"
        backend.manual_clock.advance(59)
        assert (await _job(client, job_id))["status"] == "SUCCESS"
        backend.manual_clock.advance(2)
        for path in (f"/v1/cloudimages/job/{job_id}", f"/v1/{backend.project_id}/jobs/{job_id}"):
            gone = await client.get(path)
            assert gone.status_code == 400
            assert gone.json()["error"] == {"code": "IMG.0023", "message": "An exception occurred during task query."}
        copies = (await client.get("/v2/cloudimages", params={"name": "replica-01"})).json()["images"]
        assert len(copies) == 1  # the image stays; only the job record is gone


async def test_unknown_job_is_the_documented_400_img_0023(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/cloudimages/job/{'a' * 32}")
    assert response.status_code == 400  # the error table's status for IMG.0023, in the IMS shape
    assert response.json() == {"error": {"code": "IMG.0023", "message": "An exception occurred during task query."}}
    assert response.headers["X-Request-Id"]


async def test_instant_jobs_are_finished_at_the_first_poll() -> None:
    backend = controlled_backend(instant=True)
    async with backend.client() as client:
        job_id = await _copy(client, seed.CJK_ID)
        assert (await _job(client, job_id))["status"] == "SUCCESS"


async def test_thousands_of_jobs_are_cheap_to_track() -> None:
    backend = controlled_backend(max_running_jobs=5000, private_image_quota=10_000)
    state = backend.state
    ids = [state.copy_image(seed.ELIGIBLE_LINUX_ID, b'{"name": "bulk"}', backend.project_id) for _ in range(3000)]
    assert len(set(ids)) == 3000 and state.unfinished_jobs == 3000
    backend.manual_clock.advance(25)
    state.settle()
    assert state.unfinished_jobs == 0
    assert state.job_document(ids[-1], backend.project_id)["status"] == "SUCCESS"


async def test_same_seed_gives_same_job_ids() -> None:
    first, second = controlled_backend(seed=3), controlled_backend(seed=3)
    body = b'{"name": "x"}'
    a = [first.state.copy_image(seed.ELIGIBLE_LINUX_ID, body, first.project_id) for _ in range(3)]
    b = [second.state.copy_image(seed.ELIGIBLE_LINUX_ID, body, second.project_id) for _ in range(3)]
    assert a == b
