"""ImsClient against a scripted MockTransport: wire format, retries, the copy's no-retry rule, fallbacks, garbage."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from ims_fake_server import (
    AK,
    IMAGE_ID,
    JOB_ID,
    NEW_IMAGE_ID,
    PROJECT_ID,
    REGION,
    SK,
    FakeIms,
    FakeSleep,
    credentials,
    gateway_error,
    image_doc,
    ims_error,
    job_doc,
    make_client,
)

from imstui import __version__
from imstui.api.client import ImsClient
from imstui.api.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    GatewayError,
    HttpError,
    ImageNotFoundError,
    ImsServiceError,
    JobNotFoundError,
    OutcomeUnknownError,
    ProjectDiscoveryError,
    ProtocolError,
    RequestTimeoutError,
    ThrottledError,
)
from imstui.api.models import CopyRequest, JobStatus

# -- image lookup ---------------------------------------------------------------------------------------------------


async def test_get_image_sends_a_signed_scoped_lookup_and_parses_the_image() -> None:
    fake = FakeIms()
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
    assert image.id == IMAGE_ID and image.name == "web01-golden" and image.size_bytes == 4294967296
    (request,) = fake.requests
    assert request.url.path == "/v2/cloudimages"
    assert dict(request.url.params) == {"id": IMAGE_ID, "enterprise_project_id": "all_granted_eps"}
    assert request.headers["X-Project-Id"] == PROJECT_ID
    assert request.headers["User-Agent"] == f"imstui/{__version__}"
    assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
    auth = request.headers["Authorization"]
    assert auth.startswith(f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=")
    assert "x-project-id" in auth and "x-sdk-date" in auth
    assert SK not in str(request.headers)


async def test_unknown_image_is_image_not_found() -> None:
    fake = FakeIms(images={})
    async with make_client(fake) as client:
        with pytest.raises(ImageNotFoundError) as info:
            await client.get_image(IMAGE_ID)
    assert info.value.image_id == IMAGE_ID


async def test_ims_not_found_code_is_image_not_found() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", ims_error(400, "IMG.0027", "The image does not exist."))
    async with make_client(fake) as client:
        with pytest.raises(ImageNotFoundError):
            await client.get_image(IMAGE_ID)


async def test_lookup_ignores_images_with_another_id() -> None:
    fake = FakeIms()
    other = image_doc(id="11111111-2222-3333-4444-555555555555")
    for _ in range(2):  # with the enterprise-project filter, then without it
        fake.queue("GET", "/v2/cloudimages", httpx.Response(200, json={"images": [other]}))
    async with make_client(fake) as client:
        with pytest.raises(ImageNotFoundError):
            await client.get_image(IMAGE_ID)
    assert len(fake.requests) == 2


async def test_400_on_the_eps_filter_is_retried_without_it_and_remembered() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", ims_error(400, "IMG.0155", "enterprise_project_id all_granted_eps is invalid"))
    async with make_client(fake) as client:
        await client.get_image(IMAGE_ID)
        await client.get_image(IMAGE_ID)
    params = [dict(r.url.params) for r in fake.requests]
    assert params[0].get("enterprise_project_id") == "all_granted_eps"
    assert "enterprise_project_id" not in params[1]
    assert "enterprise_project_id" not in params[2]  # remembered: no second 400 round trip


async def test_a_400_that_was_not_about_the_filter_is_raised_and_the_filter_kept() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", ims_error(400, "IMG.0001", "bad request"))
    fake.queue("GET", "/v2/cloudimages", ims_error(400, "IMG.0001", "bad request", request_id="req-2"))
    async with make_client(fake) as client:
        with pytest.raises(ImsServiceError) as info:
            await client.get_image(IMAGE_ID)
        assert info.value.request_id == "req-2"
        await client.get_image(IMAGE_ID)
    assert dict(fake.requests[-1].url.params).get("enterprise_project_id") == "all_granted_eps"


# -- retries of GETs -----------------------------------------------------------------------------------------------


async def test_get_is_retried_on_503_then_succeeds() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", httpx.Response(503, text="<html>busy</html>"))
    fake.queue("GET", "/v2/cloudimages", gateway_error(500, "APIGW.0103", "backend unavailable"))
    sleep = FakeSleep()
    async with make_client(fake, sleep) as client:
        image = await client.get_image(IMAGE_ID)
    assert image.id == IMAGE_ID
    assert len(fake.requests) == 3
    assert sleep.calls == [0.5, 1.0]  # full jitter with random()=1.0: the exponential ceiling


async def test_get_honours_retry_after_on_429() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", gateway_error(429, "APIGW.0308", "throttled", **{"Retry-After": "3"}))
    sleep = FakeSleep()
    async with make_client(fake, sleep) as client:
        await client.get_image(IMAGE_ID)
    assert sleep.calls == [3.0]


async def test_get_gives_up_after_max_attempts_with_the_last_error() -> None:
    fake = FakeIms()
    for _ in range(4):
        fake.queue("GET", "/v2/cloudimages", gateway_error(429, "APIGW.0308", "throttled", request_id="rid-429"))
    sleep = FakeSleep()
    async with make_client(fake, sleep) as client:
        with pytest.raises(ThrottledError) as info:
            await client.get_image(IMAGE_ID)
    assert info.value.request_id == "rid-429"
    assert len(fake.requests) == 4 and len(sleep.calls) == 3


async def test_get_is_retried_on_connection_errors_and_timeouts() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", httpx.ConnectError("connection refused"))
    fake.queue("GET", "/v2/cloudimages", httpx.ReadTimeout("read timed out"))
    async with make_client(fake) as client:
        assert (await client.get_image(IMAGE_ID)).id == IMAGE_ID
    assert len(fake.requests) == 3


async def test_persistent_timeouts_become_request_timeout_error() -> None:
    fake = FakeIms()
    for _ in range(4):
        fake.queue("GET", "/v2/cloudimages", httpx.ReadTimeout("read timed out"))
    async with make_client(fake) as client:
        with pytest.raises(RequestTimeoutError):
            await client.get_image(IMAGE_ID)


async def test_4xx_other_than_429_is_not_retried() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v2/cloudimages", gateway_error(401, "APIGW.0301", "verify aksk signature fail"))
    async with make_client(fake) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_image(IMAGE_ID)
    assert len(fake.requests) == 1
    assert info.value.code == "APIGW.0301" and info.value.request_id == "req-gw-1"


# -- the copy POST -------------------------------------------------------------------------------------------------


async def test_copy_sends_exact_json_bytes_and_returns_the_job_id() -> None:
    fake = FakeIms()
    request = CopyRequest(name="copy-of-web01 副本", description="replica")
    async with make_client(fake) as client:
        job_id = await client.copy_image(IMAGE_ID, request)
    assert job_id == JOB_ID
    (post,) = fake.seen("POST")
    assert post.url.path == f"/v1/cloudimages/{IMAGE_ID}/copy"
    expected = json.dumps({"name": "copy-of-web01 副本", "description": "replica"}, ensure_ascii=False).encode()
    assert post.content == expected
    assert post.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert post.headers["X-Project-Id"] == PROJECT_ID
    signed = post.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "content-type;host;user-agent;x-project-id;x-sdk-date"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("write timed out"),
        httpx.WriteError("broken pipe"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_copy_is_never_retried_when_it_may_have_been_sent(failure: Exception) -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", failure)
    async with make_client(fake) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert len(fake.seen("POST")) == 1
    assert "outcome unknown" in str(info.value) and "jobs list" in str(info.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out"), httpx.PoolTimeout("pool")],
    ids=lambda e: type(e).__name__,
)
async def test_copy_not_sent_is_a_connect_error_and_not_retried(failure: Exception) -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", failure)
    async with make_client(fake) as client:
        with pytest.raises(ConnectError):
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert len(fake.seen("POST")) == 1


async def test_copy_server_errors_are_not_retried() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", ims_error(503, "IMG.0061", "Unknown system error."))
    sleep = FakeSleep()
    async with make_client(fake, sleep) as client:
        with pytest.raises(ImsServiceError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert info.value.code == "IMG.0061"
    assert len(fake.seen("POST")) == 1 and sleep.calls == []


async def test_copy_gateway_timeout_means_outcome_unknown() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", httpx.Response(504, text="<html><h1>504 Gateway Time-out</h1></html>"))
    async with make_client(fake) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert "504" in str(info.value)
    assert len(fake.seen("POST")) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(503, text=""),
        httpx.Response(500, text="<html>Internal Server Error</html>"),
        httpx.Response(503, json={"error_code": "APIGW.0103", "error_msg": "backend unavailable"}),
    ],
)
async def test_a_copy_5xx_that_is_not_ims_own_answer_is_outcome_unknown(answer: httpx.Response) -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", answer)
    async with make_client(fake) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert str(answer.status_code) in str(info.value) and "outcome unknown" in str(info.value)
    assert len(fake.seen("POST")) == 1


async def test_copy_validation_error_from_ims_keeps_code_and_request_id() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", ims_error(400, "IMG.0003", "The image name format is invalid.", "rid-77"))
    async with make_client(fake) as client:
        with pytest.raises(ImsServiceError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert (info.value.status, info.value.code, info.value.request_id) == (400, "IMG.0003", "rid-77")
    assert "IMG.0003" in str(info.value) and "rid-77" in str(info.value)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={}),
        httpx.Response(200, json={"job_id": ""}),
        httpx.Response(200, json={"job_id": True}),
        httpx.Response(200, json=["job"]),
        httpx.Response(200, text="<html>welcome to the proxy</html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, text='{"job_id": "abc'),
        httpx.Response(200, content=b""),
    ],
    ids=["no-job-id", "empty-job-id", "boolean-job-id", "array", "html", "truncated", "empty"],
)
async def test_copy_answer_without_a_usable_job_id_is_a_protocol_error(response: httpx.Response) -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", response)
    async with make_client(fake) as client:
        with pytest.raises(ProtocolError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert "jobs list" in str(info.value)


async def test_protocol_error_names_the_body() -> None:
    fake = FakeIms()
    fake.queue("POST", "/copy", httpx.Response(200, json={"jobid": "typo"}, headers={"X-Request-Id": "r9"}))
    async with make_client(fake) as client:
        with pytest.raises(ProtocolError) as info:
            await client.copy_image(IMAGE_ID, CopyRequest(name="copy"))
    assert '"jobid"' in str(info.value) and info.value.request_id == "r9"


# -- jobs ----------------------------------------------------------------------------------------------------------


async def test_job_status_uses_the_progress_route_first() -> None:
    fake = FakeIms()
    async with make_client(fake) as client:
        job = await client.get_job(JOB_ID)
        assert client.job_route == "progress"
    assert job.status is JobStatus.SUCCESS and job.new_image_id == NEW_IMAGE_ID
    assert [r.url.path for r in fake.requests] == [f"/v1/cloudimages/job/{JOB_ID}"]


async def test_job_status_falls_back_to_the_legacy_route_and_remembers() -> None:
    fake = FakeIms(legacy_jobs_only=True)
    async with make_client(fake) as client:
        first = await client.get_job(JOB_ID)
        second = await client.get_job(JOB_ID)
    assert first.status is second.status is JobStatus.SUCCESS
    assert [r.url.path for r in fake.requests] == [
        f"/v1/cloudimages/job/{JOB_ID}",
        f"/v1/{PROJECT_ID}/jobs/{JOB_ID}",
        f"/v1/{PROJECT_ID}/jobs/{JOB_ID}",
    ]


@pytest.mark.parametrize(
    "answer",
    [
        ims_error(404, "IMG.0023", "An exception occurred during task query."),
        ims_error(400, "IMG.0023", "An exception occurred during task query."),
        httpx.Response(404, text="Not Found"),
    ],
    ids=["404-IMG.0023", "400-IMG.0023", "404-plain"],
)
async def test_unknown_job_is_job_not_found(answer: httpx.Response) -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", answer)
    async with make_client(fake) as client:
        with pytest.raises(JobNotFoundError) as info:
            await client.get_job("ff8080814dbd65d7014dbe0d84db0013")
    assert info.value.job_id == "ff8080814dbd65d7014dbe0d84db0013"
    assert len(fake.requests) == 1  # not a route problem: no fallback


async def test_job_on_a_host_without_either_route_is_a_gateway_error() -> None:
    fake = FakeIms(legacy_jobs_only=True)
    fake.queue("GET", "/jobs/", gateway_error(404, "APIGW.0101", "The API does not exist"))
    async with make_client(fake) as client:
        with pytest.raises(GatewayError) as info:
            await client.get_job(JOB_ID)
    assert info.value.code == "APIGW.0101"


@pytest.mark.parametrize(
    "body",
    [{"job_id": JOB_ID}, {"status": None}, {"status": ""}, {"status": 3}],
    ids=["missing", "null", "empty", "number"],
)
async def test_job_without_status_is_a_protocol_error(body: dict[str, Any]) -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", httpx.Response(200, json=body))
    async with make_client(fake) as client:
        with pytest.raises(ProtocolError) as info:
            await client.get_job(JOB_ID)
    assert "status" in str(info.value)


async def test_job_with_odd_field_types_still_parses() -> None:
    fake = FakeIms()
    weird = job_doc("RUNNING", entities={"process_percent": "40", "sub_jobs_result": 7}, error_code=["x"])
    fake.queue("GET", "/job/", httpx.Response(200, json=weird))
    async with make_client(fake) as client:
        job = await client.get_job(JOB_ID)
    assert job.status is JobStatus.RUNNING and job.progress == 0.4 and job.sub_jobs == () and job.error_code is None


async def test_job_without_retry_makes_one_attempt() -> None:
    fake = FakeIms()
    fake.queue("GET", "/job/", httpx.Response(503, text=""))
    sleep = FakeSleep()
    async with make_client(fake, sleep) as client:
        with pytest.raises(HttpError) as info:
            await client.get_job(JOB_ID, retry=False)
    assert info.value.code == "503" and len(fake.requests) == 1 and sleep.calls == []


# -- project discovery ---------------------------------------------------------------------------------------------


async def test_project_id_is_discovered_once_from_the_region() -> None:
    fake = FakeIms()
    async with make_client(fake, project_id=None) as client:
        assert client.project_id is None
        await asyncio.gather(client.get_image(IMAGE_ID), client.get_job(JOB_ID))
        assert client.project_id == PROJECT_ID
    iam = fake.seen("GET", "^/v3/projects$")
    assert len(iam) == 1
    assert iam[0].url.host == f"iam.{REGION}.myhuaweicloud.com"
    assert dict(iam[0].url.params) == {"name": REGION}
    assert "X-Project-Id" not in iam[0].headers and "Content-Type" not in iam[0].headers
    assert all(r.headers["X-Project-Id"] == PROJECT_ID for r in fake.requests if r.url.path != "/v3/projects")


async def test_no_project_for_the_region_asks_for_an_explicit_id() -> None:
    fake = FakeIms(projects=[])
    async with make_client(fake, project_id=None) as client:
        with pytest.raises(ProjectDiscoveryError) as info:
            await client.get_image(IMAGE_ID)
    assert "--project-id" in str(info.value) and "HUAWEICLOUD_SDK_PROJECT_ID" in str(info.value)
    assert fake.seen("GET", "cloudimages") == []


async def test_several_projects_for_the_region_asks_to_choose() -> None:
    ids = ["11111111111111111111111111111111", "22222222222222222222222222222222"]
    fake = FakeIms(projects=[{"id": i, "name": REGION} for i in ids])
    async with make_client(fake, project_id=None) as client:
        with pytest.raises(ProjectDiscoveryError) as info:
            await client.ensure_project_id()
    assert ids[0] in str(info.value) and ids[1] in str(info.value) and "--project-id" in str(info.value)


async def test_garbage_project_list_is_a_protocol_error() -> None:
    fake = FakeIms()
    fake.queue("GET", "/v3/projects", httpx.Response(200, text="<html>login</html>"))
    async with make_client(fake, project_id=None) as client:
        with pytest.raises(ProtocolError):
            await client.ensure_project_id()


# -- endpoints, environment, hostile text --------------------------------------------------------------------------


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        ImsClient(credentials=credentials(), region=REGION, ims_endpoint="http://ims.example.com")
    with pytest.raises(ConfigurationError, match="plain http"):
        ImsClient(credentials=credentials(), region=REGION, iam_endpoint="http://10.0.0.1:8080")


async def test_plain_http_to_loopback_is_allowed_and_used() -> None:
    fake = FakeIms()
    client = ImsClient(
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        ims_endpoint="http://127.0.0.1:8443",
        transport=fake.transport(),
    )
    async with client:
        await client.get_job(JOB_ID)
    assert str(fake.requests[0].url).startswith("http://127.0.0.1:8443/v1/cloudimages/job/")


async def test_hostile_server_strings_are_sanitised() -> None:
    fake = FakeIms(images={IMAGE_ID: image_doc(name="evil\x1b]52;c;cm0gLXJmIC8=\x07\x1b[2Jname\u202e")})
    fake.queue("GET", "/job/", ims_error(400, "IMG.0061", "boom\x1b[31m red \x9b1m" + "x" * 5000))
    async with make_client(fake) as client:
        image = await client.get_image(IMAGE_ID)
        with pytest.raises(ImsServiceError) as info:
            await client.get_job(JOB_ID)
    assert image.name == "evilname"
    message = str(info.value)
    assert "\x1b" not in message and "\x9b" not in message and len(message) < 700


def test_client_repr_never_shows_the_secret_key() -> None:
    client = ImsClient(credentials=credentials(), region=REGION, project_id=PROJECT_ID, transport=FakeIms().transport())
    assert SK not in repr(client)
    asyncio.run(client.aclose())


async def test_a_security_token_is_sent_signed() -> None:
    fake = FakeIms()
    client = ImsClient(
        credentials=credentials().__class__(ak=AK, sk=SK, security_token="tok-123"),
        region=REGION,
        project_id=PROJECT_ID,
        transport=fake.transport(),
    )
    async with client:
        await client.get_job(JOB_ID)
    request = fake.requests[0]
    assert request.headers["X-Security-Token"] == "tok-123"
    assert "x-security-token" in request.headers["Authorization"]


def test_bad_project_id_is_refused_before_sending() -> None:
    with pytest.raises(ConfigurationError):
        ImsClient(credentials=credentials(), region=REGION, project_id="abc\r\nX-Evil: 1")
