"""Running a batch of copies in the console, exactly as the headless commands do (:mod:`imstui.commands.batch_run`),
but in a worker of the app on the console's own session (its client, ledger and the poller that follows the jobs).

- :func:`store_plan`: the confirmed plan into the ledger (:class:`~imstui.core.batch.BatchStore`) BEFORE anything is
  sent; returns the batch id;
- :func:`start_batch`: submit the batch's pending items (a crashed run's claimed items are settled first by
  :func:`~imstui.core.batch.reconcile`): at most N in flight, IMG.0060 waited out, a maybe-sent copy never sent
  again (all :class:`~imstui.core.batch.BatchSubmitter`'s rules);
- :func:`resume_batch`: the same for a batch stored earlier (the jobs panel's "resume");
- :func:`retry_items` / :func:`retry_item`: send refused or failed items again, deliberately
  (:func:`~imstui.core.batch.retry_failed`: never an item whose outcome is unknown).

The worker belongs to the app, not to a screen: leaving the batch form does not stop it. Quitting imstui while it
runs leaves a resumable batch (``imstui batch resume N``; items whose POST was in flight are "outcome unknown" and
never sent again). Every change of an item is posted as :class:`BatchChanged` to the main screen (the bottom of the
screen stack), whose batch rows (:class:`~imstui.ui.widgets.batch_strip.BatchStrip`) read it again; it bubbles on
to the app. A new job row reaches the jobs panel through the app's ``job_changed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from imstui.api.models import Image
from imstui.core.batch import (
    DEFAULT_IN_FLIGHT,
    PENDING,
    REJECTED,
    SENDING,
    UNKNOWN,
    BatchBusyError,
    BatchPlan,
    BatchStore,
    BatchSubmitter,
    ItemEvent,
    SubmitReport,
    SubmitSettings,
    reconcile,
    retry_failed,
)
from imstui.core.ledger import LedgerError
from imstui.ui.batch_messages import WORKER_PREFIX, BatchChanged, announce, running_batches
from imstui.ui.session import console
from imstui.ui.text import plain

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from imstui.core.session import Session

__all__ = [
    "WORKER_PREFIX",
    "BatchChanged",
    "announce",
    "resume_batch",
    "resume_command",
    "retry_item",
    "retry_items",
    "running_batches",
    "start_batch",
    "store_plan",
]


def resume_command(batch_id: int) -> str:
    return f"imstui batch resume {batch_id}"


def store_plan(
    node: DOMNode, plan: BatchPlan, *, name_template: str | None, max_in_flight: int = DEFAULT_IN_FLIGHT
) -> int:
    """Store the confirmed ``plan`` as a new batch of the console's session (nothing is sent); its id. Raises
    ``LedgerError`` when the ledger refuses it, RuntimeError when not connected."""
    session = _session(node)
    with BatchStore(session.ledger) as store:
        batch_id = store.create(
            plan,
            profile=session.profile,
            region=session.region,
            project_id=session.project_id,
            name_template=name_template,
            max_in_flight=max_in_flight,
        )
    announce(node.app, BatchChanged(batch_id))
    return batch_id


def start_batch(
    node: DOMNode, batch_id: int, images: dict[str, Image] | None = None
) -> Worker[SubmitReport | None] | None:
    """Submit the pending items of ``batch_id`` in a worker of the app (None: it is being submitted already, said in
    a notification). ``images``: the source images by id (default: from the stored items, as a resume does)."""
    app = node.app
    if batch_id in running_batches(app):
        app.notify(f"Batch {batch_id} is being submitted already.", severity="warning", markup=False)
        return None
    session = _session(node)
    return app.run_worker(
        _run(app, session, batch_id, images),
        name=f"{WORKER_PREFIX}{batch_id}",
        group=f"{WORKER_PREFIX}{batch_id}",
        exit_on_error=False,
    )


def resume_batch(node: DOMNode, batch_id: int) -> Worker[SubmitReport | None] | None:
    """Send the items of a stored batch not yet sent (what ``imstui batch resume`` does)."""
    return start_batch(node, batch_id)


def retry_items(
    node: DOMNode, batch_id: int, positions: Iterable[int] | None = None
) -> Worker[SubmitReport | None] | None:
    """Send again, as the operator asked, the items that definitely produced no image (refused, or their job
    FAILED: :func:`imstui.core.batch.retry_failed`; ``positions`` None: every such item), then submit them. An item
    whose outcome is unknown, in flight or succeeded is never sent again (a notification says why). None when
    nothing was re-queued."""
    app = node.app
    if batch_id in running_batches(app):
        app.notify(f"Batch {batch_id} is being submitted: retry once it is done.", severity="warning", markup=False)
        return None
    session = _session(node)
    with BatchStore(session.ledger) as store:
        done = retry_failed(store, batch_id, positions)
    if not done.empty:
        announce(app, BatchChanged(batch_id))  # the re-queued items are "to send" now
    for refused in done.refused:
        app.notify(f"Batch {batch_id} item {refused.position}: not sent again: {plain(refused.why)}", markup=False)
    if done.empty:
        if positions is None:
            app.notify(f"Batch {batch_id}: no failed item to retry.", markup=False)
        return None
    app.notify(f"Batch {batch_id}: sending {len(done.retry)} failed item(s) again.", markup=False)
    return start_batch(node, batch_id)


def retry_item(node: DOMNode, batch_id: int, position: int) -> Worker[SubmitReport | None] | None:
    """:func:`retry_items` for one item (the jobs panel's "retry item")."""
    return retry_items(node, batch_id, [position])


# ------------------------------------------------------------------------------------------------- the worker


def _session(node: DOMNode) -> Session:
    session = console(node).session
    if session is None:
        raise RuntimeError("not connected")
    return session


def _stored_images(store: BatchStore, batch_id: int) -> dict[str, Image]:
    """The source images of the items still to send, from the batch (the plan was checked when it was stored; a
    source gone since is refused by IMS and the item is ``rejected``)."""
    items = [i for i in store.items(batch_id) if i.state in (PENDING, SENDING)]
    return {i.source_image_id: Image(id=i.source_image_id, name=i.source_image_name or "") for i in items}


def _on_event(app: App[object], session: Session, batch_id: int) -> Callable[[ItemEvent], None]:
    def said(event: ItemEvent) -> None:
        announce(app, BatchChanged(batch_id, event.position, event.state, event.job_id, event.message))
        if event.job_id is None:
            return
        record = None
        try:
            record = session.ledger.get(event.job_id)
        except LedgerError:
            return
        job_changed = getattr(app, "job_changed", None)  # the app's one way a new row reaches the jobs panel
        if record is not None and callable(job_changed):
            job_changed(record)

    return said


async def _run(
    app: App[object], session: Session, batch_id: int, images: dict[str, Image] | None
) -> SubmitReport | None:
    resume = resume_command(batch_id)
    try:
        with BatchStore(session.ledger) as store:
            batch = store.get(batch_id)
            if batch is None:
                app.notify(f"No batch {batch_id} in the ledger.", severity="error", markup=False)
                return None
            if (batch.profile, batch.region) != (session.profile, session.region):
                app.notify(
                    f"Batch {batch_id} belongs to profile {plain(batch.profile)} in {plain(batch.region)}: "
                    "connect that profile to resume it.",
                    severity="warning",
                    markup=False,
                )
                return None
            store.acquire(batch_id)
            try:
                found = reconcile(store, batch)
                for position in found.unknown:
                    app.notify(
                        f"Batch {batch_id} item {position}: its copy request was in flight when imstui stopped: "
                        "outcome unknown, not sent again.",
                        severity="warning",
                        markup=False,
                    )
                submitter = BatchSubmitter(
                    session.api,
                    session.ledger,
                    store,
                    batch,
                    images if images is not None else _stored_images(store, batch_id),
                    poller=session.poller,
                    settings=SubmitSettings(max_in_flight=batch.max_in_flight, budget=session.poller.settings),
                    on_event=_on_event(app, session, batch_id),
                )
                report = await submitter.run()
            finally:
                store.release(batch_id)
            _say_done(app, store, batch_id, report, resume)
            _say_not_recorded(app, session, batch_id, report)
            return report
    except BatchBusyError as exc:
        app.notify(plain(str(exc)), title=f"Batch {batch_id}", severity="warning", markup=False)
    except LedgerError as exc:
        app.notify(
            f"{plain(str(exc))}; the items not yet sent are resumable: {resume}",
            title=f"Batch {batch_id} stopped",
            severity="error",
            timeout=30,
            markup=False,
        )
    return None


def _say_done(app: App[object], store: BatchStore, batch_id: int, report: SubmitReport, resume: str) -> None:
    items = store.items(batch_id)
    unknown = sum(1 for i in items if i.state == UNKNOWN)
    rejected = sum(1 for i in items if i.state == REJECTED)
    words = [f"{len(report.job_ids)} submitted"]
    if rejected:
        words.append(f"{rejected} refused")
    if unknown:
        words.append(f"{unknown} outcome unknown (check the image list before copying them again)")
    if report.stopped:
        text = f"Batch {batch_id} stopped: {plain(report.stopped)}; {', '.join(words)}. Continue with: {resume}"
        app.notify(text, title=f"Batch {batch_id}", severity="warning", timeout=30, markup=False)
    else:
        severity: SeverityLevel = "warning" if unknown or rejected else "information"
        app.notify(f"Batch {batch_id}: {', '.join(words)}.", title=f"Batch {batch_id}", severity=severity, markup=False)
    announce(app, BatchChanged(batch_id))


def _say_not_recorded(app: App[object], session: Session, batch_id: int, report: SubmitReport) -> None:
    """IMS accepted these copies but the ledger would not store their job ids: the jobs panel cannot follow them.
    Each id is said with the exact command that records it (as the copy form and the headless batch do)."""
    from imstui.core.session import ENV_PROFILE
    from imstui.core.submit import import_command

    profile = None if session.profile == ENV_PROFILE else session.profile
    for missing in report.not_recorded:
        command = import_command(
            missing.job_id, region=session.region, project_id=session.project_id, profile=profile, demo=session.demo
        )
        app.notify(
            f"Item {missing.position}: IMS accepted the copy as job {plain(missing.job_id)}, but it is NOT recorded "
            f"locally. Record it with: {plain(command)}",
            title=f"Batch {batch_id}: copy not recorded",
            severity="warning",
            timeout=60,
            markup=False,
        )
