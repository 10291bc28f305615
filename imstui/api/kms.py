"""KMS keys: ``POST /v1.0/{project_id}/kms/list-keys`` (paged) and ``POST .../kms/describe-key``.

Wire format (``kms-eps-tags.md`` §1, ``huaweicloudsdkkms/v2``): the list body has ``limit`` (a string in the SDK's
model, sent as the SDK sends it), ``marker``, ``key_state`` ("1".."5") and ``key_spec``; the answer has
``key_details[]``, ``next_marker`` and ``truncated`` as the *string* ``"true"``/``"false"``. ``creation_date`` is a
string of milliseconds [UNCERTAIN: the SDK docstring says seconds; a sample reads 1638806642000]. Every string goes
through :func:`sanitize`; numbers out of range become ``None``. Project-scoped signing, like IMS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from imstui.api import service_calls
from imstui.api.client import ImsClient
from imstui.api.error_parsing import clean
from imstui.api.errors import ApiError, LocalValidationError, ProtocolError
from imstui.api.kms_models import (
    DEFAULT_PAGE_SIZE,
    KEY_NOT_FOUND_CODES,
    KEY_STATES,
    MAX_PAGE_SIZE,
    MAX_PAGES,
    KeyNotFoundError,
    KeyPage,
    KmsKey,
    truthy,
)
from imstui.api.sanitize import sanitize_opt


class KmsClient:
    """KMS calls over an :class:`ImsClient`'s connection, credentials and project (see :mod:`service_calls`)."""

    def __init__(self, ims: ImsClient, endpoint: str | None = None) -> None:
        self._ims = ims
        self._endpoint = service_calls.service_endpoint(ims, endpoint, service_calls.kms_endpoint(ims.region))

    @property
    def endpoint(self) -> str:
        return self._endpoint

    async def _post(self, operation: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        project_id = await self._ims.ensure_project_id()
        response = await service_calls.call(
            self._ims,
            "POST",
            f"{self._endpoint}/v1.0/{project_id}/kms/{operation}",
            auth=service_calls.project_auth(self._ims, project_id),
            body=body,
            what=what,
        )
        return service_calls.json_object(response, what)

    async def list_keys_page(
        self,
        *,
        marker: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        key_state: str | None = None,
        key_spec: str | None = None,
    ) -> KeyPage:
        """One page of list-keys. ``key_state`` filters on the server ("1".."5")."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise LocalValidationError("limit", "limit.range", f"a page holds 1 to {MAX_PAGE_SIZE} keys")
        if key_state is not None and key_state not in KEY_STATES:
            raise LocalValidationError("key_state", "key_state.choice", "a key state is one of 1 to 5")
        body: dict[str, Any] = {"limit": str(limit)}
        if marker:
            body["marker"] = marker
        if key_state:
            body["key_state"] = key_state
        if key_spec:
            body["key_spec"] = key_spec
        data = await self._post("list-keys", body, "the KMS key list")
        details = data.get("key_details")
        if not isinstance(details, list):
            raise ProtocolError(f"the KMS key list has no 'key_details' list: {clean(data, 200)}")
        keys = tuple(k for k in (KmsKey.from_api(d) for d in details if isinstance(d, dict)) if k is not None)
        next_marker = (sanitize_opt(data.get("next_marker")) or "").strip()[:256] or None
        total = data.get("total")
        total = total if isinstance(total, int) and not isinstance(total, bool) and 0 <= total < 10**9 else None
        return KeyPage(keys, next_marker, truthy(data.get("truncated")), total)

    async def iter_key_pages(
        self, *, limit: int = DEFAULT_PAGE_SIZE, key_state: str | None = None, key_spec: str | None = None
    ) -> AsyncIterator[KeyPage]:
        """Every page, one request at a time (never one huge answer): until ``truncated`` is false or no
        ``next_marker`` comes back. A marker seen twice, or more than :data:`MAX_PAGES` pages, is a ProtocolError."""
        marker: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self.list_keys_page(marker=marker, limit=limit, key_state=key_state, key_spec=key_spec)
            yield page
            if not page.truncated or not page.next_marker:
                return
            if page.next_marker in seen:
                raise ProtocolError(f"the KMS key list repeated the page marker {page.next_marker!r}")
            seen.add(page.next_marker)
            marker = page.next_marker
        raise ProtocolError(f"the KMS key list did not end after {MAX_PAGES} pages")

    async def list_keys(self, *, key_state: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> list[KmsKey]:
        """All keys (page by page)."""
        keys: list[KmsKey] = []
        async for page in self.iter_key_pages(limit=limit, key_state=key_state):
            keys.extend(page.keys)
        return keys

    async def describe_key(self, key_id: str) -> KmsKey:
        """``describe-key``: one key by id. Raises :class:`KeyNotFoundError` when KMS does not know it."""
        wanted = (key_id or "").strip()
        if not wanted:
            raise LocalValidationError("key", "key.required", "a KMS key id or alias is required")
        try:
            data = await self._post("describe-key", {"key_id": wanted}, f"KMS key {clean(wanted, 64)}")
        except ApiError as error:
            if error.status == 404 or error.code.upper() in KEY_NOT_FOUND_CODES:
                raise KeyNotFoundError(clean(wanted, 64), error.request_id) from None
            raise
        info = data.get("key_info")
        key = KmsKey.from_api(info) if isinstance(info, dict) else None
        if key is None:
            raise ProtocolError(f"describe-key answered without a usable 'key_info': {clean(data, 200)}")
        return key
