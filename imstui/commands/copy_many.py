"""``imstui copy ID [ID ...] [--from-file FILE] --name-template TEMPLATE [...]``: many copies as one checked batch.

``imstui copy`` hands over to this module when it is given more than one id, ``--from-file`` or
``--name-template``. FILE holds one id per line, or ``id,name`` CSV lines (an item with its own name keeps it);
``-`` reads stdin. The template knows ``{name}`` ``{id8}`` ``{date}`` (UTC yyyymmdd) ``{n}``. ``--key`` (an alias
or id) and ``--enterprise-project`` (a name or id) are resolved once for the whole batch; ``--tag k=v`` tags are
checked and stored with each item (applied to the new image after the copy succeeds).

Order of events: local checks (exit 2, nothing sent) -> the plan's reads (the image list in pages, the quota) ->
the plan, printed -> confirmation (``--yes``; a TTY prompt; no TTY: exit 2) -> the batch stored in the ledger ->
the copies, at most ``--max-in-flight`` at a time -> with ``--wait``, every job followed to its end. See
:mod:`imstui.commands.batch_run` for the exit codes.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.api.models import Image
from imstui.api.tag_models import ImageTag
from imstui.commands.batch_run import add_in_flight_argument, in_flight_violation, run_batch_command, run_plan
from imstui.commands.jobs import ledger_profile
from imstui.commands.output import Output
from imstui.commands.service_options import add_eps_options, add_kms_option, domain_id_for, service_violations
from imstui.connect import open_client
from imstui.core.batch import (
    DEFAULT_IN_FLIGHT,
    BatchSpec,
    ListPage,
    SourceRef,
    check_template,
    parse_sources,
)
from imstui.core.batch.reads import prepare_plan
from imstui.core.enterprise_projects import eps_client, resolve_enterprise_project
from imstui.core.keys import kms_client, resolve_key
from imstui.core.ledger import Ledger, LedgerError
from imstui.core.tags import validate_tags
from imstui.core.validation import Violation, check_description

if TYPE_CHECKING:  # the network stack loads when a copy runs, not when the parser is built (every command pays for it)
    from imstui.api.client import ImsClient

__all__ = ["add_arguments", "list_page_for", "run", "wants_many"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the multi-image form, on ``imstui copy``'s parser."""
    g = parser.add_argument_group("many images (a checked, resumable batch)")
    g.add_argument("--from-file", metavar="FILE", default=None, help="ids, one per line, or id,name CSV (- = stdin)")
    g.add_argument(
        "--name-template", metavar="TEMPLATE", default=None, help="target names: {name} {id8} {date} (UTC) {n}"
    )
    g.add_argument("--key", metavar="K", default=None, help="KMS key alias or id for every copy")
    g.add_argument("--enterprise-project", metavar="E", default=None, help="enterprise project name or id")
    g.add_argument("--tag", metavar="k=v", action="append", default=[], help="tag for every new image (repeatable)")
    add_in_flight_argument(g)
    g.add_argument("--yes", "-y", action="store_true", help="send the plan without asking (skipped items are said)")
    services = parser.add_argument_group("KMS and EPS (for --key and --enterprise-project by alias or name)")
    add_kms_option(services)
    add_eps_options(services)


def _ids(args: argparse.Namespace) -> list[str]:
    value = getattr(args, "image_id", None)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def wants_many(args: argparse.Namespace) -> bool:
    """True when ``imstui copy`` was asked for the multi-image form: more than one id, or any of its options."""
    many_only = ("from_file", "name_template", "key", "enterprise_project", "tag")
    in_flight = getattr(args, "max_in_flight", DEFAULT_IN_FLIGHT) != DEFAULT_IN_FLIGHT
    return len(_ids(args)) > 1 or in_flight or any(getattr(args, name, None) for name in many_only)


def _read_file(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read(10 * 1024 * 1024)
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalValidationError("from_file", "from_file.unreadable", f"cannot read {path}: {exc}") from None


def _local_checks(args: argparse.Namespace) -> tuple[BatchSpec, dict[str, Violation]]:
    problems: dict[str, Violation] = {}
    text = _read_file(args.from_file) if getattr(args, "from_file", None) else None
    sources = parse_sources(_ids(args), text)
    template = getattr(args, "name_template", None)
    name = getattr(args, "name", None)
    if name and len(sources) == 1 and sources[0].name is None:
        sources = [SourceRef(sources[0].image_id, name)]  # one image with the batch's options (--key, --tag...)
    elif name:
        problems["name"] = Violation("name.many", "--name names one copy; for many images use --name-template")
    if not sources:
        problems["image_id"] = Violation("image_id.required", "no image ids given (on the command line or in FILE)")
    if template is not None:
        bad = check_template(template)
        if bad is not None:
            problems["name_template"] = bad
    elif any(s.name is None for s in sources):
        problems["name_template"] = Violation(
            "name_template.required", "give --name-template (or an id,name line for every image)"
        )
    description = getattr(args, "description", None) or None
    bad_description = check_description(description)
    if bad_description is not None:
        problems["description"] = bad_description
    bad_in_flight = in_flight_violation(int(getattr(args, "max_in_flight", DEFAULT_IN_FLIGHT)))
    if bad_in_flight is not None:
        problems["max_in_flight"] = bad_in_flight
    tags: list[ImageTag] = []
    try:
        tags = validate_tags(getattr(args, "tag", None) or [])
    except LocalValidationError as exc:
        problems["tag"] = Violation(exc.rule, exc.message)
    problems.update(service_violations(args))
    spec = BatchSpec(sources=tuple(sources), name_template=template, description=description, tags=tuple(tags))
    return spec, problems


def list_page_for(client: ImsClient) -> ListPage:
    """The plan's page reader: the project's private images, 500 a page (:class:`ImageLister`)."""
    from imstui.api.image_list import PRIVATE, ImageLister, ImageQuery

    lister = ImageLister(client)
    query = ImageQuery(PRIVATE)

    async def list_page(marker: str | None) -> tuple[tuple[Image, ...], str | None]:
        page = await lister.page(query, marker=marker)
        return page.images, page.next_marker

    return list_page


async def _resolve(client: ImsClient, args: argparse.Namespace, spec: BatchSpec) -> BatchSpec:
    """``--key`` and ``--enterprise-project`` as ids (one lookup each for the whole batch)."""
    cmk_id = key_label = eps_id = None
    if getattr(args, "key", None) or getattr(args, "cmk_id", None):
        key = await resolve_key(kms_client(client, getattr(args, "kms_endpoint", None)), args.key or args.cmk_id)
        cmk_id, key_label = key.key_id, key.alias or key.key_id
    if getattr(args, "enterprise_project", None) or getattr(args, "enterprise_project_id", None):
        project, _checked = await resolve_enterprise_project(
            eps_client(client, getattr(args, "eps_endpoint", None), domain_id_for(args)),
            args.enterprise_project or args.enterprise_project_id,
        )
        eps_id = project.id
    return BatchSpec(
        sources=spec.sources,
        name_template=spec.name_template,
        description=spec.description,
        cmk_id=cmk_id,
        key_label=key_label,
        enterprise_project_id=eps_id,
        tags=spec.tags,
    )


def run(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    try:
        spec, problems = _local_checks(args)
    except LocalValidationError as exc:
        return out.violations({exc.field: Violation(exc.rule, exc.message)})
    if problems:
        return out.violations(problems)
    profile = ledger_profile(args)

    async def main() -> int:
        try:
            ledger = Ledger()
        except LedgerError as exc:
            raise ConfigurationError(f"{exc}; nothing was submitted") from None
        with ledger:
            async with open_client(args) as client:
                try:
                    resolved = await _resolve(client, args, spec)
                except LocalValidationError as exc:
                    return out.violations({exc.field: Violation(exc.rule, exc.message)})
                out.progress(f"reading {len({s.image_id for s in spec.sources})} image(s) and the quota...")
                plan, reads = await prepare_plan(client, resolved, list_page=list_page_for(client))
                return await run_plan(
                    client,
                    ledger,
                    plan,
                    reads.images(),
                    out,
                    profile=profile,
                    name_template=spec.name_template,
                    yes=bool(getattr(args, "yes", False)),
                    wait=bool(getattr(args, "wait", False)),
                    timeout=getattr(args, "timeout", None),
                    max_in_flight=int(getattr(args, "max_in_flight", DEFAULT_IN_FLIGHT)),
                )

    return run_batch_command(out, main)
