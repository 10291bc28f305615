"""Text built from a job record: the incident summary (``y``), the failure explanation, and the detail fields.

Everything here returns plain ``str`` (for the clipboard) or lists of ``(label, value)`` pairs; the widgets turn
them into ``Text``/``Content`` objects, never markup. No Textual import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from imstui import __version__
from imstui.api.catalogue import CodeInfo
from imstui.api.models import JobStatus
from imstui.api.sanitize import sanitize
from imstui.core.ledger import JobRecord
from imstui.ui.status import (
    OUTCOME_UNKNOWN,
    format_ago,
    format_local_and_utc,
    format_progress,
    format_utc,
    is_failed,
    status_view,
)

__all__ = [
    "Explain",
    "JobRecordLike",
    "detail_fields",
    "explanation_lines",
    "incident_summary",
    "record_matches",
]

Explain = Callable[[str | None], CodeInfo | None]


JobRecordLike = JobRecord  # the panel's record type (kept as a name for callers written against it)


def _s(value: object, *, multiline: bool = False) -> str:
    """A sanitised string for any value (``–`` for None/empty)."""
    if value is None or value == "":
        return "–"
    return sanitize(str(value), multiline=multiline)


OUTCOME_UNKNOWN_MEANING = (
    "The copy request was sent but no answer came back, so IMS may or may not have started a copy job."
)
OUTCOME_UNKNOWN_NEXT = (
    "Before retrying, look for an image with this name in the region (lookup); a retry may create a second copy."
)
GONE_MEANING = "IMS no longer knows this job (it may have been purged, or the job id is wrong)."
GONE_NEXT = "Look the new image up by its name in the region to see whether the copy finished."
NO_EXPLANATION = "imstui has no explanation for this code; the reason above is what IMS said."


def explanation_lines(record: JobRecordLike, explain: Explain) -> list[tuple[str, str]]:
    """``[(label, text), ...]`` explaining a failed/unknown/gone record; empty for a healthy one.

    Labels: ``error``, ``reason``, ``meaning``, ``next step``, ``poll error``.
    """
    lines: list[tuple[str, str]] = []
    failed = is_failed(record.state, record.status)
    if failed:
        lines.append(("error", _s(record.error_code) if record.error_code else "(no error code)"))
        if record.fail_reason:
            lines.append(("reason", _s(record.fail_reason, multiline=True)))
        info = explain(record.error_code) if record.error_code else None
        if info is not None:
            lines.append(("meaning", sanitize(info.meaning)))
            lines.append(("next step", sanitize(info.next_step)))
        elif record.error_code:
            lines.append(("meaning", NO_EXPLANATION))
    elif record.state == OUTCOME_UNKNOWN:
        if record.error_code or record.fail_reason:
            lines.append(("error", f"{_s(record.error_code)} {_s(record.fail_reason)}"))
        lines.append(("meaning", OUTCOME_UNKNOWN_MEANING))
        lines.append(("next step", OUTCOME_UNKNOWN_NEXT))
    elif record.gone and not (record.status is not None and record.status.is_terminal):
        lines.append(("meaning", GONE_MEANING))
        lines.append(("next step", GONE_NEXT))
    if record.last_poll_error:
        lines.append(("poll error", _s(record.last_poll_error, multiline=True)))
    return lines


def incident_summary(record: JobRecordLike, explain: Explain, *, version: str = __version__) -> str:
    """A plain-text block for a ticket or chat: ids, region, project, status, error, explanation, UTC times.

    Built only from the record (which holds no credentials), every value sanitised.
    """
    view = status_view(record.state, record.status, record.gone)
    source = _s(record.source_image_id)
    if record.source_image_name:
        source += f" ({_s(record.source_image_name)})"
    rows: list[tuple[str, str]] = [
        ("job id", _s(record.job_id) if record.job_id else "(none: the copy request got no job id)"),
        ("status", view.label),
        ("source image", source),
        ("new image", _s(record.new_image_id)),
        ("new image name", _s(record.name)),
        ("region", _s(record.region)),
        ("project", _s(record.project_id)),
        ("profile", _s(record.profile)),
    ]
    if record.cmk_id:
        rows.append(("cmk id", _s(record.cmk_id)))
    if record.enterprise_project_id:
        rows.append(("enterprise project", _s(record.enterprise_project_id)))
    rows.append(("progress", format_progress(record.progress)))
    explained = explanation_lines(record, explain)
    if not any(label == "error" for label, _ in explained) and (record.error_code or record.fail_reason):
        explained.insert(0, ("error", f"{_s(record.error_code)} {_s(record.fail_reason)}".strip()))
    rows.extend(explained)
    rows.extend(
        [
            ("submitted", format_utc(record.submitted_at)),
            ("finished", format_utc(record.terminal_at)),
            ("last polled", f"{format_utc(record.last_polled_at)} ({record.poll_count} polls)"),
        ]
    )
    if record.retry_of is not None:
        rows.append(("retry of", _s(record.retry_of)))
    rows.append(("imstui", _s(version)))
    width = max(len(label) for label, _ in rows) + 1
    body = "\n".join(f"{(label + ':').ljust(width)} {value}" for label, value in rows)
    return f"imstui copy job report\n{body}\n"


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
    view = status_view(record.state, record.status, record.gone)
    haystack = (
        record.name,
        record.job_id,
        record.source_image_id,
        record.source_image_name,
        record.new_image_id,
        record.error_code,
        view.word,
        record.status.value if record.status is not None else None,
        str(record.row_id),
    )
    return any(needle in value.casefold() for value in haystack if value)
