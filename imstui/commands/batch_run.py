"""Running a batch from a headless command (``imstui copy ID ID ...``, ``imstui batch resume``, ``imstui rekey``):
print the plan, confirm it, store it, submit it, follow it, say what became of every item.

Rules: the plan is printed first (one line per item: verdict, target name, key; the reasons of skipped items
under them; duplicates merged said once). An empty plan exits 2. Without ``--yes`` the operator is asked on a
TTY; without a TTY the command exits 2 having sent nothing. With ``--yes`` skipped items are said and skipped.
``--wait`` follows every job and exits 0 only if every item succeeded; without it, 0 when every item was sent.
``--json`` prints one document with every item's outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from imstui.api.models import Image
from imstui.api.protocol import ImsApi
from imstui.api.sanitize import sanitize
from imstui.commands.deadline import Deadline, timed_out_line, timeout_refused
from imstui.commands.jobs import ENV_PROFILE_FALLBACK, ledger_profile, poller_timing
from imstui.commands.output import EXIT_FAILURE, EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, Output, run_command
from imstui.core.batch import (
    DEFAULT_IN_FLIGHT,
    MAX_IN_FLIGHT,
    SENT,
    BatchPlan,
    BatchRecord,
    BatchStore,
    BatchSubmitter,
    ItemEvent,
    PlanItem,
    SubmitReport,
    SubmitSettings,
    reconcile,
)
from imstui.core.batch.outcome import ItemOutcome, outcomes, progress_words
from imstui.core.ledger import Ledger
from imstui.core.poller import Poller, PollSettings
from imstui.core.session import DEMO_PROFILE, tag_with
from imstui.core.submit import import_command
from imstui.core.tagging import Tagger
from imstui.core.validation import Violation

__all__ = [
    "BATCH_POLL_SETTINGS",
    "confirm",
    "execute",
    "find_batch",
    "item_to_dict",
    "plan_lines",
    "plan_to_dict",
    "run_plan",
    "same_account",
]

EXIT_NOT_RECORDED = 3  # as imstui copy: IMS accepted a copy whose job id the ledger could not store (printed)
BATCH_POLL_SETTINGS = PollSettings(first_delay=2.0, initial_interval=3.0, max_interval=10.0, jitter=0.1)


def run_batch_command(out: Output, main: Callable[[], Awaitable[int]]) -> int:
    """:func:`run_command` for the commands that submit a plan: Ctrl+C says what is resumable (exit 130)."""
    try:
        return run_command(out, main)
    except KeyboardInterrupt:
        print(
            "interrupted: items whose copy request was in flight have an unknown outcome; the others are resumable "
            "(imstui batch list, then imstui batch resume BATCH)",
            file=out.stderr,
        )
        return 130


def find_batch(store: BatchStore, batch_id: int, out: Output) -> BatchRecord | None:
    """The batch ``batch_id`` of the ledger; if there is none, say so (a line, and the JSON document)."""
    batch = store.get(batch_id)
    if batch is None:
        print(f"error: no batch {batch_id} (imstui batch list shows them)", file=out.stderr)
        out.document({"ok": False, "error": {"type": "NotFound", "message": f"no batch {batch_id}"}})
    return batch


def same_account(args: argparse.Namespace, client: ImsApi, batch: BatchRecord, out: Output, what: str) -> bool:
    """The command runs with the batch's profile and region (the ledger remembers them); if not, say so."""
    if (ledger_profile(args), client.region) == (batch.profile, batch.region):
        return True
    print(
        f"error: batch {batch.batch_id} belongs to profile {sanitize(batch.profile)} in "
        f"{batch.region}; run the {what} with those (--profile, --region); nothing was sent",
        file=out.stderr,
    )
    return False


def add_in_flight_argument(parser: Any) -> None:
    """``--max-in-flight N`` (a parser or an argument group): the copies a batch keeps running at once."""
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=DEFAULT_IN_FLIGHT,
        metavar="N",
        help=f"copies in flight at once (default {DEFAULT_IN_FLIGHT}, at most {MAX_IN_FLIGHT})",
    )


def in_flight_violation(value: int) -> Violation | None:
    """The rule for ``--max-in-flight``: 1 to :data:`MAX_IN_FLIGHT` (IMS runs at most 40 image tasks at once)."""
    if 1 <= value <= MAX_IN_FLIGHT:
        return None
    return Violation(
        "max_in_flight.range", f"--max-in-flight is 1 to {MAX_IN_FLIGHT} (IMS runs at most 40 image tasks)"
    )


def _key_text(item: PlanItem, plan: BatchPlan) -> str:
    if not item.cmk_id:
        return "key: none given"
    return f"key: {plan.key_label or item.cmk_id}"


def plan_lines(plan: BatchPlan) -> list[str]:
    """The plan as printed: a line per item (verdict, target name, key), its reasons or warnings below it."""
    lines: list[str] = []
    width = max((len(i.verdict.value) for i in plan.items), default=5)
    for item in plan.items:
        name = sanitize(item.target_name) or "(no name)"
        source = sanitize(item.source_image_id)[:36]
        lines.append(f"{item.position:>4}  {item.verdict.value:<{width}}  {name}  {_key_text(item, plan)}  <- {source}")
        for reason in item.reasons:
            lines.append(f"        x {sanitize(reason)}")
        for warning in item.warnings:
            lines.append(f"        ! {sanitize(warning)}")
    for merged in plan.merged:
        lines.append(f"note: {sanitize(merged)} was given more than once; it is copied once")
    if plan.quota is not None:
        lines.append(plan.quota.line)
    lines.append(f"{len(plan.ready)} to copy, {len(plan.skipped)} skipped ({plan.requests} requests to plan)")
    return lines


def plan_item_to_dict(item: PlanItem) -> dict[str, Any]:
    return {
        "position": item.position,
        "source_image_id": item.source_image_id,
        "source_image_name": item.source_name,
        "name": item.target_name,
        "verdict": item.verdict.value,
        "reasons": list(item.reasons),
        "warnings": list(item.warnings),
        "cmk_id": item.cmk_id,
        "enterprise_project_id": item.enterprise_project_id,
        "tags": [str(t) for t in item.tags],
    }


def plan_to_dict(plan: BatchPlan) -> dict[str, Any]:
    return {
        "items": [plan_item_to_dict(i) for i in plan.items],
        "merged_duplicates": list(plan.merged),
        "quota": plan.quota.line if plan.quota is not None else None,
        "ready": len(plan.ready),
        "skipped": len(plan.skipped),
        "requests": plan.requests,
    }


def confirm(out: Output, what: str, skipped: int, *, yes: bool, stdin: TextIO | None = None) -> bool:
    """Go on? ``--yes``: yes (skipped items said); a TTY: ask; no TTY: no (the caller exits 2, nothing sent)."""
    if yes:
        if skipped:
            out.progress(f"skipping {skipped} item(s) listed above (--yes)")
        return True
    stream = stdin or sys.stdin
    if not stream.isatty():
        print("not confirmed: no terminal to ask on; run again with --yes to send (nothing was sent)", file=out.stderr)
        return False
    reduced = f", skipping the {skipped} listed with a reason" if skipped else ""
    print(f"{what}{reduced}? [y/N] ", end="", file=out.stderr, flush=True)
    answer = stream.readline().strip().lower()
    if answer in ("y", "yes"):
        return True
    print("not confirmed: nothing was sent", file=out.stderr)
    return False


def not_recorded(outcome: ItemOutcome) -> bool:
    """IMS gave the item a job id that the ledger's jobs table does not hold (its write failed after the POST)."""
    return bool(outcome.item.job_id) and outcome.record is None and outcome.item.state == SENT


def record_command(batch: BatchRecord, job_id: str) -> str:
    """The exact ``imstui jobs import`` command that records ``job_id`` under the batch's profile, region, project."""
    profile = None if batch.profile in (ENV_PROFILE_FALLBACK, DEMO_PROFILE) else batch.profile
    demo = batch.profile == DEMO_PROFILE
    return import_command(job_id, region=batch.region, project_id=batch.project_id, profile=profile, demo=demo)


def item_to_dict(outcome: ItemOutcome, batch: BatchRecord | None = None) -> dict[str, Any]:
    item = outcome.item
    unrecorded = not_recorded(outcome)
    recording: dict[str, Any] = {}
    if item.job_id:
        recording["recorded"] = not unrecorded
        if unrecorded and batch is not None:
            recording["record_command"] = record_command(batch, item.job_id)
    return {
        "position": item.position,
        "source_image_id": item.source_image_id,
        "source_image_name": item.source_image_name,
        "name": item.name,
        "verdict": item.verdict,
        "state": item.state,
        "outcome": outcome.word,
        "job_id": item.job_id,
        "new_image_id": outcome.new_image_id,
        "error_code": (outcome.record.error_code if outcome.record else None) or item.error_code,
        "reason": (outcome.record.fail_reason if outcome.record and outcome.record.fail_reason else None)
        or item.reason,
        "flow_waits": item.flow_waits,
        "tags": [str(t) for t in item.tags],
        "tags_state": outcome.record.tags_state if outcome.record is not None else None,
        "tags_error": outcome.record.tags_error if outcome.record is not None else None,
        **recording,
    }


def outcome_line(outcome: ItemOutcome) -> str:
    item = outcome.item
    job = f"job {item.job_id}" if item.job_id else "no job id"
    reason = outcome.record.fail_reason if outcome.record and outcome.record.fail_reason else item.reason
    tail = f" — {sanitize(reason)[:160]}" if reason and not outcome.succeeded else ""
    record = outcome.record
    if record is not None and record.tags_state is not None:  # the tags asked for: pending, applied, failed
        tail += f"  tags {record.tags_state}" + (f": {sanitize(record.tags_error)[:120]}" if record.tags_error else "")
    return f"{item.position:>4}  {outcome.word:<15}  {sanitize(item.name)}  {job}{tail}"


async def execute(
    client: ImsApi,
    ledger: Ledger,
    store: BatchStore,
    batch_id: int,
    images: dict[str, Image],
    out: Output,
    *,
    wait: bool,
    extra: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> int:
    """Submit the batch's pending items (reconciling a crashed run first), follow them with ``wait`` (for at
    most ``timeout`` seconds of the poller's clock: then exit 124, the jobs go on), report."""
    refused = timeout_refused(wait, timeout)
    if refused is not None:
        print(f"error: {refused}", file=out.stderr)
        return EXIT_USAGE
    batch = store.get(batch_id)
    assert batch is not None
    store.acquire(batch_id)
    try:
        found = reconcile(store, batch)
        for position in found.unknown:
            out.warn(f"item {position}: its copy request was in flight when imstui stopped: outcome unknown, not sent")
        timing = poller_timing()
        deadline = Deadline(timeout if wait else None, timing)  # its sleeps are cut only once the wait began
        poller = Poller(client, ledger, profile=batch.profile, settings=BATCH_POLL_SETTINGS, **deadline.timing)
        tagger = Tagger(ledger, tag_with(client))  # an item's tags go on once its job succeeded (with --wait)
        detach = tagger.attach(poller)
        runner = asyncio.create_task(poller.run())
        await asyncio.sleep(0)  # run() begins (a stop() before it would be forgotten: the poller would not end)
        submitter = BatchSubmitter(
            client,
            ledger,
            store,
            batch,
            images,
            poller=poller,
            settings=SubmitSettings(max_in_flight=batch.max_in_flight, budget=BATCH_POLL_SETTINGS),
            on_event=_say(out),
            **({"sleep": timing["sleep"], "clock": timing["clock"]} if timing else {}),
        )
        try:
            report = await submitter.run()
            if wait:
                sent = [
                    o.item.job_id
                    for o in outcomes(store, ledger, batch_id)
                    if o.item.job_id and not o.finished and not not_recorded(o)  # no row: nothing to follow it by
                ]
                if sent:
                    out.progress(f"following {len(sent)} job(s) to their end (Ctrl+C stops following, not the jobs)")
                    await deadline.race(poller.run_until_done(sent), poller.stop)
                # Also when every job ended while the plan was being sent: their tagging may still be in flight.
                await tagger.drain()
        finally:
            poller.stop()
            await asyncio.gather(runner, return_exceptions=True)
            detach()
            await tagger.aclose()  # attempts cut short stay pending: tagged by the next process that follows
    finally:
        store.release(batch_id)
    limit = deadline.seconds if deadline.expired else None
    return _report(out, store, ledger, batch_id, report, wait=wait, checks=poller.checks, extra=extra, limit=limit)


def _say(out: Output) -> Callable[[ItemEvent], None]:
    def say(event: ItemEvent) -> None:
        job = f" job {event.job_id}" if event.job_id else ""
        note = f": {sanitize(event.message)[:200]}" if event.message else ""
        out.progress(f"item {event.position}: {event.state}{job}{note}")

    return say


def _report(
    out: Output,
    store: BatchStore,
    ledger: Ledger,
    batch_id: int,
    report: SubmitReport,
    *,
    wait: bool,
    checks: int,
    extra: dict[str, Any] | None,
    limit: float | None = None,
) -> int:
    batch = store.get(batch_id)
    assert batch is not None
    results = outcomes(store, ledger, batch_id)
    ok = all(o.succeeded for o in results) if wait else all(o.item.job_id for o in results)
    out.line(f"batch {batch_id}: {progress_words(results)}")
    for outcome in results:  # the items to look at (without --wait, running ones are fine)
        if not outcome.succeeded and (wait or outcome.finished):
            out.line(outcome_line(outcome))
    unrecorded = _say_not_recorded(out, batch, results, report)
    running = [o for o in results if o.item.job_id and not o.finished]
    if limit is not None and running:  # --timeout ran out: say so once; the jobs go on server-side
        out.progress(timed_out_line(limit, len(running)))
        extra = {**(extra or {}), "timed_out": True}
    unknown = [o for o in results if o.word == "outcome_unknown"]
    if unknown:
        out.line(
            f"{len(unknown)} item(s) have an unknown outcome: their copy may exist; check the image list before "
            "copying them again (imstui never sends them again by itself)"
        )
    if report.stopped:
        out.line(f"stopped: {sanitize(report.stopped)}; continue with: imstui batch resume {batch_id}")
    out.document(
        {
            "ok": ok and report.stopped is None,
            "batch_id": batch_id,
            **(extra or {}),
            "progress": progress_words(results),
            "posts": report.posts,
            "status_checks": checks,
            "flow_waits": report.flow_waits,
            "peak_in_flight": report.peak_in_flight,
            "stopped": report.stopped,
            "items": [item_to_dict(o, batch) for o in results],
            **({"not_recorded": unrecorded} if unrecorded else {}),
        }
    )
    if unrecorded:
        return EXIT_NOT_RECORDED
    if "timed_out" in (extra or {}):
        return EXIT_TIMEOUT
    return EXIT_OK if ok and report.stopped is None else EXIT_FAILURE


def _say_not_recorded(
    out: Output, batch: BatchRecord, results: list[ItemOutcome], report: SubmitReport
) -> list[dict[str, Any]]:
    """Per item IMS accepted but the ledger could not record: the id and the exact command that records it
    later (as ``imstui copy`` says it, exit 3). Also items whose batch record could not keep the id."""
    recorded = {o.item.position for o in results if o.record is not None}
    found = {lost.position: (lost.job_id, lost.error) for lost in report.not_recorded if lost.position not in recorded}
    for outcome in results:
        if not_recorded(outcome) and outcome.item.job_id:
            found.setdefault(outcome.item.position, (outcome.item.job_id, outcome.item.reason or ""))
    said: list[dict[str, Any]] = []
    for position, (job_id, why) in sorted(found.items()):
        command = record_command(batch, job_id)
        print(
            f"error: item {position}: IMS accepted the copy as job {job_id}, but the job ledger could not record it"
            + (f": {sanitize(why)[:400]}" if why else ""),
            file=out.stderr,
        )
        print(f"  record it once the ledger can be written again: {command}", file=out.stderr)
        said.append({"position": position, "job_id": job_id, "record_command": command})
    return said


async def run_plan(
    client: ImsApi,
    ledger: Ledger,
    plan: BatchPlan,
    images: dict[str, Image],
    out: Output,
    *,
    profile: str,
    name_template: str | None,
    yes: bool,
    wait: bool,
    max_in_flight: int,
    kind: str = "copy",
    from_key: str | None = None,
    timeout: float | None = None,
) -> int:
    """Print ``plan``, confirm it, store it (before anything is sent), then :func:`execute` it."""
    refused = timeout_refused(wait, timeout)
    if refused is not None:
        print(f"error: {refused}", file=out.stderr)
        return EXIT_USAGE
    for text in plan_lines(plan):
        out.progress(text)
    doc = {"plan": plan_to_dict(plan)}
    if plan.empty:
        print("error: nothing to copy (every item is skipped, reasons above); nothing was sent", file=out.stderr)
        out.document({"ok": False, "sent": False, **doc})
        return EXIT_USAGE
    if any(item.tags for item in plan.ready) and not wait:
        out.progress(
            "the tags go on each new image once its copy succeeded (with --wait, imstui jobs watch, or the console)"
        )
    if not confirm(out, f"Copy {len(plan.ready)} image(s)", len(plan.skipped), yes=yes):
        out.document({"ok": False, "sent": False, **doc})
        return EXIT_USAGE
    with BatchStore(ledger) as store:
        batch_id = store.create(
            plan,
            profile=profile,
            region=client.region,
            project_id=client.project_id,
            name_template=name_template,
            max_in_flight=max_in_flight,
            kind=kind,
            from_key=from_key,
        )
        out.progress(
            f"batch {batch_id} stored ({len(plan.ready)} to send); if interrupted: imstui batch resume {batch_id}"
        )
        return await execute(client, ledger, store, batch_id, images, out, wait=wait, extra=doc, timeout=timeout)
