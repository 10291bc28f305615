"""The official Huawei Cloud SDK (test oracle only) talks to the simulator over loopback: its real signatures
pass the sim's verifier and its models come back populated from the sim's wire format."""

from __future__ import annotations

import warnings

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkiam.v3 import IamClient, KeystoneListProjectsRequest
from huaweicloudsdkims.v2 import (
    CopyImageInRegionRequest,
    CopyImageInRegionRequestBody,
    ImsClient,
    ListImagesRequest,
    ShowImageQuotaRequest,
    ShowJobProgressRequest,
    ShowJobRequest,
)

from imstui.sim import ManualClock, seed
from imstui.sim.config import DEMO_AK, DEMO_DOMAIN_ID, DEMO_PROJECT_ID, DEMO_REGION, DEMO_SK
from imstui.sim.server import RunningSim


def _http_config() -> HttpConfig:
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.retry_times = 0
    config.timeout = (5, 10)
    return config


def ims_client(sim: RunningSim, credentials: BasicCredentials | None = None) -> ImsClient:
    creds = credentials or BasicCredentials(DEMO_AK, DEMO_SK, DEMO_PROJECT_ID)
    return (
        ImsClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(creds)
        .with_endpoints([sim.url])
        .build()
    )


def test_sdk_list_images_gets_typed_image_models(live_sim: RunningSim) -> None:
    response = ims_client(live_sim).list_images(
        ListImagesRequest(id=seed.ELIGIBLE_LINUX_ID, enterprise_project_id="all_granted_eps")
    )
    assert len(response.images) == 1
    image = response.images[0]
    assert image.id == seed.ELIGIBLE_LINUX_ID
    assert image.name == "web-server-ubuntu22"
    assert image.min_disk == 40
    assert image.max_ram == ""
    assert image.image_size.isdigit()
    assert image.isregistered == "true"
    assert image.imagetype == "private"
    assert image.owner == DEMO_PROJECT_ID


def test_sdk_list_images_paging_with_marker_and_filters(live_sim: RunningSim) -> None:
    client = ims_client(live_sim)
    first = client.list_images(ListImagesRequest(imagetype="private", limit=3))
    assert len(first.images) == 3
    second = client.list_images(ListImagesRequest(imagetype="private", limit=3, marker=first.images[-1].id))
    assert {i.id for i in first.images}.isdisjoint({i.id for i in second.images})
    unknown = client.list_images(ListImagesRequest(id="00000000-0000-4000-8000-000000000000"))
    assert unknown.images == []


def test_sdk_copy_then_show_job_and_progress(live_sim: RunningSim, live_clock: ManualClock) -> None:
    client = ims_client(live_sim)
    body = CopyImageInRegionRequestBody(name="sdk-copy-01", description="made by the SDK")
    job_id = client.copy_image_in_region(CopyImageInRegionRequest(image_id=seed.ELIGIBLE_LINUX_ID, body=body)).job_id
    assert len(job_id) == 32 and int(job_id, 16) >= 0

    live_clock.advance(6)  # INIT 1 s + half of the 10 s run
    progress = client.show_job_progress(ShowJobProgressRequest(job_id=job_id))
    assert progress.status == "RUNNING"
    assert progress.job_type == "imsCopyImageInRegionJob"
    assert progress.end_time == ""  # a running job's end_time, as in the documented sample
    assert progress.entities.process_percent == pytest.approx(0.5)

    live_clock.advance(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ShowJob is deprecated in the SDK, still live
        job = client.show_job(ShowJobRequest(job_id=job_id))
    assert job.status == "SUCCESS"
    assert job.error_code is None and job.fail_reason is None
    assert job.entities.image_name == "sdk-copy-01"
    new_id = job.entities.image_id
    assert job.end_time.endswith("Z") and len(job.end_time) == len("2024-11-06T06:14:27.168Z")

    copy = client.list_images(ListImagesRequest(id=new_id)).images[0]
    assert (copy.name, copy.description, copy.status, copy.owner) == (
        "sdk-copy-01",
        "made by the SDK",
        "active",
        DEMO_PROJECT_ID,
    )


def test_sdk_copy_in_safe_mode(live_sim: RunningSim) -> None:
    from huaweicloudsdkims.v2 import CopyImageInRegionInSafeModeRequest

    client = ims_client(live_sim)
    body = CopyImageInRegionRequestBody(name="sdk-safe-copy")
    response = client.copy_image_in_region_in_safe_mode(
        CopyImageInRegionInSafeModeRequest(image_id=seed.ELIGIBLE_SMALL_ID, body=body)
    )
    assert len(response.job_id) == 32


def test_sdk_sees_ims_error_shape_for_refused_copy(live_sim: RunningSim) -> None:
    client = ims_client(live_sim)
    body = CopyImageInRegionRequestBody(name="iso-copy")
    with pytest.raises(ClientRequestException) as caught:
        client.copy_image_in_region(CopyImageInRegionRequest(image_id=seed.ISO_ID, body=body))
    assert (caught.value.status_code, caught.value.error_code) == (400, "IMG.0167")
    assert caught.value.request_id


def test_sdk_wrong_secret_key_is_rejected_by_the_gateway(live_sim: RunningSim) -> None:
    client = ims_client(live_sim, BasicCredentials(DEMO_AK, "not-the-secret-key", DEMO_PROJECT_ID))
    with pytest.raises(ClientRequestException) as caught:
        client.list_images(ListImagesRequest(limit=1))
    assert (caught.value.status_code, caught.value.error_code) == (401, "APIGW.0301")


def test_sdk_iam_keystone_list_projects(live_sim: RunningSim) -> None:
    client = (
        IamClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(GlobalCredentials(DEMO_AK, DEMO_SK, DEMO_DOMAIN_ID))
        .with_endpoints([live_sim.url])
        .build()
    )
    response = client.keystone_list_projects(KeystoneListProjectsRequest(name=DEMO_REGION))
    assert [(p.id, p.name, p.enabled) for p in response.projects] == [(DEMO_PROJECT_ID, DEMO_REGION, True)]
    assert response.projects[0].domain_id == DEMO_DOMAIN_ID


def test_sdk_global_credentials_discover_the_domain(live_sim: RunningSim) -> None:
    credentials = GlobalCredentials(DEMO_AK, DEMO_SK).with_iam_endpoint(live_sim.url)
    client = (
        IamClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(credentials)
        .with_region(Region(DEMO_REGION, live_sim.url))
        .build()
    )
    response = client.keystone_list_projects(KeystoneListProjectsRequest(name="no-such-region"))
    assert response.projects == []
    assert credentials.domain_id == DEMO_DOMAIN_ID


def test_sdk_basic_credentials_discover_the_project_from_the_region(live_sim: RunningSim) -> None:
    credentials = BasicCredentials(DEMO_AK, DEMO_SK).with_iam_endpoint(live_sim.url)
    client = (
        ImsClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(credentials)
        .with_region(Region(DEMO_REGION, live_sim.url))
        .build()
    )
    response = client.list_images(ListImagesRequest(id=seed.CJK_ID))
    assert credentials.project_id == DEMO_PROJECT_ID
    assert response.images[0].name == seed.CJK_NAME


def test_sdk_show_image_quota_reads_the_private_image_quota(live_sim: RunningSim) -> None:
    client = ims_client(live_sim)
    before = client.show_image_quota(ShowImageQuotaRequest())
    [resource] = before.quotas.resources
    assert (resource.type, resource.quota, resource.min) == ("image", live_sim.state.config.private_image_quota, 1)
    assert resource.used == live_sim.state.private_images_used(DEMO_PROJECT_ID) and resource.max >= resource.quota
    body = CopyImageInRegionRequestBody(name="sdk-quota-copy")
    client.copy_image_in_region(CopyImageInRegionRequest(image_id=seed.ELIGIBLE_SMALL_ID, body=body))
    after = client.show_image_quota(ShowImageQuotaRequest()).quotas.resources[0]
    assert after.used == resource.used + 1  # a copy in flight counts: it will be an image


def test_sdk_sees_an_unknown_job_as_the_documented_img_0023(live_sim: RunningSim) -> None:
    with pytest.raises(ClientRequestException) as caught:
        ims_client(live_sim).show_job_progress(ShowJobProgressRequest(job_id="a" * 32))
    assert (caught.value.status_code, caught.value.error_code) == (400, "IMG.0023")
    assert caught.value.error_msg == "An exception occurred during task query."
