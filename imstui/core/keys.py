"""Choosing the KMS key of a copy: by alias or by id, and only an enabled key.

:func:`resolve_key` is what ``copy --key`` and the copy form call before submitting: an alias is looked up in
the key list (paged), a UUID is checked with describe-key. A key that is not enabled is refused with its state in
words, an unknown alias names the enabled keys that exist. The errors are :class:`LocalValidationError` (exit 2):
nothing was sent to IMS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from imstui.api.errors import LocalValidationError
from imstui.api.kms_models import ENABLED, KeyNotFoundError, KmsKey
from imstui.core.validation import check_cmk_id, normalise_image_id

if TYPE_CHECKING:  # the client (and httpx) load only when a command talks to KMS, not when its parser is built
    from imstui.api.client import ImsClient
    from imstui.api.kms import KmsClient

MAX_NAMED = 10  # enabled aliases listed in the "unknown alias" message
ENV_KMS_ENDPOINT = "IMSTUI_KMS_ENDPOINT"


class KeySource(Protocol):
    """What :func:`resolve_key` needs (``imstui.api.kms.KmsClient``)."""

    async def list_keys(self, *, key_state: str | None = None) -> list[KmsKey]: ...

    async def describe_key(self, key_id: str) -> KmsKey: ...


def _looks_like_key_id(text: str) -> bool:
    return check_cmk_id(text) is None  # a KMS key id is a UUID (an alias never is)


def _refuse_unless_enabled(key: KmsKey) -> KmsKey:
    if not key.is_enabled:
        raise LocalValidationError(
            "key",
            "key.not_enabled",
            f"KMS key {key.label} is {key.state_text}: only an enabled key can encrypt the copy",
        )
    return key


def enabled_alias_list(keys: list[KmsKey]) -> str:
    aliases = sorted({k.alias or k.key_id for k in keys if k.is_enabled})
    if not aliases:
        return "none"
    shown = ", ".join(aliases[:MAX_NAMED])
    return shown + (f" … and {len(aliases) - MAX_NAMED} more" if len(aliases) > MAX_NAMED else "")


async def resolve_key(kms: KeySource, alias_or_id: str) -> KmsKey:
    """The enabled key named by ``alias_or_id`` (an alias such as ``ims/default``, or a key id)."""
    text = normalise_image_id(alias_or_id or "")
    if not text:
        raise LocalValidationError("key", "key.required", "a KMS key alias or id is required")
    if _looks_like_key_id(text):
        try:
            return _refuse_unless_enabled(await kms.describe_key(text))
        except KeyNotFoundError:
            raise LocalValidationError("key", "key.unknown_id", f"no KMS key with id {text} in this project") from None
    keys = await kms.list_keys()
    matches = [k for k in keys if k.alias == text] or [k for k in keys if k.alias.lower() == text.lower()]
    if len(matches) > 1:
        enabled = [k for k in matches if k.is_enabled]
        if len(enabled) == 1:
            return enabled[0]
        shown = ", ".join(k.label for k in matches[:5])
        raise LocalValidationError(
            "key", "key.ambiguous", f"alias {text!r} names {len(matches)} keys ({shown}); give the id"
        )
    if not matches:
        raise LocalValidationError(
            "key",
            "key.unknown_alias",
            f"no enabled KMS key with alias {text}; enabled keys: {enabled_alias_list(keys)}",
        )
    return _refuse_unless_enabled(matches[0])


def choosable(keys: list[KmsKey]) -> list[KmsKey]:
    """The keys a picker offers: enabled ones, default keys first, then by alias."""
    return sorted((k for k in keys if k.state == ENABLED), key=lambda k: (not k.is_default, k.alias.lower(), k.key_id))


def kms_client(ims: ImsClient, endpoint: str | None = None, environ: Mapping[str, str] | None = None) -> KmsClient:
    """A :class:`KmsClient` on ``ims``'s connection: ``endpoint`` (``--kms-endpoint``), else ``IMSTUI_KMS_ENDPOINT``,
    else the region's default (the simulator's port when IMS is on loopback)."""
    from imstui.api.kms import KmsClient

    env = os.environ if environ is None else environ
    return KmsClient(ims, (endpoint or "").strip() or env.get(ENV_KMS_ENDPOINT, "").strip() or None)
