"""``imstui batch retry BATCH [--item N ...] [--yes] [--wait] [--json]``: send again the items that failed.

Only items that definitely produced no image are retried (:mod:`imstui.core.batch.retry`): a refused copy request
or a job that ended FAIL. The items to retry are listed (and, with ``--item``, those that will not be, with why),
confirmed as a plan is (``--yes``; a TTY prompt; no TTY: exit 2, nothing changed or sent), re-queued as new
attempts, then the batch is resumed. Nothing to retry: exit 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from imstui.api.errors import ConfigurationError
from imstui.api.models import Image
from imstui.api.sanitize import sanitize
from imstui.commands.batch_run import confirm, execute, find_batch, run_batch_command, same_account
from imstui.commands.deadline import timeout_refused
from imstui.commands.output import EXIT_USAGE, Output
from imstui.connect import open_client
from imstui.core.batch import PENDING, BatchStore, RetryPlan, retry_failed, retry_plan
from imstui.core.ledger import Ledger, LedgerError

__all__ = ["retry_to_dict", "run_retry"]


def retry_to_dict(plan: RetryPlan) -> dict[str, Any]:
    return {
        "retry": [
            {
                "position": c.position,
                "name": c.name,
                "source_image_id": c.source_image_id,
                "previous_attempt": c.why,
                "previous_job_id": c.previous_job_id,
            }
            for c in plan.retry
        ],
        "not_retried": [{"position": r.position, "why": r.why} for r in plan.refused],
    }


def _say_plan(out: Output, plan: RetryPlan) -> None:
    for choice in plan.retry:
        out.progress(f"{choice.position:>4}  retry  {sanitize(choice.name)}  <- {choice.source_image_id}")
        out.progress(f"        previous attempt: {sanitize(choice.why)}")
    for refused in plan.refused:
        out.progress(f"{refused.position:>4}  not retried: {sanitize(refused.why)}")


def run_retry(args: argparse.Namespace) -> int:
    out = Output(bool(getattr(args, "json", False)))

    async def main() -> int:
        bad_timeout = timeout_refused(bool(args.wait), args.timeout)
        if bad_timeout is not None:
            print(f"error: {bad_timeout}", file=out.stderr)
            return EXIT_USAGE
        try:
            ledger = Ledger()
        except LedgerError as exc:
            raise ConfigurationError(f"{exc}; nothing was submitted") from None
        with ledger, BatchStore(ledger) as store:
            batch = find_batch(store, args.batch_id, out)
            if batch is None:
                return EXIT_USAGE
            async with open_client(args) as client:
                if not same_account(args, client, batch, out, "retry"):
                    return EXIT_USAGE
                plan = retry_plan(store, batch.batch_id, args.item)
                _say_plan(out, plan)
                doc = {"batch_id": batch.batch_id, **retry_to_dict(plan)}
                if plan.empty:
                    print(
                        f"error: nothing to retry in batch {batch.batch_id} (only a refused copy or a job that "
                        "ended FAIL is retried; imstui batch show lists the items); nothing was sent",
                        file=out.stderr,
                    )
                    out.document({"ok": False, "sent": False, **doc})
                    return EXIT_USAGE
                what = f"Retry {len(plan.retry)} item(s) of batch {batch.batch_id}"
                if not confirm(out, what, 0, yes=bool(args.yes)):
                    out.document({"ok": False, "sent": False, **doc})
                    return EXIT_USAGE
                done = retry_failed(store, batch.batch_id, [c.position for c in plan.retry])
                for refused in done.refused:
                    if refused not in plan.refused:
                        out.warn(f"item {refused.position}: {refused.why}")
                items = [i for i in store.items(batch.batch_id) if i.state == PENDING]
                others = len(items) - len(done.retry)
                out.progress(
                    f"batch {batch.batch_id}: {len(done.retry)} item(s) to send again"
                    + (f", and {others} not sent yet" if others > 0 else "")
                )
                images = {i.source_image_id: Image(id=i.source_image_id, name=i.source_image_name or "") for i in items}
                doc = {"batch_id": batch.batch_id, **retry_to_dict(done)}
                return await execute(
                    client, ledger, store, batch.batch_id, images, out, wait=bool(args.wait), extra=doc,
                    timeout=args.timeout,
                )  # fmt: skip

    return run_batch_command(out, main)
