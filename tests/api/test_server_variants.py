"""The client against a real IMS, not just our simulator: each fact the reference marks [UNCERTAIN] is tried in
the variant our simulator does not produce (httpx.MockTransport via the scripted FakeIms)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from ims_fake_server import (
    IMAGE_ID,
    JOB_ID,
    PROJECT_ID,
    FakeIms,
    gateway_error,
    image_doc,
    ims_error,
    job_doc,
    make_client,
)

from imstui.api.catalogue import explain
from imstui.api.errors import (
    AuthenticationError,
    ImageNotFoundError,
    ImsServiceError,
    JobNotFoundError,
    ThrottledError,
)
from imstui.api.models import CopyRequest, JobStatus


def raw(status: int, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.Response(status, content=body, headers=headers)


# -- process_percent: 0-1 or 0-100 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("percent", [0.4, 40, "40", 40.0], ids=["fraction", "percent-int", "percent-str", "float"])
async def test_progress_on_either_scale(percent: Any) -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", httpx.Response(200, json=job_doc("RUNNING", entities={"process_percent": percent})))
    async with make_client(fake) as client:
        job = await client.get_job(JOB_ID)
    assert job.progress == pytest.approx(0.4)


# -- page_info: present or absent -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, {"page_info": {"next_marker": IMAGE_ID, "current_count": 1}}, {"page_info": None}],
    ids=["absent", "present", "null"],
)
async def test_image_list_with_or_without_page_info(extra: dict[str, Any]) -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", httpx.Response(200, json={"images": [image_doc()], **extra}))
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
    assert image.id == IMAGE_ID and len(fake.requests) == 1


# -- end_time of a running job: null, absent or empty ---------------------------------------------------------------


@pytest.mark.parametrize("end_time", ["absent", None, ""])
async def test_running_job_end_time_spellings(end_time: Any) -> None:
    doc = job_doc("RUNNING")
    if end_time == "absent":
        del doc["end_time"]
    else:
        doc["end_time"] = end_time
    fake = FakeIms()
    fake.queue("GET", "/job/", httpx.Response(200, json=doc))
    async with make_client(fake) as client:
        job = await client.get_job(JOB_ID)
    assert job.status is JobStatus.RUNNING and job.end_time is None and not job.is_terminal


# -- error shapes: APIG. as well as APIGW., and codes in the "other" shape --------------------------------------------


async def test_dedicated_gateway_route_missing_also_falls_back_to_the_legacy_job_route() -> None:
    fake = FakeIms()
    fake.queue("GET", "/cloudimages/job/", gateway_error(404, "APIG.0101", "The API does not exist"))
    async with make_client(fake) as client:
        job = await client.get_job(JOB_ID)
        assert client.job_route == "legacy"
    assert job.status is JobStatus.SUCCESS
    assert fake.requests[-1].url.path == f"/v1/{PROJECT_ID}/jobs/{JOB_ID}"


async def test_dedicated_gateway_auth_failure_is_explained() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", gateway_error(401, "APIG.0301", "verify aksk signature fail", "rid-1"))
    async with make_client(fake) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_image(IMAGE_ID)
    assert info.value.code == "APIG.0301" and info.value.request_id == "rid-1"
    advice = explain(info.value.code)
    assert advice is not None and "clock" in advice.next_step


async def test_ims_code_in_the_gateway_shape_is_still_an_ims_answer() -> None:
    fake = FakeIms()
    body = {"error_code": "IMG.0027", "error_msg": "The image does not exist.", "request_id": "rid-2"}
    fake.queue("GET", "/v2/cloudimages", httpx.Response(400, json=body))
    async with make_client(fake) as client:
        with pytest.raises(ImageNotFoundError):
            await client.get_image(IMAGE_ID)


async def test_gateway_code_in_the_ims_shape_is_still_throttling() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", httpx.Response(429, json={"error": {"code": "APIGW.0308", "message": "slow down"}}))
    async with make_client(fake) as client:
        with pytest.raises(ThrottledError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert info.value.code == "APIGW.0308" and len(fake.seen("POST")) == 1  # the copy is never retried


async def test_request_id_only_in_the_body() -> None:
    fake = FakeIms()
    body = {"error_code": "APIGW.0302", "error_msg": "not authorized", "request_id": "rid-body"}
    fake.queue("POST", "/copy", httpx.Response(403, json=body))
    async with make_client(fake) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert info.value.request_id == "rid-body"


# -- an unknown job: 404 or 400 (both variants are in test_client.py); and a 403 ----------------------------------


async def test_unknown_job_as_a_400_with_another_not_found_code_keeps_the_ims_code() -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", ims_error(400, "IMG.0017", "The URL format is incorrect."))
    async with make_client(fake) as client:
        with pytest.raises(ImsServiceError) as info:
            await client.get_job(JOB_ID)
    assert info.value.code == "IMG.0017" and not isinstance(info.value, JobNotFoundError)


# -- enterprise_project_id=all_granted_eps: accepted, refused (400/403), or hiding the image ------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        ims_error(400, "IMG.0155", "invalid enterprise project"),
        ims_error(403, "IMG.0026", "The role is invalid."),
        gateway_error(403, "APIGW.0302", "not authorized"),
    ],
    ids=["400", "403-ims", "403-gateway"],
)
async def test_eps_filter_refused_is_dropped(refusal: httpx.Response) -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", refusal)
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
    assert image.id == IMAGE_ID
    assert [r.url.params.get("enterprise_project_id") for r in fake.requests] == ["all_granted_eps", None]


async def test_eps_filter_that_hides_the_image_is_checked_without_it() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", httpx.Response(200, json={"images": []}))
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
        await client.get_image(IMAGE_ID)
    assert image.id == IMAGE_ID
    # The empty answer was not a refusal: the filter stays for the next lookup.
    assert [r.url.params.get("enterprise_project_id") for r in fake.requests] == [
        "all_granted_eps",
        None,
        "all_granted_eps",
    ]


async def test_an_image_missing_both_ways_is_not_found() -> None:
    fake = FakeIms(images={})
    async with make_client(fake) as client:
        with pytest.raises(ImageNotFoundError):
            await client.get_image(IMAGE_ID)
    assert len(fake.requests) == 2


# -- Content-Type spellings and bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "text/plain", None],
)
async def test_json_answers_whatever_their_content_type(content_type: str | None) -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", raw(200, json.dumps(job_doc("RUNNING")).encode(), content_type))
    fake.queue("POST", "/copy", raw(200, b'{"job_id": "abc123"}', content_type))
    async with make_client(fake) as client:
        assert (await client.get_job(JOB_ID)).status is JobStatus.RUNNING
        assert await client.copy_image(IMAGE_ID, CopyRequest(name="copy")) == "abc123"


async def test_a_body_with_a_byte_order_mark_is_read() -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", raw(200, b"\xef\xbb\xbf" + json.dumps(job_doc("SUCCESS")).encode(), "application/json"))
    async with make_client(fake) as client:
        assert (await client.get_job(JOB_ID)).status is JobStatus.SUCCESS


async def test_the_signed_content_type_is_the_one_sent() -> None:
    fake = FakeIms()
    async with make_client(fake) as client:
        await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    (post,) = fake.seen("POST")
    assert post.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert "content-type" in post.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")


# -- int-vs-string fields -------------------------------------------------------------------------------------------


async def test_a_numeric_job_id_from_the_copy_is_still_the_job() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", httpx.Response(200, json={"job_id": 42}))
    async with make_client(fake) as client:
        assert await client.copy_image(IMAGE_ID, CopyRequest(name="copy")) == "42"


async def test_image_numbers_and_flags_in_either_type() -> None:
    fake = FakeIms(
        images={
            IMAGE_ID: image_doc(
                min_disk="40", max_ram=1024, __image_size=4294967296, __whole_image=False, protected="false"
            )
        }
    )
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
    assert (image.min_disk_gb, image.max_ram_mb, image.size_bytes) == (40, 1024, 4294967296)
    assert image.whole_image is False and image.protected is False and not image.is_full_ecs
