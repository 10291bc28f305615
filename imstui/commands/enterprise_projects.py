"""``imstui enterprise-projects [--json] [--name TEXT]``: the enterprise projects a copy can be placed in.

``0`` ("default") is always listed first; disabled projects are shown but cannot be chosen. EPS is a global service
signed with the account (domain) id, found with IAM unless ``--domain-id`` / ``IMSTUI_DOMAIN_ID`` gives it. Without
EPS rights (403) the command says so (exit 1): type the enterprise project id instead.
"""

from __future__ import annotations

import argparse
from typing import Any

from imstui.api.eps_models import DEFAULT_PROJECT, EnterpriseProject, NoEpsRightsError
from imstui.commands.output import EXIT_OK, Output, add_command, run_command
from imstui.commands.service_options import add_eps_options, domain_id_for
from imstui.connect import open_client
from imstui.core.enterprise_projects import choices, eps_client, is_choosable


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "enterprise-projects",
        help="list the enterprise projects a copy can be placed in",
        description="List the account's enterprise projects (0, the default project, first). Disabled projects "
        "are listed but cannot be chosen. Exit 0 on success, 1 on an API error (no EPS rights included), "
        "2 on bad input or settings.",
        handler=run,
    )
    parser.add_argument("--name", metavar="TEXT", help="only projects whose name contains TEXT")
    add_eps_options(parser)  # --eps-endpoint, --domain-id (else the env, the profile's, IAM)


def project_to_dict(project: EnterpriseProject) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "status": project.status,
        "status_text": project.status_text,
        "choosable": is_choosable(project),
        "default": project.is_default,
        "description": project.description,
        "type": project.type or None,
        "created_at": project.created_at or None,
    }


def project_lines(projects: list[EnterpriseProject]) -> list[str]:
    rows = [("NAME", "STATUS", "ID")]
    for project in projects:
        status = project.status_text + ("" if is_choosable(project) else " (cannot be chosen)")
        rows.append((project.name or "(no name)", status, project.id))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2]}" for row in rows]


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    name = (getattr(args, "name", None) or "").strip() or None

    async def main() -> int:
        async with open_client(args) as ims:
            eps = eps_client(ims, getattr(args, "eps_endpoint", None), domain_id_for(args))
            try:
                listed = await eps.list_projects(name=name)
            except NoEpsRightsError as error:
                # The default project needs no rights to choose: scripts still find it in the document.
                return out.error(error, extra={"enterprise_projects": [project_to_dict(DEFAULT_PROJECT)]})
            projects = choices(listed)
            if name and name.lower() not in "default":
                projects = projects[1:]  # a name filter that the default project does not match
            out.document(
                {
                    "ok": True,
                    "eps_endpoint": eps.endpoint,
                    "domain_id": eps.domain_id,
                    "count": len(projects),
                    "enterprise_projects": [project_to_dict(p) for p in projects],
                }
            )
            if not projects:
                out.line(f"no enterprise project name contains {name!r}")
                return EXIT_OK
            for text in project_lines(projects):
                out.line(text)
        return EXIT_OK

    return run_command(out, main)
