"""The interface the core (poller, commands) and the UI use to talk to IMS: implemented by ``ImsClient``."""

from __future__ import annotations

from typing import Protocol

from imstui.api.models import CopyRequest, Image, Job
from imstui.api.quota import ImageQuota


class ImsApi(Protocol):
    @property
    def region(self) -> str: ...

    @property
    def project_id(self) -> str | None:
        """The project id in use (``None`` until discovered)."""

    async def ensure_project_id(self) -> str:
        """Return the project id, discovering it from the region via IAM on first use."""

    async def get_image(self, image_id: str) -> Image:
        """Look an image up by id. Raises ``ImageNotFoundError`` for an unknown id."""

    async def copy_image(self, image_id: str, request: CopyRequest) -> str:
        """Submit the in-region copy and return the job id. Never retried automatically."""

    async def get_image_quota(self) -> ImageQuota:
        """The private-image quota (``GET /v1/cloudimages/quota``), one attempt."""

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        """Job status with progress. Raises ``JobNotFoundError`` when the server does not know the job.

        ``retry=False`` makes exactly one attempt (for pollers that do their own backoff)."""

    async def aclose(self) -> None: ...
