"""What a ledger row reads as: a :class:`JobRecord`, or a :class:`DamagedRow` when a value cannot be parsed.

Rows are parsed one by one, strictly: a value of the wrong type, an unparsable timestamp or progress, a NULL where
the schema wants a value, or a state imstui never writes makes that row damaged (shown as such) and leaves every
other row readable. Strict also means the SQL phase filters (:data:`imstui.core.jobs.PHASE_SQL`) and
:func:`imstui.core.jobs.phase_of` see the same values: a status is one of :class:`JobStatus`'s values as written,
anything else reads as ``UNKNOWN``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from imstui.api.job_status import JobStatus
from imstui.api.sanitize import sanitize, sanitize_opt
from imstui.api.tag_models import ImageTag
from imstui.core import jobs
from imstui.core.jobs import OUTCOME_UNKNOWN, REJECTED, SUBMITTED, SUBMITTING, JobState, Phase

if TYPE_CHECKING:
    from imstui.api.models import Job

__all__ = [
    "COLUMNS",
    "COLUMN_INDEX",
    "DamagedRow",
    "JobRecord",
    "LedgerChanges",
    "PollUpdate",
    "TagsState",
    "from_db_time",
    "parse_row",
    "text",
    "to_db_time",
    "utcnow",
]

TagsState = Literal["pending", "applied", "failed"]  # None: no tags were asked for
TAGS_STATES: frozenset[str] = frozenset({"pending", "applied", "failed"})

MAX_TEXT = 4096  # cap on any free text stored (server messages are already sanitised; this bounds the file)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_db_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def text(value: str | None, *, multiline: bool = False) -> str | None:
    """Free text as stored: sanitised and capped at :data:`MAX_TEXT` (never used for ids)."""
    if value is None:
        return None
    cleaned = sanitize_opt(value, multiline=multiline)
    if cleaned is None:
        return None
    return cleaned[:MAX_TEXT]


@dataclass(frozen=True)
class JobRecord:
    """One row of the ledger: a copy submission and what the poller last learnt about its job."""

    row_id: int
    job_id: str | None  # None while the POST's outcome is unknown (or it was rejected)
    profile: str
    region: str
    project_id: str | None
    source_image_id: str | None
    source_image_name: str | None
    name: str | None
    description: str | None
    cmk_id: str | None
    enterprise_project_id: str | None
    submitted_at: datetime
    state: JobState
    status: JobStatus | None = None
    progress: float | None = None
    new_image_id: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    last_polled_at: datetime | None = None
    last_poll_error: str | None = None
    poll_count: int = 0
    terminal_at: datetime | None = None
    gone: bool = False
    retry_of: int | None = None
    # Extensions (not in the original contract):
    imported: bool = False  # tracked with `import_job` (submitted elsewhere): no source image/name known
    current_task: str | None = None
    endpoint: str | None = None  # the IMS endpoint submitted to (imstui.core.account); None: an older imstui's row
    # Tags asked for with the copy, applied to the new image once the job succeeded (imstui.core.tagging):
    tags: tuple[ImageTag, ...] = ()
    tags_state: TagsState | None = None  # None: no tags asked for
    tags_error: str | None = None  # "CODE message" of the last failed attempt (sanitised)
    tags_at: datetime | None = None  # when the tags were applied, or the last attempt failed
    version: int = field(default=0, compare=False)  # ledger change counter value of the last write to this row

    @property
    def phase(self) -> Phase:
        return jobs.phase_of(self)

    @property
    def is_terminal(self) -> bool:
        """IMS reported an end (SUCCESS or FAIL): the job is never polled again."""
        return jobs.is_terminal(self)

    @property
    def is_outstanding(self) -> bool:
        """A job the poller still has to follow: id known, not finished, still known to the server."""
        return jobs.is_outstanding(self)

    @property
    def succeeded(self) -> bool:
        return self.phase is Phase.SUCCEEDED

    @property
    def failed(self) -> bool:
        """The copy did not happen: the job failed or the POST was rejected."""
        return jobs.is_failed(self)

    @property
    def needs_attention(self) -> bool:
        """Failed, rejected, outcome unknown, or the server forgot it before it finished."""
        return jobs.needs_attention(self)

    @property
    def label(self) -> str:
        """The job id, or ``#<row>`` for a submission without one."""
        return self.job_id or f"#{self.row_id}"


@dataclass(frozen=True)
class DamagedRow:
    """A row that cannot be read as a :class:`JobRecord`; what could be read of it, and why it is damaged."""

    row_id: int | None
    job_id: str | None
    profile: str | None
    reason: str

    @property
    def label(self) -> str:
        return self.job_id or f"#{self.row_id}"

    def describe(self) -> str:
        """One line for the operator: which row, and why it cannot be read."""
        job = f" (job {sanitize(self.job_id)})" if self.job_id else ""
        return f"ledger row #{self.row_id}{job} cannot be read: {sanitize(self.reason)}"


@dataclass(frozen=True)
class LedgerChanges:
    """What :meth:`Ledger.changes_since` found: rows written after ``since`` and rows removed after it."""

    since: int
    version: int
    changed: list[JobRecord]
    removed_row_ids: list[int]


@dataclass(frozen=True)
class PollUpdate:
    """One poll result for :meth:`Ledger.apply_polls` (the poller batches them into one transaction)."""

    job_id: str
    at: datetime
    job: Job | None = None  # a status answer
    error: str | None = None  # a failed poll (status kept)
    gone: bool = False  # the server does not know the job


COLUMNS = (
    "row_id, job_id, profile, region, project_id, source_image_id, source_image_name, name, description, cmk_id, "
    "enterprise_project_id, submitted_at, state, status, progress, new_image_id, error_code, fail_reason, "
    "last_polled_at, last_poll_error, poll_count, terminal_at, gone, retry_of, imported, current_task, version, "
    "endpoint, tags, tags_state, tags_error, tags_at"
)
COLUMN_NAMES = tuple(name.strip() for name in COLUMNS.split(","))
COLUMN_INDEX = {name: index for index, name in enumerate(COLUMN_NAMES)}

_STATES: frozenset[str] = frozenset({SUBMITTING, SUBMITTED, OUTCOME_UNKNOWN, REJECTED})
_TEXT_COLUMNS = (
    "project_id",
    "source_image_id",
    "source_image_name",
    "name",
    "description",
    "cmk_id",
    "enterprise_project_id",
    "new_image_id",
    "error_code",
    "fail_reason",
    "last_poll_error",
    "current_task",
    "endpoint",
    "tags_error",
)


class _Damage(Exception):
    pass


def _opt_text(row: Sequence[Any], name: str) -> str | None:
    value = row[COLUMN_INDEX[name]]
    if value is not None and not isinstance(value, str):
        raise _Damage(f"{name} is a {type(value).__name__}, not text")
    return value


def _req_text(row: Sequence[Any], name: str) -> str:
    value = _opt_text(row, name)
    if value is None:
        raise _Damage(f"{name} is missing (NULL)")
    return value


def _time(row: Sequence[Any], name: str, *, required: bool = False) -> datetime | None:
    value = _req_text(row, name) if required else _opt_text(row, name)
    try:
        return from_db_time(value)
    except ValueError:
        raise _Damage(f"{name} {value!r} is not a timestamp") from None


def _int(row: Sequence[Any], name: str, *, optional: bool = False, flag: bool = False) -> int | None:
    value = row[COLUMN_INDEX[name]]
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or (flag and value not in (0, 1)):
        raise _Damage(f"{name} {value!r} is not {'0 or 1' if flag else 'a whole number'}")
    return value


def _progress(row: Sequence[Any]) -> float | None:
    value = row[COLUMN_INDEX["progress"]]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Damage(f"progress {value!r} is not a number")
    if not 0.0 <= value <= 1.0:
        raise _Damage(f"progress {value!r} is outside 0..1")
    return float(value)


def _status(row: Sequence[Any]) -> JobStatus | None:
    value = _opt_text(row, "status")
    if value is None:
        return None
    try:
        return JobStatus(value)
    except ValueError:
        return JobStatus.UNKNOWN  # exactly what PHASE_SQL's "unrecognised" selects


def tags_to_db(tags: Sequence[ImageTag]) -> str | None:
    """The ``tags`` column: ``[[key, value], ...]`` as JSON, NULL for none."""
    import json  # here, not at the top: the console's first screen imports this module, json comes later

    return json.dumps([[tag.key, tag.value] for tag in tags], ensure_ascii=False) if tags else None


def _tags(row: Sequence[Any]) -> tuple[ImageTag, ...]:
    value = _opt_text(row, "tags")
    if value is None:
        return ()
    import json

    try:
        pairs = json.loads(value)
    except ValueError:
        raise _Damage("tags is not JSON") from None
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    ):
        raise _Damage("tags is not a list of [key, value] pairs")
    return tuple(ImageTag(key, val) for key, val in pairs)


def _tags_state(row: Sequence[Any]) -> TagsState | None:
    value = _opt_text(row, "tags_state")
    if value is not None and value not in TAGS_STATES:
        raise _Damage(f"tags_state {value!r} is not one imstui writes")
    return value  # type: ignore[return-value]  # checked against TAGS_STATES above


def _build(row: Sequence[Any]) -> JobRecord:
    if len(row) != len(COLUMN_NAMES):
        raise _Damage(f"{len(row)} columns instead of {len(COLUMN_NAMES)}")
    state = _req_text(row, "state")
    if state not in _STATES:
        raise _Damage(f"state {state!r} is not one imstui writes")
    texts = {name: _opt_text(row, name) for name in _TEXT_COLUMNS}
    submitted = _time(row, "submitted_at", required=True)
    assert submitted is not None
    return JobRecord(
        row_id=int(row[0]),
        job_id=_opt_text(row, "job_id"),
        profile=_req_text(row, "profile"),
        region=_req_text(row, "region"),
        submitted_at=submitted,
        state=state,  # type: ignore[arg-type]  # checked against _STATES above
        status=_status(row),
        progress=_progress(row),
        last_polled_at=_time(row, "last_polled_at"),
        poll_count=_int(row, "poll_count") or 0,
        terminal_at=_time(row, "terminal_at"),
        gone=bool(_int(row, "gone", flag=True)),
        retry_of=_int(row, "retry_of", optional=True),
        imported=bool(_int(row, "imported", flag=True)),
        version=_int(row, "version") or 0,
        tags=_tags(row),
        tags_state=_tags_state(row),
        tags_at=_time(row, "tags_at"),
        **texts,
    )


def parse_row(row: Sequence[Any]) -> JobRecord | DamagedRow:
    """One row (``SELECT COLUMNS``) as a record, or as a :class:`DamagedRow` saying what is wrong with it."""
    try:
        return _build(row)
    except _Damage as exc:
        reason = str(exc)
    row_id = row[0] if row and isinstance(row[0], int) else None
    values = list(row) + [None] * len(COLUMN_NAMES)
    job_id, profile = values[COLUMN_INDEX["job_id"]], values[COLUMN_INDEX["profile"]]
    return DamagedRow(
        row_id=row_id,
        job_id=job_id if isinstance(job_id, str) else None,
        profile=profile if isinstance(profile, str) else None,
        reason=reason,
    )
