"""The simulator's image tags: ``POST /v2/{project_id}/images/{image_id}/tags/action`` (204) and
``GET /v2/{project_id}/images/{image_id}/tags`` (``{"tags": [{"key", "value"}]}``).

Server rules (``kms-eps-tags.md`` §3): ``action`` is ``create`` or ``delete``; a key is 1-36 characters after
trimming, a value 0-43 and present; keys unique within a request; at most 10 tags per image after the change; the
same key with a new value overwrites; deleting a missing tag succeeds. The server is as lenient as the older IMS
pages about characters (only ``= * < > \\ , | /`` are refused): imstui's own check is stricter. Only the image's
owner may tag it (IMG.0047); an unknown image is 404 IMG.0027. Refusals are 400 IMG.0001 (the simulator's choice
[UNCERTAIN]: no public capture shows the codes).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.routing import Route

    from imstui.sim.app import Call, Simulator

MAX_TAGS = 10
KEY_MAX = 36
VALUE_MAX = 43
_FORBIDDEN = set("=*<>\\,|/")


class ImageTags:
    """Tags per image id, in insertion order. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: dict[str, dict[str, str]] = {}
        self.calls = 0  # tags/action requests accepted (tests: "tagged exactly once")

    def of(self, image_id: str) -> list[dict[str, str]]:
        with self._lock:
            return [{"key": k, "value": v} for k, v in self._tags.get(image_id, {}).items()]

    def apply(self, image_id: str, raw_body: bytes) -> None:
        """Validate one tags/action body and apply it, or raise ``ImsError``."""
        from imstui.sim.state import ImsError

        try:
            body = json.loads(raw_body or b"")
        except (ValueError, UnicodeDecodeError):
            raise ImsError("IMG.0001", "The request message format is invalid.") from None
        action = body.get("action") if isinstance(body, dict) else None
        tags = body.get("tags") if isinstance(body, dict) else None
        if action not in ("create", "delete") or not isinstance(tags, list) or not tags:
            raise ImsError("IMG.0001", "The request message format is invalid: action and tags are required.")
        parsed = [_tag(item, action) for item in tags]
        if len({k for k, _ in parsed}) != len(parsed):
            raise ImsError("IMG.0001", "The request message format is invalid: tag keys must be unique.")
        with self._lock:
            current = dict(self._tags.get(image_id, {}))
            for key, value in parsed:
                if action == "create":
                    current[key] = value
                else:
                    current.pop(key, None)
            if len(current) > MAX_TAGS:
                raise ImsError("IMG.0001", f"An image can have a maximum of {MAX_TAGS} tags.")
            self._tags[image_id] = current
            self.calls += 1


def _tag(item: Any, action: str) -> tuple[str, str]:
    from imstui.sim.state import ImsError

    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        raise ImsError("IMG.0001", "The request message format is invalid: each tag needs a key.")
    key = item["key"].strip()
    value = item.get("value", "" if action == "delete" else None)
    if not isinstance(value, str):
        raise ImsError("IMG.0001", "The request message format is invalid: a tag value is required (may be empty).")
    value = value.strip()
    if not key or len(key) > KEY_MAX:
        raise ImsError("IMG.0001", f"The tag key must be 1 to {KEY_MAX} characters.")
    if len(value) > VALUE_MAX:
        raise ImsError("IMG.0001", f"The tag value can contain a maximum of {VALUE_MAX} characters.")
    if action == "create" and (_FORBIDDEN & set(key) or _FORBIDDEN & set(value)):
        raise ImsError("IMG.0001", "The tag key or value contains an invalid character.")
    return key, value


def routes(sim: Simulator) -> list[Route]:
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    store: ImageTags = sim.state.tags

    def image_of(call: Call) -> str:
        from imstui.sim.state import ImsError

        if call.request.path_params["project_id"] != call.project_id:
            raise ImsError("IMG.0067", "The project ID is incorrect.")
        image_id = call.request.path_params["image_id"]
        image = sim.state.get_image(image_id, call.project_id)
        if image is None:
            raise ImsError("IMG.0027", "The image ID does not exist.", status=404)
        if image.get("owner") != call.project_id:
            raise ImsError("IMG.0047", "Only the image owner can perform this operation.")
        return str(image_id)

    async def action(call: Call) -> Response:
        store.apply(image_of(call), call.body)
        return Response(status_code=204)

    async def listing(call: Call) -> Response:
        return JSONResponse({"tags": store.of(image_of(call))})

    base = "/v2/{project_id}/images/{image_id}/tags"
    return [
        Route(base + "/action", sim.endpoint("tags", action, ims=True), methods=["POST"]),
        Route(base, sim.endpoint("tags", listing, ims=True), methods=["GET"]),
    ]
