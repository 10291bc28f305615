"""``imstui batch list|show BATCH|resume BATCH``: the batches of many copies (``imstui copy ID ID ...``).

    imstui batch list [--json]                            every batch: id, when, profile, progress
    imstui batch show BATCH [--json]                      its items: outcome, target name, job id, reason
    imstui batch resume BATCH [--yes] [--wait] [--json]   after a crash or a stop: send the items not yet sent
    imstui batch retry BATCH [--item N ...] [--yes] [--wait] [--json]
                                                          send again the items whose copy was refused or FAILED

A resume first settles the items a stopped run had claimed: an item whose copy request was written to the ledger
but has no job id has an UNKNOWN outcome and is never sent again (check the image list; copy it by hand if it is
not there); an item whose request was never written is sent. Items already sent are never sent again. The items
still to send are listed and confirmed as a new plan is (``--yes``; a TTY prompt; no TTY: exit 2, nothing sent).
It must run with the batch's profile and region (the ledger remembers them). Exit codes as for ``imstui copy``.

A retry sends again only the items that definitely produced no image: a refused copy request, or a job that ended
FAIL. An item with an unknown outcome (its copy may exist), one in flight, or one whose job IMS forgot before it
ended is never retried (said with why). Each retry is a new attempt: the failed job stays in ``imstui jobs``, the
new one says "retry of" it. Confirmed as a resume is; then the batch is resumed (items not yet sent go too).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from imstui.api.errors import ConfigurationError, ImstuiError
from imstui.api.models import Image
from imstui.api.sanitize import sanitize
from imstui.commands.batch_retry import run_retry
from imstui.commands.batch_run import (
    confirm,
    execute,
    find_batch,
    item_to_dict,
    not_recorded,
    outcome_line,
    record_command,
    run_batch_command,
    same_account,
)
from imstui.commands.deadline import add_timeout_argument
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Output, add_command
from imstui.connect import open_client
from imstui.core.batch import PENDING, SENDING, BatchRecord, BatchStore
from imstui.core.batch.outcome import BatchProgress, outcomes, progress
from imstui.core.ledger import Ledger, LedgerError

__all__ = ["batch_to_dict", "register"]


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers, common, "batch", help="list, show or resume batches of copies", description=__doc__ or ""
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.set_defaults(handler=run_list)
    sub = parser.add_subparsers(dest="batch_command", metavar="ACTION")
    listing = sub.add_parser("list", parents=[common], help="every batch with its progress")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=run_list)
    show = sub.add_parser("show", parents=[common], help="the items of a batch and what became of each")
    show.add_argument("batch_id", metavar="BATCH", type=int)
    show.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    show.set_defaults(handler=run_show)
    resume = sub.add_parser("resume", parents=[common], help="send the items of a batch not yet sent")
    resume.add_argument("batch_id", metavar="BATCH", type=int)
    resume.add_argument("--yes", "-y", action="store_true", help="send without asking")
    resume.add_argument("--wait", action="store_true", help="follow every job of the batch to its end")
    add_timeout_argument(resume, prefix="with --wait: ")
    resume.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    resume.set_defaults(handler=run_resume)
    retry = sub.add_parser("retry", parents=[common], help="send again the items that failed (refused, job FAIL)")
    retry.add_argument("batch_id", metavar="BATCH", type=int)
    retry.add_argument(
        "--item", type=int, action="append", metavar="N", help="only item N (repeatable; default: every failed item)"
    )
    retry.add_argument("--yes", "-y", action="store_true", help="send without asking")
    retry.add_argument("--wait", action="store_true", help="follow every job of the batch to its end")
    add_timeout_argument(retry, prefix="with --wait: ")
    retry.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    retry.set_defaults(handler=run_retry)


def batch_to_dict(batch: BatchRecord) -> dict[str, Any]:
    return {
        "batch_id": batch.batch_id,
        "created_at": batch.created_at.isoformat(),
        "kind": batch.kind,
        "profile": batch.profile,
        "region": batch.region,
        "project_id": batch.project_id,
        "name_template": batch.name_template,
        "key": batch.key_label,
        "from_key": batch.from_key,
        "max_in_flight": batch.max_in_flight,
    }


def counts_to_dict(counts: BatchProgress) -> dict[str, int]:
    """The counts behind the progress words (the console's batch row says the same words)."""
    return dataclasses.asdict(counts)


def _open(out: Output) -> Ledger | None:
    try:
        return Ledger()
    except LedgerError as exc:
        out.error(ImstuiError(str(exc)))
        return None


def run_list(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    ledger = _open(out)
    if ledger is None:
        return EXIT_FAILURE
    with ledger, BatchStore(ledger) as store:
        rows = []
        for batch in store.batches():
            counts = progress(outcomes(store, ledger, batch.batch_id))
            words = counts.words
            rows.append({**batch_to_dict(batch), "progress": words, "counts": counts_to_dict(counts)})
            when = batch.created_at.strftime("%Y-%m-%d %H:%M")
            out.line(f"{batch.batch_id:>5}  {when}  {batch.kind:<5}  {sanitize(batch.profile)}  {words}")
    if not rows:
        out.line("no batches")
    out.document({"ok": True, "batches": rows})
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))
    ledger = _open(out)
    if ledger is None:
        return EXIT_FAILURE
    with ledger, BatchStore(ledger) as store:
        batch = find_batch(store, args.batch_id, out)
        if batch is None:
            return EXIT_USAGE
        results = outcomes(store, ledger, batch.batch_id)
        counts = progress(results)
        words = counts.words
        out.line(f"batch {batch.batch_id} ({batch.kind}, {sanitize(batch.profile)}, {batch.region}): {words}")
        for outcome in results:
            out.line(outcome_line(outcome))
            if not_recorded(outcome) and outcome.item.job_id:
                out.line(f"        not in the job ledger; record it with: {record_command(batch, outcome.item.job_id)}")
        items = [item_to_dict(o, batch) for o in results]
        out.document(
            {"ok": True, **batch_to_dict(batch), "progress": words, "counts": counts_to_dict(counts), "items": items}
        )
    return EXIT_OK


def run_resume(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))

    async def main() -> int:
        try:
            ledger = Ledger()
        except LedgerError as exc:
            raise ConfigurationError(f"{exc}; nothing was submitted") from None
        with ledger, BatchStore(ledger) as store:
            batch = find_batch(store, args.batch_id, out)
            if batch is None:
                return EXIT_USAGE
            async with open_client(args) as client:
                if not same_account(args, client, batch, out, "resume"):
                    return EXIT_USAGE
                items = store.items(batch.batch_id)
                todo = [i for i in items if i.state in (PENDING, SENDING)]
                claimed = sum(1 for i in items if i.state == SENDING)
                out.progress(
                    f"batch {batch.batch_id}: {len(todo)} item(s) not settled"
                    + (f" ({claimed} claimed by the stopped run: settled from the ledger first)" if claimed else "")
                )
                for item in todo:
                    out.progress(
                        f"{item.position:>4}  {item.state:<8}  {sanitize(item.name)}  <- {item.source_image_id}"
                    )
                if todo and not confirm(out, f"Resume batch {batch.batch_id}", 0, yes=bool(args.yes)):
                    return EXIT_USAGE
                # The plan was checked when it was stored; a source gone since is refused by IMS (rejected).
                images = {i.source_image_id: Image(id=i.source_image_id, name=i.source_image_name or "") for i in todo}
                wait, timeout = bool(args.wait), args.timeout
                return await execute(client, ledger, store, batch.batch_id, images, out, wait=wait, timeout=timeout)

    return run_batch_command(out, main)
