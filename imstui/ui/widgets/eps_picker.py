"""The copy's enterprise project, picked by name (``imstui.core.enterprise_projects``; the EPS list paged by the
client, signed with the account's domain scope).

``0`` = the default project is always the first entry (EPS may not list it); enabled projects follow by name;
disabled ones are listed, greyed out, and cannot be chosen. Typing filters by name; a pasted id is checked with
:func:`~imstui.core.enterprise_projects.resolve_enterprise_project` when EPS allows it. Without EPS rights (403) the
line says so and the field takes a typed id (``0`` or a UUID), as IMS will check it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imstui.api.eps_models import DEFAULT_PROJECT, EnterpriseProject, NoEpsRightsError
from imstui.api.errors import ImstuiError, LocalValidationError
from imstui.core.enterprise_projects import choices, is_choosable, resolve_enterprise_project
from imstui.core.validation import check_enterprise_project_id
from imstui.ui.session import console
from imstui.ui.text import assemble, plain
from imstui.ui.widgets.picker import Checked, Choice, ChoiceField

if TYPE_CHECKING:
    from imstui.core.enterprise_projects import ProjectSource

__all__ = ["EpsPicker", "project_choice"]

NAME_WIDTH = 28
EMPTY = Choice(
    "",
    "",
    "default (0)",
    assemble(("0 = default", "bold")),
    summary="none given: IMS puts the copy in the default enterprise project (0)",
)


def project_choice(project: EnterpriseProject) -> Choice:
    label = "default (0)" if project.is_default else plain(project.label)
    if project.is_default:
        return Choice(
            "0",
            "0",
            label,
            assemble(("0 = default", "bold"), ("  (the account's default enterprise project)", "dim")),
            search="default",
            summary="✓ the default enterprise project (0)",
        )
    name = plain(project.name) or "(no name)"
    ok = is_choosable(project)
    return Choice(
        project.id,
        plain(project.name) or project.id,
        label,
        assemble(
            name.ljust(NAME_WIDTH),
            " ",
            (project.status_text, "" if ok else "italic"),
            ("  " + plain(project.id[:8]) + "…", "dim"),
        ),
        search=name.lower(),
        choosable=ok,
        reason="" if ok else f"enterprise project {label} is {project.status_text}: a copy cannot be placed in it",
        summary=f"✓ {label}: {project.status_text}",
    )


class EpsPicker(ChoiceField):
    """The enterprise project field of the copy and batch forms."""

    NOUN = "enabled enterprise project"
    LOADING_TEXT = "Loading the enterprise projects…"

    def __init__(self, label: str, *, field_id: str = "enterprise_project_id", value: str = "") -> None:
        super().__init__(label, field_id=field_id, value=value, placeholder="type to filter by name, or paste an id")

    def _source(self) -> ProjectSource | None:
        session = console(self).session
        return session.eps() if session is not None else None

    def empty_choice(self) -> Choice:
        return EMPTY

    def first_choices(self) -> list[Choice]:
        return [project_choice(DEFAULT_PROJECT)]

    def extra_match(self, text: str) -> Choice | None:
        return self.first_choices()[0] if text.lower() == "default" else None

    async def load(self) -> list[Choice]:
        eps = self._source()
        if eps is None:
            raise LookupError("no EPS in this session")
        return [project_choice(p) for p in choices(await eps.list_projects())[1:]]

    def unavailable_text(self, error: BaseException | None) -> str:
        if isinstance(error, LookupError) or error is None:
            why = "EPS is not reachable in this session"
        elif isinstance(error, NoEpsRightsError):
            why = "no EPS rights: this access key may not list enterprise projects (HTTP 403)"
        else:
            why = f"the enterprise project list could not be read ({plain(str(error))[:120]})"
        return f"{why}: type the project id (0 = default, or a UUID)"

    def looks_like_id(self, text: str) -> bool:
        return text != "0" and check_enterprise_project_id(text) is None

    def fallback_error(self, text: str) -> str | None:
        violation = check_enterprise_project_id(text)
        return f"{violation.message} [{violation.rule}]" if violation is not None else None

    async def check_id(self, text: str) -> Checked:
        eps = self._source()
        wanted = text.strip().lower()
        if eps is None:
            return Checked(self._unchecked(wanted, "not checked: EPS is not reachable in this session"))
        try:
            project, checked = await resolve_enterprise_project(eps, wanted)
        except LocalValidationError as error:  # unknown id, or a disabled project
            return Checked(None, plain(error.message))
        except ImstuiError as error:
            return Checked(self._unchecked(wanted, f"not checked: EPS refused ({plain(str(error))[:100]})"))
        if not checked:
            return Checked(self._unchecked(wanted, "not checked: no EPS rights"))
        return Checked(project_choice(project))

    def _unchecked(self, project_id: str, why: str) -> Choice:
        return Choice(
            project_id,
            project_id,
            project_id,
            assemble(project_id),
            summary=f"{why}; IMS checks the project when the copy is sent",
        )
