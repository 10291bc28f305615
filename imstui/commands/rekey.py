"""``imstui rekey --from-key OLD --to-key NEW [--name-template T] [--tag k=v] [--yes] [--wait] [--json]``.

Finds every image of the project encrypted with OLD (an alias or id of a key in any state — the images of a key
about to be disabled or deleted are the ones to move — or ``none`` for the unencrypted images) and copies each,
encrypted with NEW (an enabled key), as one batch plan: the same pre-flight, plan, confirmation (``--yes``; a TTY
prompt; no TTY: exit 2, nothing sent), ledger, flow control, ``--wait`` and ``--json`` rules and exit codes as the
multi-image ``imstui copy`` (:mod:`imstui.commands.batch_run`). Selection: ``GET /v2/cloudimages`` page by page with
the ``__system__cmkid`` filter, checked locally (a server that ignores it still gives exactly OLD's images).

imstui never deletes an image: at the end it lists the old images, which still carry OLD, and what the operator
may do with them (check each copy, then delete the old image in the console, or keep it).
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from imstui.api.errors import ConfigurationError, LocalValidationError
from imstui.api.models import Image
from imstui.api.tag_models import ImageTag
from imstui.commands.batch_run import add_in_flight_argument, in_flight_violation, run_batch_command, run_plan
from imstui.commands.deadline import add_timeout_argument
from imstui.commands.jobs import ledger_profile
from imstui.commands.output import EXIT_OK, EXIT_USAGE, Output, add_command
from imstui.commands.service_options import add_kms_option, service_violations
from imstui.connect import open_client
from imstui.core.batch import (
    BatchSpec,
    BatchStore,
    SourceRef,
    build_plan,
    check_template,
)
from imstui.core.batch.outcome import outcomes
from imstui.core.eligibility import read_quota
from imstui.core.image_search import FilterKey, images_under, key_for_filter
from imstui.core.keys import kms_client, resolve_key
from imstui.core.ledger import JobRecord, Ledger, LedgerError
from imstui.core.ledger.pages import stream
from imstui.core.rekey import already_copied
from imstui.core.tags import validate_tags
from imstui.core.validation import Violation, check_description

DEFAULT_TEMPLATE = "{name}-rekeyed"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "rekey",
        help="copy every image encrypted with one KMS key (or none) to copies encrypted with another",
        description="Find every image of the project encrypted with OLD (a KMS key alias or id in any state, or "
        "'none' for the unencrypted images) and copy each, encrypted with NEW (an enabled key), as one checked batch: "
        "the plan is printed first; without --yes it asks on a terminal and, without one, exits 2 having sent "
        "nothing. Images that already have a copy under NEW are set aside (--again plans them). imstui never "
        "deletes an image: the end lists the old images that still carry OLD. Exit 0 when every item was sent (with "
        "--wait: succeeded) or nothing is left to re-key, 1 otherwise, 2 on bad input or an empty or unconfirmed plan.",
        handler=run,
    )
    parser.add_argument("--from-key", required=True, metavar="OLD", help="key alias or id the images carry, or none")
    parser.add_argument("--to-key", required=True, metavar="NEW", help="enabled key alias or id for the copies")
    parser.add_argument(
        "--name-template",
        default=DEFAULT_TEMPLATE,
        metavar="TEMPLATE",
        help="names of the copies: {name} {id8} {date} (UTC) {n} (default %(default)s)",
    )
    parser.add_argument("--description", default=None, help="description of every copy")
    parser.add_argument("--tag", metavar="k=v", action="append", default=[], help="tag for every copy (repeatable)")
    add_in_flight_argument(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="send the plan without asking")
    parser.add_argument(
        "--again", action="store_true", help="also plan images that already have a copy under NEW (default: set aside)"
    )
    parser.add_argument("--wait", action="store_true", help="follow every copy to its end (exit 0 only if all succeed)")
    add_timeout_argument(parser, prefix="with --wait: ")
    add_kms_option(parser)


def _local_checks(args: argparse.Namespace) -> tuple[list[ImageTag], dict[str, Violation]]:
    problems: dict[str, Violation] = {}
    bad = check_template(args.name_template)
    if bad is not None:
        problems["name_template"] = bad
    bad = check_description(args.description or None)
    if bad is not None:
        problems["description"] = bad
    bad_in_flight = in_flight_violation(args.max_in_flight)
    if bad_in_flight is not None:
        problems["max_in_flight"] = bad_in_flight
    tags: list[ImageTag] = []
    try:
        tags = validate_tags(args.tag or [])
    except LocalValidationError as exc:
        problems["tag"] = Violation(exc.rule, exc.message)
    problems.update(service_violations(args))
    return tags, problems


class _RekeyOutput(Output):
    """The batch runner's output, with the re-key facts added to its one JSON document (and the batch id noted)."""

    def __init__(self, json_mode: bool) -> None:
        super().__init__(json_mode)
        self.extra: dict[str, Any] = {}
        self.batch_id: int | None = None

    def document(self, doc: dict[str, Any]) -> None:
        batch_id = doc.get("batch_id")
        if isinstance(batch_id, int):
            self.batch_id = batch_id
        super().document({**doc, "rekey": self.extra} if self.extra else doc)


def rekey_facts(old: FilterKey, new: FilterKey, images: list[Image], already: dict[str, str]) -> dict[str, Any]:
    return {
        "from_key": old.key_id,
        "from_key_label": old.label,
        "to_key": new.key_id,
        "to_key_label": new.label,
        "found": len(images),
        "already_rekeyed": [
            {"id": i.id, "name": i.name, "evidence": already[i.id.lower()]} for i in images if i.id.lower() in already
        ],
        "still_under_old_key": [{"id": i.id, "name": i.name} for i in images],
        "note": "imstui never deletes an image: every image listed still carries the old key. Check each copy, then "
        "delete the old image in the console (or keep it) once nothing uses it.",
    }


def closing_lines(facts: dict[str, Any], outcome_of: dict[str, str]) -> list[str]:
    """What the operator is told at the end: the old images still under OLD, each with what became of its copy."""
    old = facts["still_under_old_key"]
    lines = [f"{len(old)} old image(s) still carry {facts['from_key_label']} (imstui never deletes an image):"]
    for entry in old:
        lines.append(
            f"  {entry['id']}  {entry['name'] or '(no name)'}  copy: {outcome_of.get(entry['id'].lower(), 'none')}"
        )
    lines.append(
        "When a copy has succeeded and you have checked it, you may delete the old image in the IMS console (or "
        "keep it); an old image whose copy did not succeed still needs its key."
    )
    return lines


def _outcomes_by_source(batch_id: int) -> dict[str, str]:
    with Ledger() as ledger, BatchStore(ledger) as store:
        return {o.item.source_image_id.lower(): o.word for o in outcomes(store, ledger, batch_id)}


def run(args: argparse.Namespace) -> int:
    out = _RekeyOutput(bool(getattr(args, "json", False)))
    tags, problems = _local_checks(args)
    if problems:
        return out.violations(problems)

    async def main() -> int:
        from imstui.api.image_list import ImageLister  # (httpx loads when a command talks to IMS)

        try:
            ledger = Ledger()
        except LedgerError as exc:
            raise ConfigurationError(f"{exc}; nothing was submitted") from None
        with ledger:
            async with open_client(args) as client:
                kms = kms_client(client, args.kms_endpoint)
                try:
                    old = await key_for_filter(kms, args.from_key)
                    new = await resolve_key(kms, args.to_key)
                except LocalValidationError as exc:
                    return out.violations({exc.field: Violation(exc.rule, exc.message)})
                if new.key_id.lower() == old.key_id.lower():
                    same = Violation("to_key.same", "the new key is the old key: a copy needs another key (IMG.0096)")
                    return out.violations({"to_key": same})
                project_id = await client.ensure_project_id()
                out.progress(f"finding the images encrypted with {old.label}...")
                lister = ImageLister(client, read_ahead=True)  # every page is read
                images = await images_under(lister, old, project_id=project_id)
                target = FilterKey(new.key_id, new.label, new)
                already: dict[str, str] = {}
                if images and not args.again:
                    rows = (  # streamed: a year of history is never held at once
                        r for r in stream(ledger) if isinstance(r, JobRecord) and r.project_id in (None, project_id)
                    )
                    already = await already_copied(lister, rows, images, target, project_id)
                out.extra = rekey_facts(old, target, images, already)
                for entry in out.extra["already_rekeyed"]:
                    out.progress(f"set aside (--again plans it): {entry['id']} {entry['name']}: {entry['evidence']}")
                todo = [i for i in images if i.id.lower() not in already]
                if not todo:
                    what = "lacks a copy under the new key" if images else "is encrypted with it"
                    out.line(f"no image of this project under {old.label} {what}: nothing to re-key")
                    out.document({"ok": True, "sent": False})
                    if images:
                        for text in closing_lines(out.extra, dict.fromkeys(already, "made earlier")):
                            out.line(text)
                    return EXIT_OK
                spec = BatchSpec(
                    sources=tuple(SourceRef(i.id) for i in todo),
                    name_template=args.name_template,
                    description=args.description or None,
                    cmk_id=new.key_id,
                    key_label=new.alias or new.key_id,
                    tags=tuple(tags),
                )
                quota = await read_quota(client)
                plan = build_plan(
                    spec,
                    {i.id.lower(): i for i in images},
                    project_id=project_id,
                    quota=quota,
                    today=datetime.now(timezone.utc).date(),
                    requests=lister.requests + 1,
                )
                code = await run_plan(
                    client,
                    ledger,
                    plan,
                    {i.id.lower(): i for i in images},
                    out,
                    profile=ledger_profile(args),
                    name_template=args.name_template,
                    yes=args.yes,
                    wait=args.wait,
                    timeout=args.timeout,
                    max_in_flight=args.max_in_flight,
                    kind="rekey",
                    from_key=old.key_id,
                )
        if code != EXIT_USAGE and out.batch_id is not None:
            outcome_of = {e["id"].lower(): "made earlier" for e in out.extra["already_rekeyed"]}
            for text in closing_lines(out.extra, {**outcome_of, **_outcomes_by_source(out.batch_id)}):
                out.line(text)
        return code

    return run_batch_command(out, main)
