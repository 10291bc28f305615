"""How one poll result changes a ledger row (:meth:`Ledger.apply_polls` writes what :func:`poll_values` says)."""

from __future__ import annotations

from typing import Any

from imstui.api.models import JobStatus
from imstui.core.ledger.records import JobRecord, PollUpdate, text, to_db_time

__all__ = ["GONE_MESSAGE", "poll_values"]

GONE_MESSAGE = "the server no longer knows this job (purged after it finished, or never existed); last known state kept"


def poll_values(previous: JobRecord, update: PollUpdate) -> dict[str, Any]:
    """The columns to set on ``previous``'s row for ``update``. A finished job never goes back to running."""
    at = to_db_time(update.at)
    values: dict[str, Any] = {"last_polled_at": at, "poll_count": previous.poll_count + 1}
    if update.gone:
        values["gone"] = 1
        values["last_poll_error"] = GONE_MESSAGE
        return values
    if update.error is not None:
        values["last_poll_error"] = text(update.error, multiline=False)
        return values
    job = update.job
    if job is None:
        return values
    values["last_poll_error"] = None
    if previous.is_terminal and not job.status.is_terminal:
        return values  # never un-finish a job on a glitchy answer
    values["status"] = job.status.value
    progress = job.progress
    if job.status is JobStatus.SUCCESS:
        progress = 1.0
    if progress is not None:
        values["progress"] = progress
    if job.new_image_id:
        values["new_image_id"] = text(job.new_image_id)
    if job.current_task is not None or not job.status.is_terminal:
        values["current_task"] = text(job.current_task)
    if job.error_code or job.status is JobStatus.FAIL:
        values["error_code"] = text(job.error_code)
    if job.fail_reason or job.status is JobStatus.FAIL:
        values["fail_reason"] = text(job.fail_reason, multiline=True)
    if job.status.is_terminal and previous.terminal_at is None:
        values["terminal_at"] = at
    if previous.gone:
        values["gone"] = 0
    return values
