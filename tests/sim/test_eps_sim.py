"""The simulator's EPS: the official huaweicloudsdkeps client (oracle, GlobalCredentials: X-Domain-Id) lists,
filters and pages enterprise projects against it; project-scoped or unscoped signatures are refused."""

from __future__ import annotations

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkeps.v1 import EpsClient, ListEnterpriseProjectRequest

from imstui.api.signer import SdkHmacAuth
from imstui.sim import eps as sim_eps
from imstui.sim.config import DEMO_AK, DEMO_DOMAIN_ID, DEMO_REGION, DEMO_SK
from imstui.sim.demo import DemoBackend
from imstui.sim.server import RunningSim

from .test_sdk_fidelity import _http_config


def sdk_eps(sim: RunningSim, credentials: GlobalCredentials | None = None) -> EpsClient:
    return (
        EpsClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(credentials or GlobalCredentials(DEMO_AK, DEMO_SK, DEMO_DOMAIN_ID))
        .with_endpoints([sim.url])
        .build()
    )


def test_sdk_lists_enterprise_projects_with_typed_fields(live_sim: RunningSim) -> None:
    response = sdk_eps(live_sim).list_enterprise_project(ListEnterpriseProjectRequest())
    by_id = {p.id: p for p in response.enterprise_projects}
    assert response.total_count == len(by_id) >= 5
    assert (by_id[sim_eps.PROD_WEB_ID].name, by_id[sim_eps.PROD_WEB_ID].status) == ("prod-web", 1)
    assert by_id[sim_eps.DISABLED_ID].status == 2
    assert by_id[sim_eps.HOSTILE_ID].name == sim_eps.HOSTILE_NAME  # served verbatim
    assert by_id[sim_eps.STAGING_ID].updated_at.year == 2024  # the SDK parsed the ISO time


def test_sdk_fuzzy_name_status_and_paging(live_sim: RunningSim) -> None:
    client = sdk_eps(live_sim)
    fuzzy = client.list_enterprise_project(ListEnterpriseProjectRequest(name="prod"))
    assert sorted(p.name for p in fuzzy.enterprise_projects) == ["prod-web", "production-db"]
    disabled = client.list_enterprise_project(ListEnterpriseProjectRequest(status=2))
    assert [p.id for p in disabled.enterprise_projects] == [sim_eps.DISABLED_ID]
    first = client.list_enterprise_project(ListEnterpriseProjectRequest(limit=2, offset=0))
    second = client.list_enterprise_project(ListEnterpriseProjectRequest(limit=2, offset=2))
    assert len(first.enterprise_projects) == len(second.enterprise_projects) == 2
    assert {p.id for p in first.enterprise_projects}.isdisjoint({p.id for p in second.enterprise_projects})
    assert first.total_count == second.total_count


def test_sdk_discovers_the_domain_through_iam_then_lists(live_sim: RunningSim) -> None:
    credentials = GlobalCredentials(DEMO_AK, DEMO_SK).with_iam_endpoint(live_sim.url)
    client = (
        EpsClient.new_builder()
        .with_http_config(_http_config())
        .with_credentials(credentials)
        .with_region(Region(DEMO_REGION, live_sim.url))
        .build()
    )
    response = client.list_enterprise_project(ListEnterpriseProjectRequest(limit=1))
    assert credentials.domain_id == DEMO_DOMAIN_ID
    assert len(response.enterprise_projects) == 1


def test_sdk_out_of_range_limit_is_a_400(live_sim: RunningSim) -> None:
    with pytest.raises(ClientRequestException) as caught:
        sdk_eps(live_sim).list_enterprise_project(ListEnterpriseProjectRequest(limit=1001))
    assert (caught.value.status_code, caught.value.error_code) == (400, "EPS.0002")


async def test_a_project_scoped_or_foreign_domain_signature_is_refused(backend: DemoBackend) -> None:
    url = "/v1.0/enterprise-projects"
    async with backend.client() as project_scoped:  # X-Project-Id, no X-Domain-Id
        refused = await project_scoped.get(url)
    assert refused.status_code == 401 and "X-Domain-Id" in refused.json()["error_msg"]
    foreign = SdkHmacAuth(backend.credentials, domain_id="ffffffffffffffffffffffffffffffff")
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint, auth=foreign) as c:
        assert (await c.get(url)).status_code == 401
    domain = SdkHmacAuth(backend.credentials, domain_id=DEMO_DOMAIN_ID)
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.ims_endpoint, auth=domain) as c:
        assert (await c.get(url)).status_code == 200
        backend.state.eps.denied = True
        denied = await c.get(url)
    assert denied.status_code == 403 and denied.json()["error_code"] == "EPS.0004"
