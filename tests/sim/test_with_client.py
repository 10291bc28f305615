"""imstui's own ImsClient over the in-process demo transport: the contract the console and --demo rely on."""

from __future__ import annotations

import pytest

from imstui.api.client import ImsClient
from imstui.api.errors import ImageNotFoundError, ImsServiceError, JobNotFoundError
from imstui.api.models import CopyRequest, JobStatus
from imstui.sim import controlled_backend, seed
from imstui.sim.demo import DemoBackend


def _client(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


async def test_client_copies_polls_and_copes_with_failures_and_purge() -> None:
    backend = controlled_backend(purge_after=60)
    async with _client(backend) as client:
        assert await client.ensure_project_id() == backend.project_id
        job_id = await client.copy_image(seed.ELIGIBLE_LINUX_ID, CopyRequest("client-copy"))
        assert (await client.get_job(job_id)).status is JobStatus.INIT
        backend.manual_clock.advance(10)
        running = await client.get_job(job_id)
        assert running.status is JobStatus.RUNNING and running.progress == pytest.approx(0.4)
        backend.manual_clock.advance(20)
        done = await client.get_job(job_id)
        assert done.status is JobStatus.SUCCESS
        assert (await client.get_image(done.new_image_id or "")).name == "client-copy"

        failing = await client.copy_image(seed.INTERNAL_FAIL_ID, CopyRequest("client-copy-2"))
        backend.manual_clock.advance(30)
        failed = await client.get_job(failing)
        assert (failed.status, failed.error_code) == (JobStatus.FAIL, "IMG.0014")

        backend.manual_clock.advance(120)
        with pytest.raises(JobNotFoundError):
            await client.get_job(job_id)
        with pytest.raises(ImsServiceError) as refused:
            await client.copy_image(seed.ISO_ID, CopyRequest("iso"))
        assert refused.value.code == "IMG.0167"
        with pytest.raises(ImageNotFoundError):
            await client.get_image("00000000-0000-4000-8000-000000000000")


async def test_client_receives_hostile_text_sanitised() -> None:
    backend = controlled_backend()
    async with _client(backend) as client:
        image = await client.get_image(seed.HOSTILE_ESCAPES_ID)
    assert "\x1b" not in image.name and "\u202e" not in image.name
    assert "\x1b" in seed.HOSTILE_ESCAPES_NAME  # the sim sent it raw; the client removed it


async def test_client_reads_the_quota_and_the_verdict_follows_it() -> None:
    from imstui.core.eligibility import assess, read_quota

    probe = controlled_backend()
    used = probe.state.private_images_used(probe.project_id)
    backend = controlled_backend(private_image_quota=used + 1)
    async with _client(backend) as client:
        quota = await client.get_image_quota()
        assert (quota.used, quota.quota, quota.reached) == (used, used + 1, False)
        image = await client.get_image(seed.ELIGIBLE_LINUX_ID)
        assert assess(image, backend.project_id, await read_quota(client)).ok
        await client.copy_image(seed.ELIGIBLE_LINUX_ID, CopyRequest("last-one"))
        full = await read_quota(client)
        assert full.line == f"private images {used + 1} of {used + 1} used"
        assert [c.key for c in assess(image, backend.project_id, full).blocking] == ["quota"]


@pytest.mark.parametrize(
    ("mode", "expected"), [("forbidden", "HTTP 403 APIGW.0306"), ("missing", "HTTP 404 APIGW.0101")]
)
async def test_a_quota_call_the_cloud_refuses_leaves_the_quota_unknown(mode: str, expected: str) -> None:
    from imstui.core.eligibility import assess, read_quota

    backend = controlled_backend(quota_api=mode)
    async with _client(backend) as client:
        reading = await read_quota(client)
        image = await client.get_image(seed.ELIGIBLE_LINUX_ID)
    assert "quota unknown" in reading.line and expected in reading.line
    assert assess(image, backend.project_id, reading).ok


async def test_client_follows_jobs_written_with_the_prose_statuses_and_the_old_time_format() -> None:
    """The wire variants of the simulator, read by imstui's client: final states are recognised, times parsed."""
    backend = controlled_backend(status_case="lower", time_format="legacy")
    async with _client(backend) as client:
        ok = await client.copy_image(seed.ELIGIBLE_LINUX_ID, CopyRequest("prose-ok"))
        bad = await client.copy_image(seed.INTERNAL_FAIL_ID, CopyRequest("prose-bad"))
        running = await client.get_job(ok)
        assert running.raw_status == "init" and running.status is JobStatus.INIT
        assert running.started_at is not None and running.ended_at is None  # end_time "" is absent
        backend.manual_clock.advance(30)
        done, failed = await client.get_job(ok), await client.get_job(bad)
    assert (done.raw_status, done.status) == ("success", JobStatus.SUCCESS) and done.new_image_id
    assert (failed.raw_status, failed.status) == ("failed", JobStatus.FAIL)
    assert done.started_at is not None and done.ended_at is not None and done.ended_at > done.started_at
