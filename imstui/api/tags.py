"""Image tags: ``POST /v2/{project_id}/images/{image_id}/tags/action`` and ``GET .../tags`` on the IMS endpoint.

``{"action": "create", "tags": [{"key", "value"}]}`` answers 204 (``kms-eps-tags.md`` §3). The call is idempotent
(the same key with a new value overwrites), so a lost answer may be retried like a GET. The copy body has no tags
field: the new image is tagged once its copy job succeeded. Local rules live in :mod:`imstui.core.tags`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from imstui.api import service_calls
from imstui.api.client import ImsClient
from imstui.api.error_parsing import clean, request_id_of
from imstui.api.errors import LocalValidationError, ProtocolError
from imstui.api.sanitize import sanitize_opt
from imstui.api.tag_models import ImageTag


def _image_segment(image_id: str) -> str:
    text = (image_id or "").strip()
    if not text:
        raise LocalValidationError("image_id", "image_id.required", "an image id is required")
    return quote(text, safe="")


async def add_image_tags(ims: ImsClient, image_id: str, tags: Iterable[ImageTag]) -> None:
    """Create (or overwrite) ``tags`` on the image. An error answer raises the matching :class:`ApiError`."""
    body_tags = [tag.to_body() for tag in tags]
    if not body_tags:
        return
    segment = _image_segment(image_id)
    project_id = await ims.ensure_project_id()
    await service_calls.call(
        ims,
        "POST",
        f"{ims.ims_endpoint}/v2/{quote(project_id, safe='')}/images/{segment}/tags/action",
        auth=service_calls.project_auth(ims, project_id),
        body={"action": "create", "tags": body_tags},
        what=f"tagging image {clean(image_id, 64)}",
    )


def _tag(item: Any) -> ImageTag | None:
    if not isinstance(item, dict):
        return None
    key = (sanitize_opt(item.get("key")) or "").strip()[:128]
    if not key:
        return None
    return ImageTag(key, (sanitize_opt(item.get("value")) or "").strip()[:255])


async def list_image_tags(ims: ImsClient, image_id: str) -> list[ImageTag]:
    """The image's tags (sanitised), in the server's order."""
    segment = _image_segment(image_id)
    project_id = await ims.ensure_project_id()
    what = f"the tags of image {clean(image_id, 64)}"
    response = await service_calls.call(
        ims,
        "GET",
        f"{ims.ims_endpoint}/v2/{quote(project_id, safe='')}/images/{segment}/tags",
        auth=service_calls.project_auth(ims, project_id),
        what=what,
    )
    data = service_calls.json_object(response, what)
    items = data.get("tags")
    if not isinstance(items, list):
        raise ProtocolError(f"{what}: no 'tags' list in {clean(data, 200)}", request_id_of(response))
    return [tag for tag in (_tag(item) for item in items) if tag is not None]
