"""Enterprise project models: what the EPS list says about a project, sanitised; the default project ``"0"``.

No network code here (importing this module does not load httpx); the client is :mod:`imstui.api.eps`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from imstui.api.errors import ApiError, ImstuiError, LocalValidationError
from imstui.api.sanitize import sanitize_opt

ENABLED, DISABLED = 1, 2
MAX_PAGE_SIZE = 1000
MAX_PAGES = 1000
DEFAULT_ID = "0"
_DOMAIN_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def text_of(data: dict[str, Any], name: str, limit: int = 255, *, multiline: bool = False) -> str:
    """``data[name]`` as a sanitised, stripped string of at most ``limit`` characters (``""`` if absent)."""
    return (sanitize_opt(data.get(name), multiline=multiline) or "").strip()[:limit]


@dataclass(frozen=True)
class EnterpriseProject:
    id: str
    name: str
    status: int | None  # 1 enabled, 2 disabled; None if the answer said something else
    description: str = ""
    type: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_ID

    @property
    def is_enabled(self) -> bool:
        return self.status == ENABLED

    @property
    def status_text(self) -> str:
        return {ENABLED: "enabled", DISABLED: "disabled"}.get(self.status or 0, "unknown status")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnterpriseProject | None:
        project_id = text_of(data, "id", 64)
        if not project_id:
            return None
        status = data.get("status")
        return cls(
            id=project_id,
            name=text_of(data, "name"),
            status=status if isinstance(status, int) and not isinstance(status, bool) and status in (1, 2) else None,
            description=text_of(data, "description", 1024, multiline=True),
            type=text_of(data, "type", 16),
            created_at=text_of(data, "created_at", 40),
            updated_at=text_of(data, "updated_at", 40),
        )


DEFAULT_PROJECT = EnterpriseProject(DEFAULT_ID, "default", ENABLED, "the account's default enterprise project")


@dataclass(frozen=True)
class ProjectPage:
    projects: tuple[EnterpriseProject, ...]
    total_count: int | None
    offset: int


class NoEpsRightsError(ImstuiError):
    """EPS answered 403: the key may not list enterprise projects (``eps:enterpriseProjects:list``)."""

    def __init__(self, cause: ApiError) -> None:
        super().__init__(
            f"no EPS rights: this access key may not list enterprise projects ({cause.code}, HTTP {cause.status}); "
            "type the enterprise project id instead (0 is the default project)"
        )
        self.cause = cause
        self.request_id = cause.request_id


def check_domain_id(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if not _DOMAIN_ID_RE.fullmatch(text):
        raise LocalValidationError("domain_id", "domain_id.charset", "an account (domain) id is letters and digits")
    return text
