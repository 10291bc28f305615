"""Enterprise projects: ``GET /v1.0/enterprise-projects`` on the global EPS endpoint, domain-scoped.

Wire format (``kms-eps-tags.md`` §2, ``huaweicloudsdkeps/v1``): query ``id``, ``name`` (fuzzy), ``status`` (1
enabled, 2 disabled), ``limit`` (1-1000) and ``offset``; answer ``{"enterprise_projects": [{"id", "name",
"description", "status", "created_at", "updated_at", "type"}], "total_count"}``. EPS is a global service: requests
carry ``X-Domain-Id`` (the account id), not ``X-Project-Id``, like the SDK's ``GlobalCredentials``. The domain id is
given, or found as the SDK finds it: IAM ``GET /v3/auth/domains`` -> ``domains[0].id``. The default project ``"0"``
may or may not be listed [UNCERTAIN]; :data:`DEFAULT_PROJECT` is always offered by the callers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from imstui.api import service_calls
from imstui.api.client import ImsClient
from imstui.api.eps_models import (
    DISABLED,
    ENABLED,
    MAX_PAGE_SIZE,
    MAX_PAGES,
    EnterpriseProject,
    NoEpsRightsError,
    ProjectPage,
    check_domain_id,
    text_of,
)
from imstui.api.error_parsing import clean, request_id_of
from imstui.api.errors import ApiError, LocalValidationError, ProjectDiscoveryError, ProtocolError


class EpsClient:
    """EPS calls over an :class:`ImsClient`'s connection and credentials, signed with the domain scope."""

    def __init__(self, ims: ImsClient, endpoint: str | None = None, domain_id: str | None = None) -> None:
        self._ims = ims
        self._endpoint = service_calls.service_endpoint(ims, endpoint, service_calls.eps_endpoint(ims.region))
        self._domain_id = check_domain_id(domain_id)
        self._lock = asyncio.Lock()

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def domain_id(self) -> str | None:
        return self._domain_id

    async def ensure_domain_id(self) -> str:
        if self._domain_id:
            return self._domain_id
        async with self._lock:
            if not self._domain_id:
                self._domain_id = await self.discover_domain_id()
        return self._domain_id

    async def discover_domain_id(self) -> str:
        """IAM ``GET /v3/auth/domains`` (what GlobalCredentials does): the first domain's id."""
        url = f"{self._ims.iam_endpoint}/v3/auth/domains"
        response = await service_calls.call(
            self._ims,
            "GET",
            url,
            auth=service_calls.domain_auth(self._ims, None),
            what="the IAM domain list",
            json_content_type=False,
        )
        data = service_calls.json_object(response, "the IAM domain list")
        domains = data.get("domains")
        first = domains[0] if isinstance(domains, list) and domains and isinstance(domains[0], dict) else {}
        domain_id = text_of(first, "id", 64)
        if not domain_id:
            raise ProjectDiscoveryError(
                "IAM returned no account (domain) id for this access key; pass --domain-id or set IMSTUI_DOMAIN_ID"
            )
        try:
            checked = check_domain_id(domain_id)
        except LocalValidationError:
            checked = None
        if checked is None:
            raise ProtocolError(
                f"IAM returned an unusable domain id: {clean(domain_id, 80)!r}", request_id_of(response)
            )
        return checked

    async def list_page(
        self,
        *,
        name: str | None = None,
        status: int | None = None,
        project_id: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
    ) -> ProjectPage:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise LocalValidationError("limit", "limit.range", f"a page holds 1 to {MAX_PAGE_SIZE} projects")
        if offset < 0:
            raise LocalValidationError("offset", "offset.range", "the offset cannot be negative")
        if status is not None and status not in (ENABLED, DISABLED):
            raise LocalValidationError("status", "status.choice", "status is 1 (enabled) or 2 (disabled)")
        params = {"limit": str(limit), "offset": str(offset)}
        if name:
            params["name"] = name
        if status is not None:
            params["status"] = str(status)
        if project_id:
            params["id"] = project_id
        domain_id = await self.ensure_domain_id()
        try:
            response = await service_calls.call(
                self._ims,
                "GET",
                f"{self._endpoint}/v1.0/enterprise-projects",
                params=params,
                auth=service_calls.domain_auth(self._ims, domain_id),
                what="the enterprise project list",
            )
        except ApiError as error:
            if error.status == 403:
                raise NoEpsRightsError(error) from None
            raise
        data = service_calls.json_object(response, "the enterprise project list")
        items = data.get("enterprise_projects")
        if not isinstance(items, list):
            raise ProtocolError(
                f"the enterprise project list has no 'enterprise_projects' list: {clean(data, 200)}",
                request_id_of(response),
            )
        projects = tuple(p for p in (EnterpriseProject.from_api(i) for i in items if isinstance(i, dict)) if p)
        total = data.get("total_count")
        total = total if isinstance(total, int) and not isinstance(total, bool) and 0 <= total < 10**9 else None
        return ProjectPage(projects, total, offset)

    async def iter_pages(
        self,
        *,
        name: str | None = None,
        status: int | None = None,
        project_id: str | None = None,
        limit: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[ProjectPage]:
        """Page by ``offset`` until a short page, an empty page, or ``total_count`` is reached."""
        offset = 0
        for _ in range(MAX_PAGES):
            page = await self.list_page(name=name, status=status, project_id=project_id, limit=limit, offset=offset)
            yield page
            offset += len(page.projects)
            if len(page.projects) < limit or (page.total_count is not None and offset >= page.total_count):
                return
        raise ProtocolError(f"the enterprise project list did not end after {MAX_PAGES} pages")

    async def list_projects(
        self, *, name: str | None = None, status: int | None = None, project_id: str | None = None
    ) -> list[EnterpriseProject]:
        """Every project matching the filters, page by page."""
        projects: list[EnterpriseProject] = []
        async for page in self.iter_pages(name=name, status=status, project_id=project_id):
            projects.extend(page.projects)
        return projects
