"""The incident summary and the failure explanation, for both fronts.

The console copies :func:`incident_summary` (``y``) and shows :func:`explanation_lines` in its failure strip;
``imstui job`` prints :func:`job_report_lines` with the same labels, rows and words. Everything here is plain
``str``, every value sanitised; the console turns it into ``Text``/``Content``, never markup. No Textual import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from imstui import __version__
from imstui.api.catalogue import UNKNOWN_NEXT_STEP, CodeInfo
from imstui.api.job_status import JobStatus
from imstui.api.sanitize import sanitize
from imstui.core.jobs import FAILED_PHASES, Phase, phase_of
from imstui.core.ledger import JobRecord
from imstui.core.wording import LOOKS, format_progress, format_utc, live_job_status, tags_sentence

if TYPE_CHECKING:
    from imstui.api.models import Job

__all__ = [
    "GONE_MEANING",
    "GONE_NEXT",
    "NO_EXPLANATION",
    "OUTCOME_UNKNOWN_MEANING",
    "OUTCOME_UNKNOWN_NEXT",
    "Explain",
    "aligned",
    "explanation_lines",
    "failure_rows",
    "incident_summary",
    "job_report_lines",
    "text_or_dash",
]

Explain = Callable[[str | None], CodeInfo | None]

OUTCOME_UNKNOWN_MEANING = (
    "The copy request was sent but no answer came back, so IMS may or may not have started a copy job."
)
OUTCOME_UNKNOWN_NEXT = (
    "Before retrying, look for an image with this name in the region (lookup); a retry may create a second copy."
)
GONE_MEANING = "IMS no longer knows this job (it may have been purged, or the job id is wrong)."
GONE_NEXT = "Look the new image up by its name in the region to see whether the copy finished."
NO_EXPLANATION = "this code is not in imstui's table of IMS and gateway codes; the reason above is what IMS said."


def text_or_dash(value: object, *, multiline: bool = False) -> str:
    """A sanitised string for any value (``–`` for None/empty)."""
    if value is None or value == "":
        return "–"
    return sanitize(str(value), multiline=multiline)


def failure_rows(error_code: str | None, fail_reason: str | None, explain: Explain) -> list[tuple[str, str]]:
    """``error``, ``reason``, ``meaning``, ``next step`` of a failed job (the catalogue's words for its code)."""
    rows = [("error", text_or_dash(error_code) if error_code else "(no error code)")]
    if fail_reason:
        rows.append(("reason", text_or_dash(fail_reason, multiline=True)))
    info = explain(error_code) if error_code else None
    if info is not None:
        rows.append(("meaning", sanitize(info.meaning)))
        rows.append(("next step", sanitize(info.next_step)))
    elif error_code:
        rows.append(("meaning", NO_EXPLANATION))
        rows.append(("next step", UNKNOWN_NEXT_STEP))
    return rows


def explanation_lines(record: JobRecord, explain: Explain) -> list[tuple[str, str]]:
    """``[(label, text), ...]`` explaining a failed/unknown/gone record; empty for a healthy one.

    Labels: ``error``, ``reason``, ``meaning``, ``next step``, ``poll error``.
    """
    lines: list[tuple[str, str]] = []
    phase = phase_of(record)
    if phase in FAILED_PHASES:
        lines.extend(failure_rows(record.error_code, record.fail_reason, explain))
    elif phase is Phase.OUTCOME_UNKNOWN:
        if record.error_code or record.fail_reason:
            lines.append(("error", f"{text_or_dash(record.error_code)} {text_or_dash(record.fail_reason)}"))
        lines.append(("meaning", OUTCOME_UNKNOWN_MEANING))
        lines.append(("next step", OUTCOME_UNKNOWN_NEXT))
    elif phase is Phase.GONE:
        lines.append(("meaning", GONE_MEANING))
        lines.append(("next step", GONE_NEXT))
    if record.last_poll_error:
        lines.append(("poll error", text_or_dash(record.last_poll_error, multiline=True)))
    return lines


def aligned(rows: Sequence[tuple[str, str]]) -> list[str]:
    """``label: value`` lines with the values in one column."""
    width = max((len(label) for label, _ in rows), default=0) + 1
    return [f"{(label + ':').ljust(width)} {value}" for label, value in rows]


def incident_summary(record: JobRecord, explain: Explain, *, version: str = __version__) -> str:
    """A plain-text block for a ticket or chat: ids, region, project, status, error, explanation, UTC times.

    Built only from the record (which holds no credentials), every value sanitised.
    """
    s = text_or_dash
    source = s(record.source_image_id)
    if record.source_image_name:
        source += f" ({s(record.source_image_name)})"
    rows: list[tuple[str, str]] = [
        ("job id", s(record.job_id) if record.job_id else "(none: the copy request got no job id)"),
        ("status", LOOKS[phase_of(record)].label),
        ("source image", source),
        ("new image", s(record.new_image_id)),
        ("new image name", s(record.name)),
        ("region", s(record.region)),
        ("project", s(record.project_id)),
        ("profile", s(record.profile)),
    ]
    if record.cmk_id:
        rows.append(("cmk id", s(record.cmk_id)))
    if record.enterprise_project_id:
        rows.append(("enterprise project", s(record.enterprise_project_id)))
    rows.append(("progress", format_progress(record.progress)))
    tags = tags_sentence(record.tags_state, len(record.tags), record.tags_error)
    if tags is not None:
        rows.append(("tags", f"{tags}: {', '.join(s(str(t)) for t in record.tags)}"))
    explained = explanation_lines(record, explain)
    if not any(label == "error" for label, _ in explained) and (record.error_code or record.fail_reason):
        explained.insert(0, ("error", f"{s(record.error_code)} {s(record.fail_reason)}".strip()))
    rows.extend(explained)
    rows.extend(
        [
            ("submitted", format_utc(record.submitted_at)),
            ("finished", format_utc(record.terminal_at)),
            ("last polled", f"{format_utc(record.last_polled_at)} ({record.poll_count} polls)"),
        ]
    )
    if record.retry_of is not None:
        rows.append(("retry of", s(record.retry_of)))
    rows.append(("imstui", s(version)))
    return "imstui copy job report\n" + "\n".join(aligned(rows)) + "\n"


def job_report_lines(job: Job, explain: Explain, *, ascii: bool = False) -> list[str]:
    """What ``imstui job`` prints for a job IMS just described: the incident summary's labels and words."""
    s = text_or_dash
    rows: list[tuple[str, str]] = [
        ("job id", s(job.job_id)),
        ("status", live_job_status(job, ascii=ascii)),
        ("type", s(job.job_type)),
        ("started", format_utc(job.started_at) if job.started_at else s(job.begin_time)),
        ("finished", format_utc(job.ended_at) if job.ended_at else s(job.end_time)),
    ]
    if job.new_image_id or job.image_name:
        rows.append(("new image", s(job.new_image_id)))
        rows.append(("new image name", s(job.image_name)))
    if job.status is JobStatus.FAIL or job.error_code or job.fail_reason:
        reason = (job.fail_reason or "").replace("\n", " ") or None
        rows.extend(failure_rows(job.error_code, reason, explain))
    lines = aligned(rows)
    return [line.replace("–", "-") for line in lines] if ascii else lines
