"""KMS key models: what list-keys and describe-key say about a key, sanitised and range-checked.

No network code here (importing this module does not load httpx): the headless commands' parsers and the core
rules import it at start-up; the client is :mod:`imstui.api.kms`. ``creation_date`` is a string of milliseconds
[UNCERTAIN: the SDK docstring says seconds; a sample reads 1638806642000]; numbers out of range become ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from imstui.api.errors import ImstuiError
from imstui.api.sanitize import sanitize_opt

PENDING_ACTIVATION, ENABLED, DISABLED, PENDING_DELETION, PENDING_IMPORT = "1", "2", "3", "4", "5"
KEY_STATES: dict[str, str] = {
    PENDING_ACTIVATION: "pending activation",
    ENABLED: "enabled",
    DISABLED: "disabled",
    PENDING_DELETION: "pending deletion",
    PENDING_IMPORT: "pending import",
}
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 2000  # the documented default and ceiling of list-keys
MAX_PAGES = 1000  # a server that never stops paging is a protocol error, not an endless loop
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
KEY_NOT_FOUND_CODES = frozenset({"KMS.0207"})  # [UNCERTAIN] "the key does not exist"; 404 counts too


def _millis(value: Any) -> int | None:
    """A millisecond timestamp (int or digit string) within 1970..9999, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 0 <= value <= _MAX_MS:
        return value
    return None


def _text(data: dict[str, Any], name: str, limit: int = 255) -> str:
    return (sanitize_opt(data.get(name)) or "").strip()[:limit]


@dataclass(frozen=True)
class KmsKey:
    """One customer master key as list-keys/describe-key report it (every string sanitised)."""

    key_id: str
    alias: str
    state: str  # "1".."5"; anything else is kept (sanitised) and reads "unknown state"
    is_default: bool  # default_key_flag "1": a service's default key such as ims/default
    description: str = ""
    created_ms: int | None = None
    key_spec: str = ""
    key_usage: str = ""
    origin: str = ""
    scheduled_deletion_ms: int | None = None

    @property
    def is_enabled(self) -> bool:
        return self.state == ENABLED

    @property
    def state_text(self) -> str:
        return KEY_STATES.get(self.state, f"in an unknown state ({self.state or 'none'})")

    @property
    def created(self) -> datetime | None:
        if self.created_ms is None:
            return None
        return datetime.fromtimestamp(self.created_ms / 1000, tz=timezone.utc)

    @property
    def label(self) -> str:
        """``alias (id)``, or the id alone for a key without an alias."""
        return f"{self.alias} ({self.key_id})" if self.alias else self.key_id

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> KmsKey | None:
        """A key from one ``key_details`` / ``key_info`` object; ``None`` when it has no usable id."""
        key_id = _text(data, "key_id", 64)
        if not key_id:
            return None
        return cls(
            key_id=key_id,
            alias=_text(data, "key_alias"),
            state=_text(data, "key_state", 8),
            is_default=_text(data, "default_key_flag", 8) == "1",
            description=(sanitize_opt(data.get("key_description"), multiline=True) or "")[:1024],
            created_ms=_millis(data.get("creation_date")),
            key_spec=_text(data, "key_spec", 32),
            key_usage=_text(data, "key_usage", 32),
            origin=_text(data, "origin", 32),
            scheduled_deletion_ms=_millis(data.get("scheduled_deletion_date")),
        )


@dataclass(frozen=True)
class KeyPage:
    keys: tuple[KmsKey, ...]
    next_marker: str | None
    truncated: bool
    total: int | None


class KeyNotFoundError(ImstuiError):
    """describe-key: KMS does not know this key id."""

    def __init__(self, key_id: str, request_id: str | None = None) -> None:
        super().__init__(f"KMS key not found: {key_id}")
        self.key_id = key_id
        self.request_id = request_id


def truthy(value: Any) -> bool:
    """``True`` or the string ``"true"`` (how KMS writes ``truncated``)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
