"""Text built from a job record for the console: the detail fields and the filter match. The incident summary
(``y``) and the failure explanation are shared with the headless commands (:mod:`imstui.core.report`) and
re-exported here.

Everything here returns plain ``str`` or lists of ``(label, value)`` pairs; the widgets turn them into
``Text``/``Content`` objects, never markup. No Textual import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from imstui.api.job_status import JobStatus
from imstui.core.ledger import JobRecord
from imstui.core.report import Explain, explanation_lines, incident_summary, text_or_dash
from imstui.core.wording import format_ago, format_local_and_utc, format_progress, format_utc, look_of

__all__ = [
    "Explain",
    "JobRecordLike",
    "detail_fields",
    "explanation_lines",
    "incident_summary",
    "record_matches",
    "retry_links",
    "search_text",
]

JobRecordLike = JobRecord  # the panel's record type (kept as a name for callers written against it)
_s = text_or_dash


_DETAIL_LABELS: dict[str, str] = {
    "job_id": "Job id",
    "phase": "Status",
    "status": "IMS status",
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
    "retried_as": "Retried as",
    "current_task": "Current task",
    "imported": "Imported",
    "row_id": "Ledger row",
}
# The ledger's internal change counter, and its submission state (the Status line says it in the Phase words).
_DETAIL_HIDDEN = frozenset({"version", "state"})
_DERIVED = frozenset({"phase", "retried_as"})  # not record fields: worked out from the record and its links


def time_text(moment: datetime) -> str:
    """Local time and UTC, or UTC alone where the local zone is UTC (each time printed once)."""
    local = moment.astimezone() if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc).astimezone()
    return format_utc(moment) if local.utcoffset() == timedelta(0) else format_local_and_utc(moment)


def _detail_value(key: str, value: object, now: datetime) -> str:
    if isinstance(value, datetime):
        text = time_text(value)
        if key == "last_polled_at":
            text += f", {format_ago(value, now)}"
        return text
    if isinstance(value, JobStatus):
        return value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "progress":
        return format_progress(value if isinstance(value, float) else None)
    if key == "tags" and isinstance(value, tuple):  # ImageTag tuple (tags on the copy): key=value, ...
        return ", ".join(_s(str(tag)) for tag in value) or "none"
    return _s(value, multiline=key in ("description", "fail_reason", "last_poll_error"))


def detail_fields(
    record: JobRecordLike, now: datetime, *, retry_of: str | None = None, retried_as: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """Every field of the record as ``(label, value)``, timestamps in local time and UTC.

    Known fields come first in a reading order; any other dataclass field the ledger grows is listed after them.
    ``retry_of``/``retried_as`` name the linked copies by job id (the panel knows them); without ``retry_of`` a
    retry says "an earlier copy", never a ledger row number.
    """
    derived: dict[str, str] = {"phase": look_of(record).word}
    if record.retry_of is not None:
        derived["retry_of"] = retry_of or "an earlier copy"
    if retried_as:
        derived["retried_as"] = ", ".join(retried_as)
    keys = list(_DETAIL_LABELS)
    keys += [
        f.name for f in dataclasses.fields(record) if f.name not in _DETAIL_LABELS and f.name not in _DETAIL_HIDDEN
    ]
    rows: list[tuple[str, str]] = []
    for key in keys:
        label = _DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())
        if key in derived:
            rows.append((label, _s(derived[key])))
        elif hasattr(record, key) and key not in _DERIVED and key != "retry_of":
            rows.append((label, _detail_value(key, getattr(record, key), now)))
    return rows


def record_matches(record: JobRecordLike, query: str) -> bool:
    """Case-insensitive substring match on the name, ids, status word and error code."""
    needle = query.strip().casefold()
    return not needle or needle in search_text(record)


def search_text(record: JobRecordLike) -> str:
    """The fields :func:`record_matches` searches, casefolded, one string (a NUL between fields, so a needle never
    matches across two of them): the panel keeps it per row so a filter keystroke is one ``in`` per row."""
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
    return "\x00".join(value.casefold() for value in haystack if value)


def retry_links(record: JobRecordLike, records: Iterable[JobRecordLike]) -> tuple[str | None, list[str]]:
    """``(retry of, retried as)``: the job id of the copy ``record`` retried and those of the copies that retried
    it, found in ``records`` (a copy without a job id is described, never named by its ledger row)."""
    retry_of = None
    retries: list[str] = []
    for other in records:
        if record.retry_of is not None and other.row_id == record.retry_of:
            retry_of = other.job_id or "an earlier copy with no job id"
        if other.retry_of == record.row_id:
            retries.append(other.job_id or "a copy with no job id yet")
    return retry_of, retries
