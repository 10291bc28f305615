"""Text built from a job record for the console: the detail fields and the filter match. The incident summary
(``y``) and the failure explanation are shared with the headless commands (:mod:`imstui.core.report`) and
re-exported here.

Everything here returns plain ``str`` or lists of ``(label, value)`` pairs; the widgets turn them into
``Text``/``Content`` objects, never markup. No Textual import.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from imstui.api.models import JobStatus
from imstui.core.ledger import JobRecord
from imstui.core.report import Explain, explanation_lines, incident_summary, text_or_dash
from imstui.core.wording import format_ago, format_local_and_utc, format_progress, look_of

__all__ = [
    "Explain",
    "JobRecordLike",
    "detail_fields",
    "explanation_lines",
    "incident_summary",
    "record_matches",
]

JobRecordLike = JobRecord  # the panel's record type (kept as a name for callers written against it)
_s = text_or_dash


_DETAIL_LABELS: dict[str, str] = {
    "job_id": "Job id",
    "state": "Ledger state",
    "status": "Job status",
    "progress": "Progress",
    "name": "New image name",
    "description": "Description",
    "new_image_id": "New image id",
    "source_image_id": "Source image id",
    "source_image_name": "Source image name",
    "region": "Region",
    "project_id": "Project id",
    "profile": "Profile",
    "cmk_id": "KMS key (cmk_id)",
    "enterprise_project_id": "Enterprise project",
    "error_code": "Error code",
    "fail_reason": "Failure reason",
    "submitted_at": "Submitted",
    "terminal_at": "Finished",
    "last_polled_at": "Last polled",
    "poll_count": "Polls",
    "last_poll_error": "Last poll error",
    "gone": "Gone from server",
    "retry_of": "Retry of",
    "current_task": "Current task",
    "imported": "Imported",
    "row_id": "Ledger row",
}
_DETAIL_HIDDEN = frozenset({"version"})  # the ledger's internal change counter


def _detail_value(key: str, value: object, now: datetime) -> str:
    if isinstance(value, datetime):
        text = format_local_and_utc(value)
        if key == "last_polled_at":
            text += f", {format_ago(value, now)}"
        return text
    if isinstance(value, JobStatus):
        return value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "progress":
        return format_progress(value if isinstance(value, float) else None)
    return _s(value, multiline=key in ("description", "fail_reason", "last_poll_error"))


def detail_fields(record: JobRecordLike, now: datetime) -> list[tuple[str, str]]:
    """Every field of the record as ``(label, value)``, timestamps in local time and UTC.

    Known fields come first in a reading order; any other dataclass field the ledger grows is listed after them.
    """
    keys = list(_DETAIL_LABELS)
    keys += [
        f.name for f in dataclasses.fields(record) if f.name not in _DETAIL_LABELS and f.name not in _DETAIL_HIDDEN
    ]
    rows: list[tuple[str, str]] = []
    for key in keys:
        if not hasattr(record, key):
            continue
        label = _DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append((label, _detail_value(key, getattr(record, key), now)))
    return rows


def record_matches(record: JobRecordLike, query: str) -> bool:
    """Case-insensitive substring match on the name, ids, status word and error code."""
    needle = query.strip().casefold()
    if not needle:
        return True
    view = look_of(record)
    haystack = (
        record.name,
        record.job_id,
        record.source_image_id,
        record.source_image_name,
        record.new_image_id,
        record.error_code,
        view.word,
        view.phase.value,
        record.status.value if record.status is not None else None,
        str(record.row_id),
    )
    return any(needle in value.casefold() for value in haystack if value)
