"""Choosing the enterprise project of a copy: by name or id; ``0`` ("default") always; never a disabled one.

:func:`resolve_enterprise_project` is what ``copy --enterprise-project`` and the copy form call. Without EPS rights
(403) an id is taken as typed (nothing can be checked: the operator was told), a name cannot be resolved and the
:class:`NoEpsRightsError` says to type the id.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from imstui.api.eps_models import DEFAULT_PROJECT, EnterpriseProject, NoEpsRightsError
from imstui.api.errors import LocalValidationError
from imstui.core.validation import check_enterprise_project_id, normalise_image_id

if TYPE_CHECKING:  # the client (and httpx) load only when a command talks to EPS, not when its parser is built
    from imstui.api.client import ImsClient
    from imstui.api.eps import EpsClient

ENV_EPS_ENDPOINT = "IMSTUI_EPS_ENDPOINT"
ENV_DOMAIN_ID = "IMSTUI_DOMAIN_ID"


class ProjectSource(Protocol):
    """What the resolver needs (``imstui.api.eps.EpsClient``)."""

    async def list_projects(
        self, *, name: str | None = None, status: int | None = None, project_id: str | None = None
    ) -> list[EnterpriseProject]: ...


def choices(projects: list[EnterpriseProject]) -> list[EnterpriseProject]:
    """The picker's list: the default project first (always, listed or not), then the others by name; disabled
    projects stay visible (marked) but :func:`is_choosable` is false for them."""
    others = sorted((p for p in projects if not p.is_default), key=lambda p: (p.name.lower(), p.id))
    return [DEFAULT_PROJECT, *others]


def is_choosable(project: EnterpriseProject) -> bool:
    return project.is_default or project.is_enabled


def _refuse_disabled(project: EnterpriseProject) -> EnterpriseProject:
    if not is_choosable(project):
        raise LocalValidationError(
            "enterprise_project",
            "enterprise_project.disabled",
            f"enterprise project {project.label} is {project.status_text}: a copy cannot be placed in it",
        )
    return project


async def resolve_enterprise_project(eps: ProjectSource, name_or_id: str) -> tuple[EnterpriseProject, bool]:
    """The project named by ``name_or_id`` and whether it was checked against EPS (False: an id taken as typed
    because the key has no EPS rights)."""
    text = (name_or_id or "").strip()
    if not text or text == "0" or text.lower() == "default":
        return DEFAULT_PROJECT, True
    as_id = normalise_image_id(text)
    is_id = check_enterprise_project_id(as_id) is None
    try:
        listed = await eps.list_projects(project_id=as_id) if is_id else await eps.list_projects(name=text)
    except NoEpsRightsError:
        if is_id:
            return EnterpriseProject(as_id, "", None), False
        raise
    if is_id:
        found = [p for p in listed if p.id.lower() == as_id]
        if not found:
            raise LocalValidationError(
                "enterprise_project", "enterprise_project.unknown_id", f"no enterprise project with id {as_id}"
            )
        return _refuse_disabled(found[0]), True
    exact = [p for p in listed if p.name == text] or [p for p in listed if p.name.lower() == text.lower()]
    if len(exact) == 1:
        return _refuse_disabled(exact[0]), True
    if len(exact) > 1:
        shown = ", ".join(p.label for p in exact[:5])
        raise LocalValidationError(
            "enterprise_project", "enterprise_project.ambiguous", f"{len(exact)} projects are named {text!r} ({shown})"
        )
    near = ", ".join(p.name for p in choices(listed)[1:][:10] if is_choosable(p)) or "none"
    raise LocalValidationError(
        "enterprise_project",
        "enterprise_project.unknown_name",
        f"no enterprise project named {text!r}; names containing it: {near}",
    )


def eps_client(
    ims: ImsClient,
    endpoint: str | None = None,
    domain_id: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> EpsClient:
    """An :class:`EpsClient` on ``ims``'s connection: ``endpoint`` (``--eps-endpoint``), else ``IMSTUI_EPS_ENDPOINT``,
    else the region's default (the simulator's port when IMS is on loopback); the account id from ``domain_id``
    (``--domain-id``), else ``IMSTUI_DOMAIN_ID``, else found with IAM on first use."""
    from imstui.api.eps import EpsClient

    env = os.environ if environ is None else environ
    chosen = (endpoint or "").strip() or env.get(ENV_EPS_ENDPOINT, "").strip() or None
    domain = (domain_id or "").strip() or env.get(ENV_DOMAIN_ID, "").strip() or None
    return EpsClient(ims, chosen, domain)
