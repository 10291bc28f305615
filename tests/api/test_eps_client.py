"""EpsClient: domain discovery through IAM, domain-scoped signing, paging by offset, fuzzy name, 403, endpoints."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from imstui.api.client import ImsClient
from imstui.api.credentials import Credentials
from imstui.api.eps import EpsClient
from imstui.api.eps_models import DEFAULT_PROJECT, EnterpriseProject, NoEpsRightsError
from imstui.api.errors import LocalValidationError, ProjectDiscoveryError
from imstui.api.secret import Secret
from imstui.api.service_calls import eps_endpoint
from imstui.sim import controlled_backend
from imstui.sim import eps as sim_eps
from imstui.sim.config import DEMO_DOMAIN_ID
from imstui.sim.demo import DemoBackend


def ims_on(backend: DemoBackend) -> ImsClient:
    return ImsClient(
        credentials=backend.credentials,
        region=backend.region,
        ims_endpoint=backend.ims_endpoint,
        iam_endpoint=backend.iam_endpoint,
        transport=backend.transport,
    )


def ims_with(handler: Callable[[httpx.Request], httpx.Response], region: str = "ap-southeast-1") -> ImsClient:
    return ImsClient(
        credentials=Credentials("AK", Secret("SK")),
        region=region,
        project_id="0b1d2c3e4f5a46b7c8d9e0f1a2b3c4d5",
        transport=httpx.MockTransport(handler),
    )


async def test_discovers_the_domain_and_lists_with_the_domain_scope() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        eps = EpsClient(ims)
        projects = await eps.list_projects()
        assert eps.domain_id == DEMO_DOMAIN_ID
    by_id = {p.id: p for p in projects}
    assert by_id[sim_eps.PROD_WEB_ID].name == "prod-web" and by_id[sim_eps.PROD_WEB_ID].is_enabled
    assert by_id[sim_eps.DISABLED_ID].status_text == "disabled" and not by_id[sim_eps.DISABLED_ID].is_enabled
    hostile = by_id[sim_eps.HOSTILE_ID]
    assert "\x1b" not in hostile.name and "\u202e" not in hostile.name and "[b]x[/b]" in hostile.name


async def test_fuzzy_name_and_status_filters() -> None:
    backend = controlled_backend()
    async with ims_on(backend) as ims:
        eps = EpsClient(ims)
        prod = await eps.list_projects(name="PROD")
        disabled = await eps.list_projects(status=2)
    assert sorted(p.name for p in prod) == ["prod-web", "production-db"]
    assert [p.name for p in disabled] == ["legacy-archive"]


async def test_pages_by_offset_until_the_total_is_reached() -> None:
    backend = controlled_backend()
    for n in range(7):
        backend.state.eps.add(f"team-{n}")
    async with ims_on(backend) as ims:
        pages = [p async for p in EpsClient(ims).iter_pages(limit=5)]
    assert [len(p.projects) for p in pages] == [5, 5, 2]
    assert [p.offset for p in pages] == [0, 5, 10]
    assert len({project.id for page in pages for project in page.projects}) == 12


async def test_forbidden_says_no_eps_rights_and_to_type_the_id() -> None:
    backend = controlled_backend()
    backend.state.eps.denied = True
    async with ims_on(backend) as ims:
        with pytest.raises(NoEpsRightsError) as caught:
            await EpsClient(ims).list_projects()
    assert "no EPS rights" in str(caught.value) and "type the enterprise project id" in str(caught.value)
    assert caught.value.cause.status == 403


async def test_explicit_domain_id_skips_iam_and_is_sent_signed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"enterprise_projects": [], "total_count": 0})

    async with ims_with(handler) as ims:
        await EpsClient(ims, domain_id="abc123").list_page(name="a b", limit=10, offset=20)
    assert len(seen) == 1  # no IAM call
    request = seen[0]
    assert request.url.host == "eps.myhuaweicloud.com"
    assert request.url.query == b"limit=10&name=a%20b&offset=20"
    assert request.headers["X-Domain-Id"] == "abc123"
    assert "X-Project-Id" not in request.headers
    assert "x-domain-id" in request.headers["Authorization"]


async def test_iam_without_a_domain_asks_for_one() -> None:
    async with ims_with(lambda r: httpx.Response(200, json={"domains": []})) as ims:
        with pytest.raises(ProjectDiscoveryError, match="--domain-id"):
            await EpsClient(ims).ensure_domain_id()


async def test_bad_arguments_are_refused_before_sending() -> None:
    async with ims_with(lambda r: httpx.Response(500)) as ims:
        eps = EpsClient(ims, domain_id="d")
        for kwargs in ({"limit": 1001}, {"offset": -1}, {"status": 3}):
            with pytest.raises(LocalValidationError):
                await eps.list_page(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(LocalValidationError):
        EpsClient(ims, domain_id="bad id!")


def test_odd_status_values_read_as_unknown() -> None:
    for status in ("1", True, 7, None):
        project = EnterpriseProject.from_api({"id": "x", "name": "n", "status": status})
        assert project is not None and project.status is None and not project.is_enabled
    assert DEFAULT_PROJECT.is_default and DEFAULT_PROJECT.is_enabled


def test_endpoints_follow_the_sdk_region_table() -> None:
    assert eps_endpoint("ap-southeast-1") == "https://eps.myhuaweicloud.com"
    assert eps_endpoint("cn-north-4") == "https://eps.myhuaweicloud.com"
    assert eps_endpoint("eu-west-101") == "https://eps.eu-west-101.myhuaweicloud.eu"
    assert eps_endpoint("ru-moscow-1") == "https://eps.ru-moscow-1.myhuaweicloud.com"
